"""``b2m fetch-music``: real, freely licensed music from Debian packages."""

from __future__ import annotations

from pathlib import Path

from b2m.cli._common import new_parser

__all__ = ["add_music_command"]


def _fetch_music(args) -> int:
    # lazy: keeps `b2m --help` fast
    from b2m.datasets import _debian_music, debian_music_root, fetch_debian_music, load_debian_music

    if args.dest is not None:
        dest = Path(args.dest).expanduser()
    else:
        dest = debian_music_root(args.data_home)
    table = _debian_music.DEBIAN_MUSIC_PACKAGES
    known = [p.name for p in table]
    for name in args.packages or ():
        if name not in known:
            raise ValueError(f"--packages must be among {known}; received {name!r}.")
    if args.list:
        present = None
        if (dest / "tracks.csv").is_file():
            present = load_debian_music(dest, min_seconds=0).groupby("package")["duration_s"]
        for p in table:
            here = ""
            if present is not None and p.name in present.groups:
                durations = present.get_group(p.name)
                here = f"  (fetched: {len(durations)} tracks, {durations.sum() / 60:.0f} min)"
            print(f"{p.name:28} {p.style:11} ~{p.approx_mb:4} MB  {p.licence}{here}")
        print(f"destination: {dest.resolve()}")
        return 0
    root = fetch_debian_music(dest, args.packages, progress=True)
    tracks = load_debian_music(root, min_seconds=0)
    for package, group in tracks.groupby("package", sort=False):
        print(
            f"{package:28} {group['style'].iloc[0]:11} {len(group):3} tracks "
            f"{group['duration_s'].sum() / 60:6.1f} min"
        )
    print(f"{len(tracks)} tracks, {tracks['duration_s'].sum() / 3600:.2f} h, listed in tracks.csv")
    print(root)
    return 0


def add_music_command(sub) -> None:
    """Register ``fetch-music``."""
    p = new_parser(
        sub,
        "fetch-music",
        help="fetch real, freely licensed music from Debian packages (apt-get)",
        description="""
            Download six Debian packages of game music (section games: orchestral,
            electronic, techno and metal; GPL-2+, CC BY-SA 3.0 or MIT-style; about 430 MB)
            with apt-get download, unpack them with dpkg-deb and copy their tracks of at
            least a minute (about 101, 9 h) with each package's copyright file to
            DEST/<package>/, listed in DEST/tracks.csv. Packages already fetched are skipped;
            an interruption leaves nothing half-written. Needs apt-get and dpkg-deb (Debian or
            Ubuntu).
        """,
        examples="""
            b2m fetch-music --list                    # the packages, and what is fetched
            b2m fetch-music --dest /data/debian_music
            b2m fetch-music --packages wesnoth-1.16-music nexuiz-music
        """,
    )
    p.add_argument(
        "--dest",
        default=None,
        metavar="DIR",
        help="where to put the music (default <data home>/debian_music)",
    )
    p.add_argument(
        "--packages", nargs="+", default=None, metavar="NAME", help="some packages (default all)"
    )
    p.add_argument(
        "--list", action="store_true", help="list the packages and what DIR holds; fetch nothing"
    )
    p.set_defaults(func=_fetch_music)
