"""The mechanics behind :func:`b2m.datasets.fetch_debian_music`: download, unpack, select.

One package at a time: ``apt-get download`` into a temporary folder, ``dpkg-deb -x``, the
tracks (and a zip inside the package, extracted safely) copied into a staging folder with the
package's copyright file and a marker, and the staging folder renamed into place.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from b2m._utils._io import atomic_path, save_json

__all__ = ["COLUMNS", "MIN_TRACK_SECONDS", "DebianMusicError", "DebianMusicPackage"]

#: Shorter audio files (jingles, stingers, ambience) are not taken as tracks.
MIN_TRACK_SECONDS = 60.0
#: The columns of ``tracks.csv``.
COLUMNS = ("package", "path", "title", "artist", "style", "licence", "duration_s",
           "sample_rate", "channels", "source")  # fmt: skip
MARKER, _LAYOUT = ".b2m_complete.json", 1
MAX_MEMBER_BYTES, MAX_ARCHIVE_BYTES = 256 << 20, 2 << 30
_AUDIO = (".ogg", ".opus", ".flac", ".wav")
_STALE_LISTS = ("Unable to locate", "no installation candidate", "404", "Can't select")


@dataclass(frozen=True)
class DebianMusicPackage:
    """One Debian package of music and which of its files are tracks.

    Attributes
    ----------
    name, style, licence, authors : str
        Package name, a style label, the licence and the copyright holders as its
        ``/usr/share/doc/<name>/copyright`` (and the files it ships) state them.
    base : str
        Folder of the tracks inside the package, or inside ``archive`` when given.
    tracks : tuple of str
        Glob patterns of the tracks, relative to ``base``.
    archive : str, optional
        A zip inside the package that holds the tracks; extracted safely (relative member
        names without ``..``, audio members only, size-limited).
    stems : tuple of str
        Files beside a track summed onto it, as the game mixes them (Frets on Fire keeps the
        lead guitar in ``guitar.ogg``, apart from the rest of the band in ``song.ogg``).
    notices : tuple of str
        Further licence or readme files (globs relative to ``base``) copied beside the tracks.
    name_from : {"path", "folder"}
        Output file name: the path below ``base`` with ``/`` as ``_``, or the track's folder.
    approx_mb : int
        Download size in MB, approximately.
    """

    name: str
    style: str
    licence: str
    authors: str
    base: str
    tracks: tuple[str, ...]
    archive: str | None = None
    stems: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    name_from: str = "path"
    approx_mb: int = 0


class DebianMusicError(RuntimeError, OSError):
    """The packages cannot be fetched or unpacked (the message says how to get them).

    A ``RuntimeError``, and an ``OSError`` so that the ``b2m`` command reports it in one line.
    """


def how_to(names) -> str:
    """How to get the packages by hand."""
    names = " ".join(names)
    return (
        f"Get them on a Debian or Ubuntu machine with `b2m fetch-music --dest DIR` and copy DIR "
        f"here, or by hand: `apt-get download {names}`, then `dpkg-deb -x FILE.deb DIR` for "
        f"each (`sudo apt-get install {names}` puts them under /usr/share/games)."
    )


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)


def apt_download(package: str, folder: Path) -> Path:
    """Download ``package``'s .deb into ``folder``; return the file.

    When the package lists are stale (the package or its file is unknown) and we are root,
    runs ``apt-get update`` once and tries again.
    """
    for attempt in (0, 1):
        done = _run(["apt-get", "download", "-q", package], cwd=folder)
        if done.returncode == 0:
            break
        stale = any(s in done.stderr for s in _STALE_LISTS)
        if attempt or not stale or getattr(os, "geteuid", lambda: -1)() != 0:
            why = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            raise DebianMusicError(
                f"apt-get download {package} failed: {why[0]} {how_to([package])}"
            )
        _run(["apt-get", "update", "-q"])
    debs = sorted(folder.glob(f"{package}_*.deb"))
    if not debs:
        raise DebianMusicError(f"apt-get download {package} left no .deb. {how_to([package])}")
    return debs[0]


def read_marker(folder: Path) -> dict | None:
    """The marker of a complete package folder, or None (absent, unreadable or incomplete)."""
    try:
        marker = json.loads((folder / MARKER).read_text())
        ok = marker["layout"] == _LAYOUT and all(
            (folder.parent / row["path"]).is_file() for row in marker["tracks"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return marker if ok else None


def write_index(dest: Path, specs) -> None:
    """Write ``<dest>/tracks.csv`` from the markers of the complete packages, atomically."""
    import pandas as pd

    rows = [row for s in specs for row in (read_marker(dest / s.name) or {}).get("tracks", [])]
    with atomic_path(dest / "tracks.csv") as tmp:
        pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(tmp, index=False)


def fetch_package(spec: DebianMusicPackage, dest: Path, tmp: Path) -> None:
    """Download, unpack and stage one package in ``tmp``; move it to ``dest/<name>`` at the end."""
    (tmp / "deb").mkdir()
    deb = apt_download(spec.name, tmp / "deb")
    root, stage = tmp / "root", tmp / "stage" / spec.name
    for cmd in (["dpkg-deb", "-x", str(deb), str(root)], ["dpkg-deb", "-f", str(deb), "Version"]):
        done = _run(cmd)
        if done.returncode:
            raise DebianMusicError(f"{' '.join(cmd[:2])} {deb.name} failed: {done.stderr.strip()}")
    version = done.stdout.strip()
    copyright_file = root / "usr/share/doc" / spec.name / "copyright"
    if not _regular(copyright_file, root):
        raise DebianMusicError(f"{spec.name} {version} has no usr/share/doc/{spec.name}/copyright.")
    stage.mkdir(parents=True)
    shutil.copyfile(copyright_file, stage / "copyright")
    base = root / spec.base if spec.archive is None else _unzip(spec, root, tmp / "archive")
    for pattern in spec.notices:
        for src in sorted(base.glob(pattern)):
            if _regular(src, root):
                shutil.copyfile(src, stage / "_".join(src.relative_to(base).parts))
    rows = []
    for src in sorted({p for pattern in spec.tracks for p in base.glob(pattern)}):
        if _regular(src, base) and src.suffix.lower() in _AUDIO:
            rows.extend(_add_track(spec, src, base, stage))
    marker = {"package": spec.name, "version": version, "layout": _LAYOUT, "tracks": rows}
    save_json(stage / MARKER, marker)
    target = dest / spec.name
    if target.exists() or target.is_symlink():
        target.rename(tmp / "old")  # an incomplete or outdated copy, deleted with tmp
    stage.rename(target)


def _regular(path: Path, root: Path) -> bool:
    """A regular file, not a link, inside ``root``."""
    inside = path.resolve().is_relative_to(root.resolve())
    return path.is_file() and not path.is_symlink() and inside


def _unsafe(name: str) -> bool:
    return name.startswith("/") or "\\" in name or ":" in name or ".." in PurePosixPath(name).parts


def _unzip(spec: DebianMusicPackage, root: Path, out: Path) -> Path:
    """Extract the track members of ``spec.archive``; return the folder of ``spec.base``."""
    archive, total = root / spec.archive, 0
    where = f"in {spec.name}'s {PurePosixPath(spec.archive).name}"
    if not _regular(archive, root):
        raise DebianMusicError(f"{spec.name} has no archive {spec.archive}.")
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = [i.filename for i in zf.infolist() if _unsafe(i.filename)]
            if bad:
                raise DebianMusicError(
                    f"archive members must be relative paths without '..'; received "
                    f"{bad[0]!r} {where}. The archive was refused; nothing was extracted."
                )
            for info in zf.infolist():
                rel = PurePosixPath(info.filename)
                if info.is_dir() or rel.suffix.lower() not in _AUDIO:
                    continue
                if not rel.is_relative_to(spec.base) or not any(
                    rel.relative_to(spec.base).match(p) for p in spec.tracks
                ):
                    continue
                total += info.file_size
                if info.file_size > MAX_MEMBER_BYTES or total > MAX_ARCHIVE_BYTES:
                    raise DebianMusicError(
                        f"archive member {info.filename!r} {where} is too large."
                    )
                target = out.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    data = src.read(info.file_size + 1)  # a member bigger than it says is refused
                    if len(data) > info.file_size:
                        raise DebianMusicError(
                            f"archive member {info.filename!r} {where} is corrupt."
                        )
                    dst.write(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DebianMusicError(f"{archive.name} {where} is not a readable zip ({exc}).") from None
    return out.joinpath(*PurePosixPath(spec.base).parts)


def _add_track(spec: DebianMusicPackage, src: Path, base: Path, stage: Path) -> list[dict]:
    """Stage one track (mixed with its stems); return its row, or none when it is short."""
    import soundfile as sf

    rel = src.relative_to(base)
    try:
        info = sf.info(str(src))
    except (RuntimeError, OSError, ValueError) as exc:
        raise DebianMusicError(f"{spec.name}: {rel.as_posix()} cannot be read ({exc}).") from None
    if info.duration < MIN_TRACK_SECONDS:
        return []
    name = src.parent.name + src.suffix if spec.name_from == "folder" else "_".join(rel.parts)
    if (stage / name).exists():
        raise DebianMusicError(f"{spec.name}: two tracks are named {name!r}.")
    stems = [src.parent / s for s in spec.stems if _regular(src.parent / s, base)]
    if stems:
        _mix([src, *stems], stage / name, int(info.samplerate), info.channels)
        info = sf.info(str(stage / name))
    else:
        shutil.copyfile(src, stage / name)
    title, artist = _track_meta(src, spec)
    source = "/".join(filter(None, (spec.archive, spec.base, rel.as_posix())))
    values = (spec.name, f"{spec.name}/{name}", title, artist, spec.style, spec.licence,
              round(float(info.duration), 3), int(info.samplerate), int(info.channels),
              " + ".join([source, *(s.name for s in stems)]))  # fmt: skip
    return [dict(zip(COLUMNS, values, strict=True))]


def _mix(files: list[Path], target: Path, sr: int, channels: int) -> None:
    """Sum stems into one Ogg Vorbis file, scaled down when the sum peaks above 0.98."""
    import soundfile as sf

    parts = [sf.read(str(f), dtype="float32", always_2d=True) for f in files]
    if any(rate != sr or data.shape[1] != channels for data, rate in parts):
        raise DebianMusicError(f"the stems of {files[0]} differ in sampling rate or channels.")
    mix = np.zeros((max(len(data) for data, _ in parts), channels), np.float32)
    for data, _ in parts:
        mix[: len(data)] += data
    mix *= min(1.0, 0.98 / max(float(np.abs(mix).max()), 1e-9))
    # libsndfile 1.2 crashes writing minutes of Vorbis in one call: write a second at a time.
    with sf.SoundFile(str(target), "w", sr, channels, format="OGG", subtype="VORBIS") as out:
        for i in range(0, len(mix), sr):
            out.write(mix[i : i + sr])


def _track_meta(src: Path, spec: DebianMusicPackage) -> tuple[str, str]:
    """Title and artist, from the game's metadata (album.json, song.ini) where it has them."""
    name = src.parent.name if spec.name_from == "folder" else src.stem
    title = name.replace("_", " ").replace("-", " ")
    artist = spec.authors
    try:
        if (src.parent / "album.json").is_file():
            album = json.loads((src.parent / "album.json").read_text(encoding="utf-8"))
            for track in album.get("tracks", []):
                if track.get("filename") == src.name:
                    title, artist = track.get("title", title), track.get("author", artist)
        if (src.parent / "song.ini").is_file():
            ini = configparser.ConfigParser(interpolation=None, strict=False)
            ini.read(src.parent / "song.ini", encoding="utf-8")
            title = ini.get("song", "name", fallback=title).strip() or title
    except (OSError, ValueError, AttributeError, configparser.Error):
        pass
    return str(title), str(artist)
