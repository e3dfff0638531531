"""Reading and embedding music files, one chunk at a time (the task of a library build).

:func:`embed_chunk` is what :func:`b2m.features.embed_music_folder` runs per chunk of files,
in-process or on a Dask worker; it must stay importable by the workers.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from b2m._utils._audio import resample
from b2m.features._base import FeatureSpace

__all__ = [
    "AUDIO_SUFFIXES",
    "METADATA_COLUMNS",
    "UnreadableAudioWarning",
    "check_excerpt",
    "embed_chunk",
    "find_audio_files",
    "reason",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3")

METADATA_COLUMNS = ("clip_id", "path", "genre", "duration", "start", "end", "sample_rate")


class UnreadableAudioWarning(UserWarning):
    """Some files of a music folder could not be read or embedded and were skipped.

    Attributes
    ----------
    failures : list of (str, str)
        ``(path relative to the folder, reason)`` of each skipped file.
    """

    def __init__(self, message: str, failures: list[tuple[str, str]]):
        super().__init__(message)
        self.failures = failures


def find_audio_files(folder: str | os.PathLike) -> list[Path]:
    """Audio files under a folder (recursively), sorted by their relative path.

    Files and folders whose name starts with ``.`` are ignored.

    Parameters
    ----------
    folder : str or path-like
        An existing directory.

    Returns
    -------
    list of pathlib.Path
        Paths relative to ``folder`` whose suffix is in :data:`AUDIO_SUFFIXES`.

    Raises
    ------
    FileNotFoundError
        If ``folder`` is not an existing directory.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        what = "is a file" if root.exists() else "does not exist"
        raise FileNotFoundError(
            f"folder must be an existing directory of audio files; received {str(root)!r}, "
            f"which {what}."
        )
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
            found.append(rel)
    return sorted(found, key=lambda p: p.as_posix())


def check_excerpt(excerpt) -> tuple:
    """Validate ``excerpt``: a length in seconds (centred), ``(start, end)`` or None (whole).

    Returns
    -------
    tuple
        ``("middle", length)``, ``("window", start, end)`` or ``("whole",)``.
    """
    expected = (
        "a positive length in seconds (an excerpt from the middle), a (start, end) pair of "
        "seconds with 0 <= start < end, or None (the whole file)"
    )
    if excerpt is None:
        return ("whole",)
    if isinstance(excerpt, int | float | np.integer | np.floating) and not isinstance(
        excerpt, bool
    ):
        if math.isfinite(excerpt) and excerpt > 0:
            return ("middle", float(excerpt))
    elif isinstance(excerpt, tuple | list) and len(excerpt) == 2:
        try:
            start, end = (float(v) for v in excerpt)
        except (TypeError, ValueError):
            start = end = math.nan
        no_bool = not any(isinstance(v, bool) for v in excerpt)
        if no_bool and math.isfinite(end) and 0 <= start < end:
            return ("window", start, end)
    raise ValueError(f"excerpt must be {expected}; received {excerpt!r}.")


def _read_excerpt(path: Path, excerpt: tuple, sample_rate: int | None):
    """Read one file's excerpt, mixed to mono; return (wave, sr, duration, start, end)."""
    import soundfile as sf

    with sf.SoundFile(path) as fh:
        sr, frames = int(fh.samplerate), int(fh.frames)
        if frames <= 0 or sr <= 0:
            raise ValueError("the file holds no audio frames")
        duration = frames / sr
        if excerpt[0] == "whole":
            start, end = 0.0, duration
        elif excerpt[0] == "middle":
            length = min(excerpt[1], duration)
            start = (duration - length) / 2
            end = start + length
        else:
            start, end = excerpt[1], min(excerpt[2], duration)
            if start >= duration:
                raise ValueError(
                    f"the file lasts {duration:.2f} s, not longer than the excerpt start "
                    f"{start:g} s"
                )
        first = round(start * sr)
        n = max(1, round(end * sr) - first)
        fh.seek(first)
        data = fh.read(n, dtype="float32", always_2d=True)
    wave = data.mean(axis=1)
    if wave.size == 0:
        raise ValueError("no samples could be read")
    if not np.isfinite(wave).all():
        raise ValueError("the samples contain NaN or infinite values")
    if sample_rate is not None and sample_rate != sr:
        wave = resample(wave, sr, sample_rate).astype(np.float32)
        sr = sample_rate
    return wave, sr, duration, start, end


def reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_rows(emb, n: int) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != n:
        raise ValueError(f"embed_audio returned shape {emb.shape}, expected ({n}, n_dims)")
    return emb


def _embed_group(space: FeatureSpace, waves: list[np.ndarray], sr: int) -> list:
    """Embed clips of one sampling rate; on a failure, embed one by one to isolate it."""
    try:
        return list(_check_rows(space.embed_audio(waves, sr), len(waves)))
    except Exception:
        if len(waves) == 1:
            raise
    out: list = []
    for wave in waves:
        try:
            out.append(_check_rows(space.embed_audio([wave], sr), 1)[0])
        except Exception as exc:
            out.append(exc)
    return out


def embed_chunk(space: FeatureSpace, root: str, relpaths: list[str], excerpt, sample_rate):
    """One task: read and embed some files of a folder.

    Returns
    -------
    dict
        ``embeddings`` of shape (n_ok, n_dims) float32 (None when none succeeded), ``rows``
        (metadata dicts, same order) and ``failures`` (``(relpath, reason)`` pairs).
    """
    root_path = Path(root)
    loaded, failures = [], []
    for rel in relpaths:
        path = root_path / rel
        try:
            wave, sr, duration, start, end = _read_excerpt(path, excerpt, sample_rate)
        except Exception as exc:
            failures.append((rel, reason(exc)))
            continue
        parent = Path(rel).parent
        row = {
            "clip_id": Path(rel).with_suffix("").as_posix(),
            "path": str(path.resolve()),
            "genre": parent.name if parent != Path(".") else None,
            "duration": float(duration),
            "start": float(start),
            "end": float(end),
            "sample_rate": int(sr),
        }
        loaded.append((rel, wave, sr, row))
    results: dict[int, object] = {}
    for sr in sorted({item[2] for item in loaded}):
        members = [i for i, item in enumerate(loaded) if item[2] == sr]
        embedded = _embed_group(space, [loaded[i][1] for i in members], sr)
        results.update(zip(members, embedded, strict=True))
    embeddings, rows = [], []
    for i, (rel, _, _, row) in enumerate(loaded):
        emb = results[i]
        if isinstance(emb, BaseException):
            failures.append((rel, f"embedding failed ({reason(emb)})"))
        elif not np.isfinite(emb).all():
            failures.append((rel, "the embedding contains NaN or infinite values"))
        elif not np.any(emb):
            failures.append((rel, "the embedding is all zeros (silent audio?)"))
        else:
            embeddings.append(emb)
            rows.append(row)
    order = {rel: i for i, rel in enumerate(relpaths)}
    failures.sort(key=lambda item: order[item[0]])
    return {
        "embeddings": np.stack(embeddings) if embeddings else None,
        "rows": rows,
        "failures": failures,
    }
