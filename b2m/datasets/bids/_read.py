"""Reading the images and tables of a ds003720 BIDS tree; every failure names the file.

A NIfTI or GIFTI that nibabel cannot parse (corrupt) or whose data ends early (truncated) is
reported with its path, as is a run with the wrong number of volumes or vertices.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from b2m.datasets._events import N_VOLUMES, TR
from b2m.datasets.bids._files import BIDSFileError

__all__ = [
    "load_nifti",
    "read_confounds",
    "read_gifti_timeseries",
    "read_mask",
    "read_volume_chunks",
]

_N_VERTICES_HEMI = 10242


# --------------------------------------------------------------------------------------------
# NIfTI
# --------------------------------------------------------------------------------------------
def load_nifti(path: Path, *, ndim: int | None = 4, n_volumes: int | None = N_VOLUMES):
    """Open a NIfTI lazily and check it; errors name the file.

    Checks that nibabel can parse the header, that an uncompressed file is not shorter than its
    header promises (a truncated download), the number of dimensions and of volumes.
    """
    import nibabel as nib

    try:
        img = nib.load(str(path), keep_file_open=True if str(path).endswith(".gz") else False)
    except Exception as exc:  # nibabel raises many types for a bad file
        raise BIDSFileError(
            f"cannot read NIfTI {str(path)!r} (corrupt or not a NIfTI file): "
            f"{type(exc).__name__}: {exc}",
            path=path,
        ) from exc
    if not hasattr(img, "dataobj") or len(img.shape) < 3:
        raise BIDSFileError(
            f"{str(path)!r} is not a volume image; received shape {img.shape}.", path=path
        )
    if not str(path).endswith(".gz"):
        header = img.header
        offset = int(header.get_data_offset())
        need = offset + int(np.prod(img.shape)) * header.get_data_dtype().itemsize
        size = os.path.getsize(path)
        if size < need:
            raise BIDSFileError(
                f"NIfTI {str(path)!r} is truncated: its header describes {need} bytes, the file "
                f"has {size}. Download it again (b2m.datasets.fetch_ds003720 verifies files).",
                path=path,
            )
    if ndim is not None and len(img.shape) != ndim:
        raise BIDSFileError(
            f"{str(path)!r} must be a {ndim}-D image; received shape {img.shape}.", path=path
        )
    if n_volumes is not None and img.shape[3] != n_volumes:
        raise BIDSFileError(
            f"{str(path)!r} must hold {n_volumes} volumes (615 s at TR {TR} s); "
            f"received {img.shape[3]}.",
            path=path,
        )
    return img


def read_volume_chunks(img, path: Path, *, chunk: int = 64):
    """Yield ``(start, data)`` with ``data`` of shape (x, y, z, n) float32, volumes in order."""
    n = img.shape[3]
    for start in range(0, n, chunk):
        try:
            data = np.asarray(img.dataobj[..., start : start + chunk], dtype=np.float32)
        except Exception as exc:
            raise BIDSFileError(
                f"cannot read volumes {start}-{min(start + chunk, n) - 1} of {str(path)!r} "
                f"(truncated or corrupt): {type(exc).__name__}: {exc}",
                path=path,
            ) from exc
        if not np.isfinite(data).all():
            raise BIDSFileError(f"{str(path)!r} holds NaN or infinite values.", path=path)
        yield start, data


def read_mask(path_or_img, name: str = "mask_img"):
    """Read a 3-D mask (path or nibabel image) as ``(bool array, affine)``."""
    import nibabel as nib

    if isinstance(path_or_img, str | os.PathLike):
        path = Path(path_or_img)
        if not path.is_file():
            raise FileNotFoundError(f"{name}: file not found: {str(path)!r}.")
        img = load_nifti(path, ndim=None, n_volumes=None)
    elif isinstance(path_or_img, nib.spatialimages.SpatialImage):
        img, path = path_or_img, None
    else:
        raise TypeError(
            f"{name} must be a path to a NIfTI file or a nibabel image; "
            f"received {type(path_or_img).__name__}."
        )
    try:
        data = np.asanyarray(img.dataobj)
    except Exception as exc:
        where = f" {str(path)!r}" if path is not None else ""
        raise BIDSFileError(f"cannot read {name}{where}: {exc}", path=path or name) from exc
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"{name} must be a 3-D image; received shape {data.shape}.")
    mask = np.asarray(data != 0)
    if not mask.any():
        where = f" ({str(path)!r})" if path is not None else ""
        raise ValueError(f"{name}{where} is empty: no non-zero voxel.")
    return mask, np.asarray(img.affine, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# GIFTI and confounds
# --------------------------------------------------------------------------------------------
def read_gifti_timeseries(path: Path) -> np.ndarray:
    """Read an fsaverage5 hemisphere time series as an array of shape (410, 10242), float32."""
    import nibabel as nib

    try:
        img = nib.load(str(path))
        arrays = [np.asarray(d.data) for d in img.darrays]
    except Exception as exc:
        raise BIDSFileError(
            f"cannot read GIFTI {str(path)!r} (corrupt or truncated): {type(exc).__name__}: {exc}",
            path=path,
        ) from exc
    if len(arrays) == 1 and arrays[0].ndim == 2:
        data = arrays[0]
        data = data.T if data.shape[0] == _N_VERTICES_HEMI else data
    elif arrays and all(a.ndim == 1 for a in arrays):
        data = np.stack(arrays)
    else:
        shapes = [a.shape for a in arrays][:3]
        raise BIDSFileError(
            f"GIFTI {str(path)!r} must hold a time series (one 1-D array per volume); "
            f"received {len(arrays)} data array(s) of shapes {shapes}.",
            path=path,
        )
    if data.shape[1] != _N_VERTICES_HEMI:
        raise BIDSFileError(
            f"GIFTI {str(path)!r} must have {_N_VERTICES_HEMI} vertices (fsaverage5); "
            f"received {data.shape[1]}.",
            path=path,
        )
    if data.shape[0] != N_VOLUMES:
        raise BIDSFileError(
            f"GIFTI {str(path)!r} must hold {N_VOLUMES} volumes; received {data.shape[0]}.",
            path=path,
        )
    data = data.astype(np.float32)
    if not np.isfinite(data).all():
        raise BIDSFileError(f"GIFTI {str(path)!r} holds NaN or infinite values.", path=path)
    return data


def read_confounds(path: Path, columns: list[str]) -> np.ndarray:
    """Read fMRIPrep confound columns (``fnmatch`` patterns allowed) as (410, n) float64.

    Leading ``n/a`` values (derivative and framewise-displacement columns) are replaced by the
    column mean.
    """
    from fnmatch import fnmatchcase

    import pandas as pd

    try:
        table = pd.read_csv(path, sep="\t", na_values=["n/a", "NaN", "nan"])
    except Exception as exc:
        raise BIDSFileError(f"cannot read confounds {str(path)!r}: {exc}", path=path) from exc
    chosen: list[str] = []
    for pattern in columns:
        hits = [c for c in table.columns if fnmatchcase(c, pattern)]
        if not hits:
            shown = list(table.columns[:12]) + (["..."] if len(table.columns) > 12 else [])
            raise ValueError(
                f"confounds: column {pattern!r} not found in {str(path)!r}; available: {shown}."
            )
        chosen += [c for c in hits if c not in chosen]
    if len(table) != N_VOLUMES:
        raise BIDSFileError(
            f"confounds {str(path)!r} must have {N_VOLUMES} rows; received {len(table)}.",
            path=path,
        )
    values = table[chosen].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    means = np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=0)
    if not np.isfinite(means).all():
        bad = [c for c, m in zip(chosen, means, strict=True) if not np.isfinite(m)]
        raise BIDSFileError(f"confounds {str(path)!r}: columns {bad} hold no number.", path=path)
    return np.where(np.isfinite(values), values, means)
