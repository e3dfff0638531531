"""Per-space readers of ds003720 runs: native voxels, MNI volumes projected to fsaverage5, GIFTI.

Each reader turns one run's files into an array of shape (410, n_features) before cleaning;
:func:`cleaned` then applies :func:`b2m.datasets.clean_run` (detrend, optional high-pass,
confounds, z-score).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._progress import progress
from b2m.datasets._events import N_VOLUMES, TR
from b2m.datasets._responses import clean_run
from b2m.datasets.bids._files import RunFiles
from b2m.datasets.bids._read import (
    load_nifti,
    read_confounds,
    read_gifti_timeseries,
    read_mask,
    read_volume_chunks,
)

__all__ = ["Plan", "cleaned", "epi_mask", "reader", "run_events", "user_mask"]


@dataclass
class Plan:
    """Everything resolved about one subject's files before any image data is read."""

    root: Path
    subject: str
    derivatives: str
    runs: list[RunFiles]
    schedule: pd.DataFrame
    confounds: list[str] | None
    stamps: list
    shape: tuple | None = None
    affine: np.ndarray | None = None
    high_pass: float | None = None


def user_mask(mask_img, plan: Plan, *, resample: bool, name: str = "mask_img") -> np.ndarray:
    """A mask on the runs' grid (resampled by nearest neighbour when ``resample``)."""
    mask, affine = read_mask(mask_img, name=name)
    if mask.shape == tuple(plan.shape) and np.allclose(affine, plan.affine, atol=1e-3):
        return mask
    if not resample:
        same_shape = mask.shape == tuple(plan.shape)
        shift = float(np.abs(affine - plan.affine).max())
        raise ValueError(
            f"{name} must be on the runs' voxel grid (shape {tuple(plan.shape)} and the runs' "
            f"affine); received shape {mask.shape}"
            + (f" with an affine differing by up to {shift:.3g}." if same_shape else ".")
        )
    import nibabel as nib
    from nilearn.image import resample_img

    img = nib.Nifti1Image(mask.astype(np.uint8), affine)
    out = resample_img(
        img,
        target_affine=plan.affine,
        target_shape=plan.shape,
        interpolation="nearest",
        force_resample=True,
        copy_header=True,
    )
    resampled = np.asarray(out.dataobj) != 0
    if not resampled.any():
        raise ValueError(f"{name} resampled onto the BOLD grid is empty: it does not overlap it.")
    return resampled


def epi_mask(plan: Plan, progressbar: bool) -> np.ndarray:
    """nilearn's ``compute_epi_mask`` of the mean image over all runs."""
    import nibabel as nib
    from nilearn.masking import compute_epi_mask

    total = np.zeros(plan.shape, np.float64)
    for r in progress(plan.runs, desc="Mean image", disable=None if progressbar else True):
        img = load_nifti(r.bold[0])
        for _, data in read_volume_chunks(img, r.bold[0]):
            total += data.sum(axis=3, dtype=np.float64)
    mean = total / (len(plan.runs) * N_VOLUMES)
    with warnings.catch_warnings():  # an empty mask gets the error below, not a warning
        warnings.filterwarnings("ignore", message="Computed an empty mask")
        mask = np.asarray(compute_epi_mask(nib.Nifti1Image(mean, plan.affine)).dataobj) != 0
    if not mask.any():
        raise ValueError(
            f"The brain mask computed from the mean image of {plan.subject} is empty "
            f"(grid {tuple(plan.shape)}); pass mask_img=<a brain mask on this grid>."
        )
    return mask


def reader(plan: Plan, mask_img, progressbar: bool):
    """Return ``(read, mask, info)``: read(run) gives (410, n_features) before cleaning."""
    if plan.derivatives == "fmriprep-fsaverage5":

        def read(r: RunFiles):
            return np.concatenate([read_gifti_timeseries(p) for p in r.bold], axis=1)

        return read, None, {"mask": "none (fsaverage5 surface)"}

    if plan.derivatives == "raw":
        if mask_img is not None:
            mask, how = user_mask(mask_img, plan, resample=False), "mask_img"
        else:
            mask, how = epi_mask(plan, progressbar), "compute_epi_mask(mean of all runs)"

        def read(r: RunFiles):
            img = load_nifti(r.bold[0])
            parts = [data[mask].T for _, data in read_volume_chunks(img, r.bold[0])]
            return np.concatenate(parts, axis=0)

        return read, mask, {"mask": how}

    from b2m.datasets.bids._surface import surface_projection

    if mask_img is not None:
        mask, how = user_mask(mask_img, plan, resample=True), "mask_img"
    else:
        masks = [r.mask for r in plan.runs if r.mask is not None]
        mask, how = None, "none (no brain mask found)"
        for path in masks:
            m = user_mask(path, plan, resample=True, name="brain mask")
            mask = m if mask is None else mask & m
        if masks:
            how = f"intersection of {len(masks)} fMRIPrep brain masks"
    projection = surface_projection(plan.affine, plan.shape, mask)

    def read(r: RunFiles):
        img = load_nifti(r.bold[0])
        parts = [projection.apply(data) for _, data in read_volume_chunks(img, r.bold[0])]
        return np.concatenate(parts, axis=0)

    uncovered = int((~projection.covered).sum())
    if uncovered:
        warnings.warn(
            f"{uncovered} fsaverage5 vertices have no sample inside the MNI image/mask; "
            "their responses are 0.",
            UserWarning,
            stacklevel=3,
        )
    return read, None, {"mask": how, "uncovered_vertices": uncovered}


def cleaned(plan: Plan, read, r: RunFiles) -> np.ndarray:
    """One run read and cleaned: array of shape (410, n_features), float32."""
    confounds = read_confounds(r.confounds, plan.confounds) if plan.confounds else None
    return clean_run(read(r), tr=TR, high_pass=plan.high_pass, confounds=confounds)


def run_events(schedule: pd.DataFrame, r: RunFiles) -> pd.DataFrame:
    """The run's 41 rows of the schedule."""
    rows = schedule[(schedule["task"] == r.task) & (schedule["run"] == r.run)]
    return rows.reset_index(drop=True)
