"""Music from Debian packages: fetch (with fake .deb files, no network), load, and the real set.

The unit tests build small .deb files with ``dpkg-deb --build`` and replace only the
``apt-get download`` step; the ``realmusic`` tests read the real fetched music from the folder
named by ``B2M_TEST_MUSIC`` (see ``conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from b2m._utils._parallel import resolve_n_jobs, thread_map
from b2m.cli import main
from b2m.datasets import (
    DEBIAN_MUSIC_PACKAGES,
    DebianMusicError,
    DebianMusicPackage,
    _debian_music,
    _debian_unpack,
    fetch_debian_music,
    load_debian_music,
    load_debian_track,
)

needs_dpkg = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None, reason="dpkg-deb (Debian) is needed to build test packages"
)

SR = 8000
FAKE = DebianMusicPackage(
    "b2m-fake-music",
    style="orchestral",
    licence="GPL-2+",
    authors="Test Composer",
    base="usr/share/games/fake/music",
    tracks=("*.ogg", "sub/*.ogg"),
)
SONGS = DebianMusicPackage(
    "b2m-fake-songs",
    style="metal",
    licence="CC-BY-SA-3.0",
    authors="Test Band",
    base="usr/share/games/fake/songs",
    tracks=("*/song.ogg",),
    stems=("guitar.ogg", "rhythm.ogg"),
    notices=("*/readme.txt",),
    name_from="folder",
)
PK3 = DebianMusicPackage(
    "b2m-fake-pk3",
    style="techno",
    licence="GPL-2+",
    authors="Test DJ",
    base="sound/cdtracks",
    tracks=("*.ogg",),
    archive="usr/share/games/fake/data/music.pk3",
)
REAL_COUNTS = {
    "wesnoth-1.16-music": 32,
    "warzone2100-music": 30,
    "nexuiz-music": 17,
    "singularity-music": 14,
    "fretsonfire-songs-muldjord": 4,
    "fretsonfire-songs-sectoid": 4,
}


# --------------------------------------------------------------------------------------------
# Building fake packages
# --------------------------------------------------------------------------------------------
def _ogg(seconds: float, freq: float = 440.0, channels: int = 2) -> bytes:
    t = np.arange(round(seconds * SR)) / SR
    wave = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    path = Path(os.environ["B2M_DATA"]).parent / f"tone-{seconds}-{freq}-{channels}.ogg"
    sf.write(path, np.stack([wave] * channels, axis=1), SR, format="OGG", subtype="VORBIS")
    return path.read_bytes()


def _zip(members: dict[str, bytes]) -> bytes:
    path = Path(os.environ["B2M_DATA"]).parent / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path.read_bytes()


def _build_deb(folder: Path, name: str, files: dict[str, bytes], version: str = "1.2-3") -> Path:
    tree = folder / f"{name}-{version}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
        "Maintainer: Test <test@example.org>\nDescription: fake music for tests\n"
    )
    files = {f"usr/share/doc/{name}/copyright": f"Copyright: {name} authors\n".encode(), **files}
    for rel, data in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    deb = folder / f"{name}_{version}_all.deb"
    cmd = ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree), str(deb)]
    subprocess.run(cmd, check=True, capture_output=True)
    return deb


@pytest.fixture
def fake_apt(tmp_path, monkeypatch):
    """Three fake packages in the table; ``apt-get download`` copies their prebuilt .deb files.

    Returns the dict of .deb files by package (replace one to change what is downloaded) and
    the list of packages downloaded so far.
    """
    folder = tmp_path / "debs"
    folder.mkdir()
    debs = {
        FAKE.name: _build_deb(
            folder,
            FAKE.name,
            {
                f"{FAKE.base}/a_theme.ogg": _ogg(2.0),
                f"{FAKE.base}/sub/b-march.ogg": _ogg(3.0, 330.0, channels=1),
                f"{FAKE.base}/jingle.ogg": _ogg(0.5),  # too short: not a track
                f"{FAKE.base}/notes.txt": b"not audio",
            },
        ),
        SONGS.name: _build_deb(
            folder,
            SONGS.name,
            {
                f"{SONGS.base}/first_song/song.ogg": _ogg(2.0, 440.0),
                f"{SONGS.base}/first_song/guitar.ogg": _ogg(2.0, 1000.0),
                f"{SONGS.base}/first_song/song.ini": b"[song]\nname = First Song\n",
                f"{SONGS.base}/first_song/readme.txt": b"Credit the band.\n",
                f"{SONGS.base}/second/song.ogg": _ogg(1.5, 550.0),
            },
        ),
        PK3.name: _build_deb(
            folder,
            PK3.name,
            {
                PK3.archive: _zip(
                    {
                        "sound/": b"",
                        "sound/cdtracks/techno-one.ogg": _ogg(2.0),
                        "sound/cdtracks/readme.txt": b"text",
                        "sound/other/elsewhere.ogg": _ogg(2.0),
                    }
                )
            },
        ),
    }
    downloads: list[str] = []

    def download(package, dest_folder):
        downloads.append(package)
        return Path(shutil.copy(debs[package], dest_folder))

    real_which = shutil.which
    monkeypatch.setattr(_debian_music, "DEBIAN_MUSIC_PACKAGES", (FAKE, SONGS, PK3))
    monkeypatch.setattr(_debian_unpack, "apt_download", download)
    monkeypatch.setattr(_debian_unpack, "MIN_TRACK_SECONDS", 1.0)
    monkeypatch.setattr(
        shutil,
        "which",
        lambda cmd, *a, **k: "/usr/bin/apt-get" if cmd == "apt-get" else real_which(cmd, *a, **k),
    )
    return debs, downloads


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".b2m-debian-music-")]


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------
def test_the_table_names_six_packages_with_styles_and_licences():
    assert [p.name for p in DEBIAN_MUSIC_PACKAGES] == list(REAL_COUNTS)
    assert {p.style for p in DEBIAN_MUSIC_PACKAGES} == {
        "orchestral",
        "electronic",
        "techno",
        "metal",
    }
    for p in DEBIAN_MUSIC_PACKAGES:
        assert p.licence and p.authors and p.tracks and p.approx_mb > 0
        assert p.name_from in ("path", "folder")
    assert issubclass(DebianMusicError, RuntimeError)


def test_unknown_packages_are_named():
    with pytest.raises(
        ValueError, match=r"packages must be among \[.*'nexuiz-music'.*received 'x'"
    ):
        fetch_debian_music(packages=["x"])
    with pytest.raises(TypeError, match="packages must be a package name"):
        fetch_debian_music(packages=[])


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------
@needs_dpkg
def test_fetch_copies_tracks_licences_and_writes_tracks_csv(fake_apt, tmp_path):
    dest = fetch_debian_music(tmp_path / "music", progress=False)
    assert dest == (tmp_path / "music").resolve()
    table = pd.read_csv(dest / "tracks.csv")
    assert list(table.columns) == list(_debian_unpack.COLUMNS)
    assert table["path"].tolist() == [
        "b2m-fake-music/a_theme.ogg",
        "b2m-fake-music/sub_b-march.ogg",
        "b2m-fake-songs/first_song.ogg",
        "b2m-fake-songs/second.ogg",
        "b2m-fake-pk3/techno-one.ogg",
    ]
    row = table.set_index("path").loc["b2m-fake-music/sub_b-march.ogg"]
    assert (row["title"], row["artist"], row["style"], row["licence"]) == (
        "b march",
        "Test Composer",
        "orchestral",
        "GPL-2+",
    )
    assert (row["sample_rate"], row["channels"]) == (SR, 1)
    assert row["duration_s"] == pytest.approx(3.0, abs=0.01)
    for package in (FAKE, SONGS, PK3):
        assert (dest / package.name / "copyright").read_text().startswith("Copyright:")
        assert _debian_unpack.read_marker(dest / package.name)["version"] == "1.2-3"
    assert not list((dest / FAKE.name).glob("jingle*"))  # shorter than MIN_TRACK_SECONDS
    assert (dest / SONGS.name / "first_song_readme.txt").read_text() == "Credit the band.\n"
    assert not list(dest.rglob("guitar*")) and not list(dest.rglob("elsewhere*"))
    assert _leftovers(tmp_path) == []


@needs_dpkg
def test_songs_are_mixed_with_their_stems(fake_apt, tmp_path):
    dest = fetch_debian_music(tmp_path / "music", packages=SONGS.name, progress=False)
    table = pd.read_csv(dest / "tracks.csv").set_index("path")
    first = table.loc["b2m-fake-songs/first_song.ogg"]
    assert first["title"] == "First Song"  # from song.ini
    assert first["source"] == f"{SONGS.base}/first_song/song.ogg + guitar.ogg"
    assert table.loc["b2m-fake-songs/second.ogg", "source"] == f"{SONGS.base}/second/song.ogg"
    wave, sr = load_debian_track(dest / "b2m-fake-songs/first_song.ogg")
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(wave.size, 1 / sr)
    for f in (440.0, 1000.0):  # the band and the guitar
        assert spectrum[np.argmin(np.abs(freqs - f))] > 0.2 * spectrum.max()
    assert np.abs(wave).max() <= 0.99


@needs_dpkg
def test_fetch_is_idempotent_and_refetches_an_incomplete_package(fake_apt, tmp_path):
    _, downloads = fake_apt
    dest = tmp_path / "music"
    fetch_debian_music(dest, packages=[FAKE.name], progress=False)
    assert pd.read_csv(dest / "tracks.csv")["package"].unique().tolist() == [FAKE.name]
    track = dest / FAKE.name / "a_theme.ogg"
    stamp = track.stat().st_mtime_ns
    fetch_debian_music(dest, progress=False)
    assert downloads == [FAKE.name, SONGS.name, PK3.name]  # FAKE not downloaded again
    assert track.stat().st_mtime_ns == stamp
    before = (dest / "tracks.csv").read_text()
    assert len(pd.read_csv(dest / "tracks.csv")) == 5
    fetch_debian_music(dest, progress=False)
    assert len(downloads) == 3 and (dest / "tracks.csv").read_text() == before
    track.unlink()  # incomplete now: fetched again
    fetch_debian_music(dest, progress=False)
    assert downloads[-1] == FAKE.name and track.is_file()
    assert (dest / "tracks.csv").read_text() == before


@needs_dpkg
@pytest.mark.parametrize("exception", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_an_interruption_leaves_nothing_half_written(fake_apt, tmp_path, monkeypatch, exception):
    dest = tmp_path / "music"
    fetch_debian_music(dest, packages=[FAKE.name], progress=False)
    before = (dest / "tracks.csv").read_text()
    copies = []
    real_copy = shutil.copyfile

    def copy_then_fail(src, dst, *a, **k):
        copies.append(dst)
        if len(copies) == 3:  # the copyright file, a notice, then the first track
            raise exception
        return real_copy(src, dst, *a, **k)

    monkeypatch.setattr(_debian_unpack.shutil, "copyfile", copy_then_fail)
    (dest / FAKE.name / _debian_unpack.MARKER).write_text("{}")  # outdated: fetched again
    with pytest.raises(type(exception)):
        fetch_debian_music(dest, packages=[FAKE.name, SONGS.name], progress=False)
    assert (dest / "tracks.csv").read_text() == before
    assert (dest / FAKE.name / "a_theme.ogg").is_file()  # the old copy is kept until replaced
    assert not (dest / SONGS.name).exists()
    assert _leftovers(tmp_path) == []
    monkeypatch.setattr(_debian_unpack.shutil, "copyfile", real_copy)
    fetch_debian_music(dest, progress=False)
    assert len(pd.read_csv(dest / "tracks.csv")) == 5


@needs_dpkg
@pytest.mark.parametrize(
    "member", ["../evil.ogg", "/abs/evil.ogg", "sound/cdtracks/../../evil.ogg"]
)
def test_an_archive_with_an_escaping_member_is_refused(fake_apt, tmp_path, member):
    debs, _ = fake_apt
    members = {"sound/cdtracks/good.ogg": _ogg(2.0), member: _ogg(2.0)}
    debs[PK3.name] = _build_deb(tmp_path / "debs", PK3.name, {PK3.archive: _zip(members)}, "9")
    dest = tmp_path / "music"
    with pytest.raises(DebianMusicError, match=r"relative paths without '\.\.'.*" + member[:5]):
        fetch_debian_music(dest, packages=PK3.name, progress=False)
    assert not [p for p in tmp_path.parent.rglob("evil.ogg")]
    assert not (dest / PK3.name).exists() and _leftovers(tmp_path) == []


@needs_dpkg
def test_archive_members_are_size_limited(fake_apt, tmp_path, monkeypatch):
    monkeypatch.setattr(_debian_unpack, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(DebianMusicError, match=r"techno-one\.ogg.*too large"):
        fetch_debian_music(tmp_path / "music", packages=PK3.name, progress=False)


@needs_dpkg
def test_an_unreadable_track_names_the_file(fake_apt, tmp_path):
    debs, _ = fake_apt
    files = {f"{FAKE.base}/broken.ogg": b"OggS but not really"}
    debs[FAKE.name] = _build_deb(tmp_path / "debs", FAKE.name, files, "2")
    with pytest.raises(DebianMusicError, match=r"b2m-fake-music: broken\.ogg cannot be read"):
        fetch_debian_music(tmp_path / "music", packages=FAKE.name, progress=False)


def test_without_apt_the_error_says_how_to_get_the_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get, no dpkg-deb
    with pytest.raises(DebianMusicError) as info:
        fetch_debian_music(tmp_path / "music", packages=["nexuiz-music", "singularity-music"])
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "nexuiz-music, singularity-music" in message and "apt-get and dpkg-deb" in message
    assert "apt-get download nexuiz-music singularity-music" in message
    assert "dpkg-deb -x" in message and "sudo apt-get install" in message
    assert not (tmp_path / "music").exists()  # nothing written


@needs_dpkg
def test_complete_packages_need_no_apt(fake_apt, tmp_path, monkeypatch):
    dest = fetch_debian_music(tmp_path / "music", packages=FAKE.name, progress=False)
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    assert fetch_debian_music(dest, packages=FAKE.name, progress=False) == dest


def _fake_apt_get(folder: Path, script: str) -> Path:
    """Put an ``apt-get`` shell script first on PATH; it logs its arguments to ``calls``."""
    folder.mkdir(exist_ok=True)
    exe = folder / "apt-get"
    exe.write_text(f'#!/bin/sh\necho "$@" >> "{folder}/calls"\n{script}\n')
    exe.chmod(0o755)
    return folder / "calls"


@pytest.mark.parametrize("euid", [0, 1000])
def test_a_failed_download_updates_the_lists_once_when_root(tmp_path, monkeypatch, euid):
    calls = _fake_apt_get(tmp_path / "bin", 'echo "E: Unable to locate package $3" >&2\nexit 100')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(os, "geteuid", lambda: euid, raising=False)
    with pytest.raises(DebianMusicError) as info:
        _debian_unpack.apt_download("nexuiz-music", tmp_path)
    assert "apt-get download nexuiz-music failed: E: Unable to locate package" in str(info.value)
    assert "dpkg-deb -x" in str(info.value)
    expected = ["download -q nexuiz-music"]
    if euid == 0:
        expected += ["update -q", "download -q nexuiz-music"]
    assert calls.read_text().splitlines() == expected


def test_a_download_returns_the_deb(tmp_path, monkeypatch):
    _fake_apt_get(tmp_path / "bin", 'touch "$3_1.0-1_all.deb"')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "deb").mkdir()
    deb = _debian_unpack.apt_download("nexuiz-music", tmp_path / "deb")
    assert deb == tmp_path / "deb" / "nexuiz-music_1.0-1_all.deb"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def test_load_without_tracks_csv_says_how_to_fetch(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"tracks\.csv.*b2m fetch-music --dest"):
        load_debian_music(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="debian_music"):
        load_debian_music()


@needs_dpkg
def test_load_debian_music_filters_and_makes_paths_absolute(fake_apt, tmp_path):
    dest = fetch_debian_music(tmp_path / "music", progress=False)
    frame = load_debian_music(dest, min_seconds=0)
    assert len(frame) == 5 and frame.attrs["root"] == str(dest)
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in frame["path"])
    assert load_debian_music(dest, styles="metal", min_seconds=0)["package"].unique().tolist() == [
        SONGS.name
    ]
    assert len(load_debian_music(dest, styles=["metal", "techno"], min_seconds=0)) == 3
    assert load_debian_music(dest, min_seconds=2.5)["path"].str.endswith("b-march.ogg").all()
    assert len(load_debian_music(dest)) == 0  # the default keeps tracks of a minute or more
    with pytest.raises(ValueError, match=r"styles must be among \[.*received 'jazz'"):
        load_debian_music(dest, styles="jazz")
    with pytest.raises(ValueError, match="min_seconds must be a non-negative number"):
        load_debian_music(dest, min_seconds=-1)


def test_load_debian_track(tmp_path):
    path = tmp_path / "tone.ogg"
    t = np.arange(4 * SR) / SR
    stereo = np.stack([np.sin(2 * np.pi * 200 * t), 0.5 * np.sin(2 * np.pi * 200 * t)], 1)
    sf.write(path, (0.5 * stereo).astype(np.float32), SR, format="OGG", subtype="VORBIS")
    wave, sr = load_debian_track(path)
    assert wave.dtype == np.float32 and wave.ndim == 1 and sr == SR
    assert wave.size == pytest.approx(4 * SR, abs=2)
    assert np.abs(wave).max() == pytest.approx(0.375, abs=0.03)  # the channels averaged
    excerpt, _ = load_debian_track({"path": str(path)}, seconds=1.0)
    assert excerpt.size == SR
    head, _ = load_debian_track(pd.Series({"path": path}), seconds=1.0, offset=0)
    assert np.allclose(head, wave[:SR], atol=1e-4)
    tail, _ = load_debian_track(path, seconds=10.0, offset=3.5)
    assert tail.size == pytest.approx(SR // 2, abs=2)  # cut at the end
    resampled, sr = load_debian_track(path, sr=16000, seconds=1.0)
    assert sr == 16000 and resampled.size == 16000 and resampled.dtype == np.float32
    with pytest.raises(ValueError, match="offset must be before the end"):
        load_debian_track(path, offset=5.0)
    for kwargs, name in (
        ({"seconds": 0}, "seconds"),
        ({"sr": -1}, "sr"),
        ({"offset": -1}, "offset"),
    ):
        with pytest.raises(ValueError, match=f"{name} must be"):
            load_debian_track(path, **kwargs)
    with pytest.raises(FileNotFoundError, match=r"missing\.ogg"):
        load_debian_track(tmp_path / "missing.ogg")
    corrupt = tmp_path / "corrupt.ogg"
    corrupt.write_bytes(b"OggS" + bytes(range(256)) * 4)
    with pytest.raises(ValueError, match=r"Could not decode .*corrupt\.ogg"):
        load_debian_track(corrupt)


# --------------------------------------------------------------------------------------------
# b2m fetch-music
# --------------------------------------------------------------------------------------------
def test_cli_lists_the_packages(capsys, tmp_path):
    assert main(["--data-home", str(tmp_path / "home"), "fetch-music", "--list"]) == 0
    out = capsys.readouterr().out
    for name in REAL_COUNTS:
        assert name in out
    assert "CC-BY-SA-3.0" in out and str(tmp_path / "home" / "debian_music") in out
    assert not (tmp_path / "home").exists()  # listing creates nothing


@needs_dpkg
def test_cli_fetches_and_reports(fake_apt, capsys, tmp_path):
    dest = tmp_path / "music"
    assert main(["fetch-music", "--dest", str(dest), "--packages", FAKE.name, SONGS.name]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == str(dest.resolve()) and "4 tracks" in out[-2]
    assert main(["fetch-music", "--dest", str(dest), "--list"]) == 0
    assert "(fetched: 2 tracks" in capsys.readouterr().out


def test_cli_errors_are_one_line(capsys, tmp_path, monkeypatch):
    assert main(["fetch-music", "--dest", str(tmp_path), "--packages", "jazz-music"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--packages must be among" in err[0] and "'jazz-music'" in err[0]
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["fetch-music", "--dest", str(tmp_path / "m"), "--packages", "nexuiz-music"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("b2m fetch-music: error: ") and "apt-get" in err[0]


# --------------------------------------------------------------------------------------------
# The real music (read-only; B2M_TEST_MUSIC, see conftest.py)
# --------------------------------------------------------------------------------------------
@pytest.mark.realmusic
def test_real_music_has_the_expected_tracks_and_licences(real_music_root):
    frame = load_debian_music(real_music_root, min_seconds=0)
    assert frame.groupby("package").size().to_dict() == REAL_COUNTS
    assert len(frame) == 101
    assert (frame["duration_s"] >= 60).all()
    assert frame["duration_s"].sum() / 3600 > 8.5
    styles = {p.name: p.style for p in DEBIAN_MUSIC_PACKAGES}
    assert (frame["style"] == frame["package"].map(styles)).all()
    assert (frame["licence"].str.len() > 0).all() and (frame["artist"].str.len() > 0).all()
    for package in REAL_COUNTS:
        text = (Path(real_music_root) / package / "copyright").read_text(errors="replace")
        assert len(text) > 500, package
    assert set(frame["sample_rate"]) <= {44100, 48000} and set(frame["channels"]) == {2}


def _decode_problem(path: str, duration: float, *, whole: bool) -> str | None:
    """What is wrong with one track, or None: the whole file or three 5-s excerpts decoded."""
    try:
        with sf.SoundFile(path) as fh:
            rate, channels, total = fh.samplerate, fh.channels, fh.frames
            if whole:
                blocks = fh.blocks(blocksize=1 << 20, dtype="float32", always_2d=True)
            else:
                blocks = []
                for start in (0, (total - 5 * rate) // 2, total - 5 * rate):
                    fh.seek(start)
                    blocks.append(fh.read(5 * rate, dtype="float32", always_2d=True))
            frames, sum_sq = 0, 0.0
            for block in blocks:
                if not np.isfinite(block).all():
                    return f"{path}: NaN or inf samples"
                frames += len(block)
                sum_sq += float(np.square(block, dtype=np.float64).sum())
    except (RuntimeError, ValueError) as exc:
        return f"{path}: {exc}"
    expected = total if whole else 15 * rate
    if abs(total / rate - duration) > 1.0 or total / rate < 60 or abs(frames - expected) > rate:
        return f"{path}: decoded {frames / rate:.1f} s of {total / rate:.1f} s, listed {duration} s"
    if np.sqrt(sum_sq / (frames * channels)) < 1e-3:
        return f"{path}: silent"
    return None


def _decode_problems(frame: pd.DataFrame, *, whole: bool) -> list[str | None]:
    """:func:`_decode_problem` of every track of ``frame``, in threads (libsndfile decodes
    without the GIL), in the frame's order."""
    return thread_map(
        lambda row: _decode_problem(row[0], row[1], whole=whole),
        zip(frame["path"], frame["duration_s"], strict=True),
        resolve_n_jobs(None),
    )


@pytest.mark.realmusic
def test_every_real_track_decodes(real_music_root):
    """Start, middle and end of every track (about 5 s); the whole files are the slow test."""
    frame = load_debian_music(real_music_root, min_seconds=0)
    problems = _decode_problems(frame, whole=False)
    assert not any(problems), "\n".join(filter(None, problems))
    wave, sr = load_debian_track(frame.iloc[0], sr=16000, seconds=10.0)
    assert wave.shape == (160000,) and sr == 16000


@pytest.mark.realmusic
@pytest.mark.slow
def test_every_real_track_decodes_in_full(real_music_root):
    """Every sample of every track (9 h of audio), decoded on every core."""
    frame = load_debian_music(real_music_root, min_seconds=0)
    problems = _decode_problems(frame, whole=True)
    assert not any(problems), "\n".join(filter(None, problems))
