"""Real, freely licensed music from Debian packages (section games), fetched at set-up.

:data:`DEBIAN_MUSIC_PACKAGES` lists six packages of game music (101 tracks of at least a
minute, about 9 h, 430 MB to download): orchestral, electronic, techno and metal, under
GPL-2+, CC BY-SA 3.0 or an MIT-style licence. :func:`fetch_debian_music` gets them with
``apt-get download`` and ``dpkg-deb -x`` into ``<dest>/<package>/``, each beside its package's
copyright file, and lists the tracks in ``<dest>/tracks.csv``; :func:`load_debian_music` reads
that list and :func:`load_debian_track` one waveform.

The table lives here, not in ``data_manifest.yaml``: the manifest's schema knows files fetched
over HTTP(S) with a fixed size and hash, and local-only data; a Debian package is neither (apt
checks it against the archive's signed lists, and its version moves with Debian), and the
schema admits no other kind of entry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from b2m._utils._progress import progress as _progress
from b2m.config import get_data_home
from b2m.datasets import _debian_unpack as _unpack
from b2m.datasets._debian_unpack import (
    COLUMNS,
    MIN_TRACK_SECONDS,
    DebianMusicError,
    DebianMusicPackage,
)

__all__ = [
    "COLUMNS",
    "DEBIAN_MUSIC_PACKAGES",
    "MIN_TRACK_SECONDS",
    "DebianMusicError",
    "DebianMusicPackage",
    "fetch_debian_music",
    "load_debian_music",
    "load_debian_track",
]

_GAMES = "usr/share/games"
_FOF = f"{_GAMES}/fretsonfire/data/songs"
_FOF_STEMS = ("guitar.ogg", "rhythm.ogg", "drums.ogg")

#: The packages, their styles and licences, and which of their files are tracks. Licences and
#: copyright holders are those their copyright files (and the licence files they ship) state.
DEBIAN_MUSIC_PACKAGES = (
    DebianMusicPackage(
        "wesnoth-1.16-music",
        style="orchestral",
        licence="GPL-2+",
        authors="David White and the Battle for Wesnoth contributors, 2003-2009",
        base=f"{_GAMES}/wesnoth/1.16/data/core/music",
        tracks=("*.ogg",),
        approx_mb=146,
    ),
    DebianMusicPackage(
        "warzone2100-music",
        style="electronic",
        licence="GPL-2+ (Debian copyright, Files: *); the Legacy and Aftermath albums also "
        "CC-BY-SA-3.0 or later (their license.txt)",
        authors="Eidos Interactive and the Warzone 2100 Project (original soundtrack, Martin "
        "Severn); LupusMechanicus (Legacy and Aftermath albums, 2019-2022)",
        base=f"{_GAMES}/warzone2100/music",
        tracks=("*.opus", "albums/*/*.opus"),
        notices=("albums/*/license.txt",),
        approx_mb=82,
    ),
    DebianMusicPackage(
        "nexuiz-music",
        style="techno",
        licence="GPL-2+",
        authors="Alientrap (Lee Vermeulen), 2002-2009",
        base="sound/cdtracks",
        tracks=("*.ogg",),
        archive=f"{_GAMES}/nexuiz/data/music.pk3",
        approx_mb=80,
    ),
    DebianMusicPackage(
        "singularity-music",
        style="electronic",
        licence="CC-BY-SA-3.0",
        authors="Max McCracken, 2007-2012",
        base=f"{_GAMES}/singularity/music",
        tracks=("*.ogg", "win/*.ogg", "lose/*.ogg"),
        approx_mb=49,
    ),
    DebianMusicPackage(
        "fretsonfire-songs-muldjord",
        style="metal",
        licence="CC-BY-SA-3.0",
        authors="El Senator (Muldjord), 2009",
        base=f"{_FOF}/muldjord",
        tracks=("*/song.ogg",),
        stems=_FOF_STEMS,
        notices=("*/readme.txt",),
        name_from="folder",
        approx_mb=28,
    ),
    DebianMusicPackage(
        "fretsonfire-songs-sectoid",
        style="metal",
        licence="Expat (MIT-style permission notice in its copyright file)",
        authors="Carlos Viola Iborra (Sectoid), 2006-2007",
        base=f"{_FOF}/sectoid",
        tracks=("*/song.ogg",),
        stems=_FOF_STEMS,
        name_from="folder",
        approx_mb=28,
    ),
)


def _specs(packages) -> list[DebianMusicPackage]:
    table = {p.name: p for p in DEBIAN_MUSIC_PACKAGES}
    names = [packages] if isinstance(packages, str) else packages
    if names is None:
        return list(table.values())
    if not isinstance(names, list | tuple) or not names:
        raise TypeError(
            f"packages must be a package name or a list of them; received {packages!r}."
        )
    for name in names:
        if name not in table:
            raise ValueError(f"packages must be among {list(table)}; received {name!r}.")
    return [table[n] for n in dict.fromkeys(names)]


def fetch_debian_music(dest=None, packages=None, *, progress: bool = True) -> Path:
    """Fetch real, freely licensed music from Debian packages into a folder.

    Each package is downloaded with ``apt-get download`` and unpacked with ``dpkg-deb -x`` in
    a temporary folder beside ``dest``. Its tracks (audio files of at least
    :data:`MIN_TRACK_SECONDS`) are copied to ``<dest>/<package>/`` with the package's
    ``copyright`` file, and the folder is moved into place only when complete, with a marker
    that records the package version. A complete package is skipped (the call is idempotent;
    delete a package's folder to fetch it again); an interruption leaves nothing half-written.
    Then ``<dest>/tracks.csv`` (columns :data:`COLUMNS`) lists the tracks of every complete
    package in ``dest``, written atomically.

    Parameters
    ----------
    dest : str or path-like, optional
        Target folder; default ``<data home>/debian_music`` (see
        :func:`b2m.config.get_data_home`).
    packages : str or list of str, optional
        Names from :data:`DEBIAN_MUSIC_PACKAGES`; default all six.
    progress : bool, default True
        Show a progress bar over packages (``B2M_PROGRESS=0`` silences it).

    Returns
    -------
    pathlib.Path
        ``dest``, absolute.

    Raises
    ------
    DebianMusicError
        A ``RuntimeError``: ``apt-get`` or ``dpkg-deb`` is missing (not Debian), a download
        failed, or a package is not as expected (an unsafe archive member, an unreadable
        track). The message names the packages and how to get them by hand.
    ValueError, TypeError
        If ``packages`` is not a list of names from the table.
    NotADirectoryError
        If ``dest`` is a file.

    Notes
    -----
    Frets on Fire songs keep the lead guitar apart (``guitar.ogg``) from the rest of the band
    (``song.ogg``); each track here is their sum, as the game plays them (re-encoded as Ogg
    Vorbis; ``tracks.csv``'s ``source`` names the files summed).
    """
    specs = _specs(packages)
    dest = Path(dest).expanduser() if dest is not None else debian_music_root()
    dest = dest.resolve()
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"dest must be a folder; received {str(dest)!r}, a file.")
    todo = [s for s in specs if _unpack.read_marker(dest / s.name) is None]
    missing = [tool for tool in ("apt-get", "dpkg-deb") if shutil.which(tool) is None]
    if todo and missing:
        names = [s.name for s in todo]
        raise DebianMusicError(
            f"Fetching the Debian packages {', '.join(names)} needs {' and '.join(missing)} "
            f"(Debian or Ubuntu); not found on PATH. {_unpack.how_to(names)}"
        )
    dest.mkdir(parents=True, exist_ok=True)
    quiet = None if progress and todo else True  # None: as B2M_PROGRESS says
    bar = _progress(total=len(todo), desc="debian music", unit="package", disable=quiet)
    try:
        for spec in todo:
            bar.set_postfix_str(spec.name)
            with tempfile.TemporaryDirectory(prefix=".b2m-debian-music-", dir=dest.parent) as tmp:
                _unpack.fetch_package(spec, dest, Path(tmp))
            bar.update()
    finally:
        bar.close()
    _unpack.write_index(dest, DEBIAN_MUSIC_PACKAGES)
    return dest


def load_debian_music(root=None, styles=None, min_seconds: float = 60.0):
    """List the fetched Debian music tracks.

    Parameters
    ----------
    root : str or path-like, optional
        The folder :func:`fetch_debian_music` filled; default ``<data home>/debian_music``.
    styles : str or list of str, optional
        Keep these styles only (``"orchestral"``, ``"electronic"``, ``"techno"``, ``"metal"``).
    min_seconds : float, default 60.0
        Keep tracks at least this long.

    Returns
    -------
    pandas.DataFrame
        One row per track, with the columns of ``tracks.csv`` (:data:`COLUMNS`: ``package``,
        ``path``, ``title``, ``artist``, ``style``, ``licence``, ``duration_s``,
        ``sample_rate``, ``channels``, ``source``); ``path`` is made absolute.
        ``attrs["root"]`` is the folder.

    Raises
    ------
    FileNotFoundError
        If ``<root>/tracks.csv`` does not exist (the message says how to fetch it).
    ValueError
        If a style is unknown or ``min_seconds`` is not a non-negative number.
    """
    import pandas as pd

    if root is None:
        root = debian_music_root()
    index = Path(root).expanduser().resolve() / "tracks.csv"
    if not index.is_file():
        raise FileNotFoundError(
            f"root must hold the tracks.csv of fetched music; {str(index)!r} does not exist. "
            f"Fetch the music first: `b2m fetch-music --dest {index.parent}` (or `make music`)."
        )
    if isinstance(min_seconds, bool) or not isinstance(min_seconds, int | float):
        raise ValueError(f"min_seconds must be a non-negative number; received {min_seconds!r}.")
    if not min_seconds >= 0:
        raise ValueError(f"min_seconds must be a non-negative number; received {min_seconds!r}.")
    frame = pd.read_csv(index, keep_default_na=False)
    if styles is not None:
        known = sorted({p.style for p in DEBIAN_MUSIC_PACKAGES} | set(frame["style"]))
        styles = [styles] if isinstance(styles, str) else list(styles)
        for style in styles:
            if style not in known:
                raise ValueError(f"styles must be among {known}; received {style!r}.")
        frame = frame[frame["style"].isin(styles)]
    frame = frame[frame["duration_s"] >= min_seconds].reset_index(drop=True)
    frame["path"] = [str(index.parent / p) for p in frame["path"]]
    frame.attrs["root"] = str(index.parent)
    return frame


def _check_number(name: str, value, *, minimum_ok: bool) -> None:
    bad = isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating)
    if value is not None and (bad or not (value >= 0 if minimum_ok else value > 0)):
        want = "a non-negative number" if minimum_ok else "a positive number"
        raise ValueError(f"{name} must be {want} or None; received {value!r}.")


def load_debian_track(path_or_row, sr: int | None = None, seconds=None, offset=None):
    """Read one track, or an excerpt of it, as a mono waveform.

    Parameters
    ----------
    path_or_row : str, path-like, or a row of :func:`load_debian_music`
        The audio file, or a mapping (a ``pandas.Series``) with a ``path``.
    sr : int, optional
        Resample to this rate (Hz); default the file's own.
    seconds : float, optional
        Length of the excerpt; default the whole track (an excerpt is cut at the track's end).
    offset : float, optional
        Start of the excerpt in seconds; default the middle ``seconds`` of the track (its start
        when ``seconds`` is None).

    Returns
    -------
    waveform : ndarray of shape (n_samples,), float32
        The channels averaged.
    sr : int
        Its sampling rate.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file cannot be decoded (the message names it), or ``sr``, ``seconds`` or
        ``offset`` is out of range.
    """
    import soundfile as sf

    from b2m._utils._audio import resample

    is_path = isinstance(path_or_row, str | os.PathLike)
    path = Path(path_or_row if is_path else path_or_row["path"])
    _check_number("seconds", seconds, minimum_ok=False)
    _check_number("offset", offset, minimum_ok=True)
    _check_number("sr", sr, minimum_ok=False)
    if sr is not None and int(sr) != sr:
        raise ValueError(f"sr must be a whole number of Hz; received {sr!r}.")
    if not path.is_file():
        raise FileNotFoundError(
            f"path_or_row must name an existing audio file; received {str(path)!r}."
        )
    try:
        with sf.SoundFile(str(path)) as fh:
            rate, frames = int(fh.samplerate), int(fh.frames)
            n = frames if seconds is None else min(frames, round(seconds * rate))
            start = (frames - n) // 2 if offset is None else round(offset * rate)
            if start >= frames > 0:
                raise ValueError(
                    f"offset must be before the end of {str(path)!r} ({frames / rate:.3f} s); "
                    f"received {offset!r}."
                )
            fh.seek(start)
            data = fh.read(min(n, frames - start), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, OSError) as exc:
        raise ValueError(f"Could not decode {str(path)!r}: {exc}.") from None
    if not np.isfinite(data).all():
        raise ValueError(f"Could not decode {str(path)!r}: it gives NaN or inf samples.")
    mono = data.mean(axis=1)
    if sr is not None and int(sr) != rate:
        mono, rate = resample(mono, rate, int(sr)), int(sr)
    return mono.astype(np.float32, copy=False), rate


def debian_music_root(data_home=None) -> Path:
    """Where the fetched Debian music is read from by default.

    ``$B2M_MUSIC`` when set (e.g. one shared copy for several data homes), else
    ``<data home>/debian_music`` (where ``b2m fetch-music`` and ``make music`` put it).

    Parameters
    ----------
    data_home : path-like, optional
        See :func:`b2m.config.get_data_home`.

    Returns
    -------
    pathlib.Path
    """
    env = os.environ.get("B2M_MUSIC", "").strip()
    if env:
        return Path(env).expanduser()
    return get_data_home(data_home, create=False) / "debian_music"


def debian_music_available(root=None) -> bool:
    """Whether fetched Debian music (a ``tracks.csv``) is at ``root`` (default
    :func:`debian_music_root`)."""
    root = debian_music_root() if root is None else Path(root).expanduser()
    return (root / "tracks.csv").is_file()
