"""On-disk cache of ds003720 clip responses, keyed by everything that produced them.

The key holds the loader version, subject, derivatives, response window, confound columns,
the mask given (file size and modification time, or a hash of an in-memory image) and the size
and modification time of every input file. Any change gives another file name, so a changed
parameter or file never serves a stale array. Files are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from b2m.datasets._responses import ClipResponses

__all__ = [
    "LOADER_VERSION",
    "cache_file",
    "file_stamp",
    "image_stamp",
    "load_cached",
    "save_cached",
]

#: Bump when the loader's output changes for the same inputs.
LOADER_VERSION = 1


def file_stamp(path: Path) -> list:
    """``[absolute path, size, mtime_ns]`` of a file."""
    stat = Path(path).stat()
    return [str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns]


def image_stamp(img) -> str:
    """A hash of an in-memory image's data, shape and affine."""
    digest = hashlib.sha256()
    data = np.ascontiguousarray(np.asanyarray(img.dataobj))
    digest.update(str((data.shape, data.dtype.str)).encode())
    digest.update(data.tobytes())
    digest.update(np.asarray(img.affine, dtype=np.float64).tobytes())
    return "sha256:" + digest.hexdigest()


def cache_file(data_home: Path, subject: str, derivatives: str, key: dict) -> Path:
    """Path of the cache file for ``key`` (a JSON-serialisable dict)."""
    text = json.dumps({"version": LOADER_VERSION, **key}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    return data_home / "ds003720_responses" / subject / f"{derivatives}-{digest}.npz"


def save_cached(
    path: Path,
    responses: ClipResponses,
    *,
    mask: np.ndarray | None,
    affine: np.ndarray | None,
    meta: dict,
) -> Path:
    """Write responses, the native-space mask (if any) and metadata atomically."""
    return responses.save(
        path,
        mask=np.zeros((0, 0, 0), bool) if mask is None else mask.astype(bool),
        affine=np.full((4, 4), np.nan) if affine is None else affine,
        meta=np.array(json.dumps(meta)),
    )


def load_cached(path: Path):
    """Read a cache file: ``(responses, mask or None, affine or None, meta)``; None if unusable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            responses = ClipResponses.from_arrays(data)
            mask = data["mask"] if data["mask"].size else None
            affine = None if np.isnan(data["affine"]).any() else data["affine"]
            meta = json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return responses, mask, affine, meta
