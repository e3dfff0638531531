"""Clip responses from the real Music Genre fMRI Dataset (OpenNeuro ds003720, BIDS).

Three inputs are read (``derivatives``):

``"raw"``
    ``<bids_root>/sub-XXX/func/sub-XXX_task-{Training,Test}_run-NN_bold.nii[.gz]`` with the
    ``events.tsv`` beside each run. Native voxel space: a brain mask (nilearn's
    ``compute_epi_mask`` on the mean of all runs, or ``mask_img``), then per run detrend,
    optional high-pass filtering and confound regression, and z-scoring
    (:func:`b2m.datasets.clean_run`). No motion
    correction: runs are assumed to share one voxel grid (a warning says when their affines
    differ); use fMRIPrep derivatives for registered data.
``"fmriprep-mni"``
    fMRIPrep's ``..._space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz`` (brain masks
    ``..._desc-brain_mask.nii.gz`` used when present), projected onto fsaverage5 exactly as
    ``nilearn.surface.vol_to_surf`` does with the pial and white surfaces (see
    :mod:`b2m.datasets.bids._surface`), then cleaned per run.
``"fmriprep-fsaverage5"``
    fMRIPrep's ``..._hemi-{L,R}_space-fsaverage5_bold.func.gii``, cleaned per run.

fMRIPrep files live in ``<bids_root>/derivatives/fmriprep`` and may write the run entity with
or without zero padding. The events come from each raw run's ``events.tsv`` (raw) or the
packaged schedule (derivatives) and are validated against the design. Clip responses are then
formed by :func:`b2m.datasets.extract_clip_responses`, the code path the simulated study uses.
Results are cached in the data home (see :mod:`b2m.datasets.bids._cache`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._progress import progress
from b2m._utils._validation import check_choice
from b2m.config import get_data_home
from b2m.datasets._events import SUBJECTS, TR, ScheduleError, load_schedule, validate_schedule
from b2m.datasets._responses import ClipResponses, ResponseWindow, extract_clip_responses
from b2m.datasets.bids._cache import cache_file, file_stamp, image_stamp, load_cached, save_cached
from b2m.datasets.bids._files import DERIVATIVES, BIDSFileError, RunFiles, check_tr, find_runs
from b2m.datasets.bids._read import load_nifti
from b2m.datasets.bids._spaces import Plan, cleaned, reader, run_events

__all__ = [
    "DERIVATIVES",
    "BIDSFileError",
    "DS003720Responses",
    "load_ds003720_responses",
    "load_ds003720_run",
]


@dataclass
class DS003720Responses:
    """One subject's clip responses from ds003720, with where they live.

    Attributes
    ----------
    responses : ClipResponses
        Training responses of shape (480, n_features), test repeats (4, 60, n_features);
        ``n_features`` is the number of mask voxels (native) or 20484 vertices (fsaverage5).
    schedule : pandas.DataFrame
        The validated schedule the responses were formed with (738 rows).
    space : str
        ``"native"`` (raw) or ``"fsaverage5"`` (fMRIPrep derivatives).
    mask_img : nibabel.Nifti1Image or None
        Native space: the brain mask whose non-zero voxels, in C order, are the features.
    subject, derivatives : str
    cache_path : pathlib.Path
        The cache file.
    from_cache : bool
        Whether this result was read from the cache.
    info : dict
        ``n_features``, ``mask`` (how it was made), ``confounds``, ``uncovered_vertices`` …
    """

    responses: ClipResponses
    schedule: pd.DataFrame
    space: str
    mask_img: object | None
    subject: str
    derivatives: str
    cache_path: Path
    from_cache: bool
    info: dict = field(default_factory=dict)


def _check_args(bids_root, subject, derivatives, confounds, mask_img, data_home):
    if isinstance(subject, int | np.integer):
        subject = f"sub-{int(subject):03d}"
    check_choice(subject, "subject", SUBJECTS)
    check_choice(derivatives, "derivatives", DERIVATIVES)
    if confounds is not None:
        if not isinstance(confounds, list | tuple) or not all(
            isinstance(c, str) and c for c in confounds
        ):
            raise TypeError(
                "confounds must be None or a list of fMRIPrep confound column names such as "
                f"['trans_x', 'rot_x']; received {confounds!r}."
            )
        confounds = list(confounds) or None
    if mask_img is not None and derivatives == "fmriprep-fsaverage5":
        raise ValueError(
            "mask_img applies to volume data (derivatives='raw' or 'fmriprep-mni'); "
            "received a mask with derivatives='fmriprep-fsaverage5'."
        )
    if bids_root is None:
        bids_root = get_data_home(data_home) / "ds003720"
    root = Path(bids_root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"bids_root {str(root)!r} does not exist. Download the data with "
            "b2m.datasets.fetch_ds003720() or pass bids_root=<your ds003720 folder>."
        )
    return root.resolve(), subject, confounds


def _check_high_pass(high_pass) -> float | None:
    """``None`` or a cut-off in Hz between 0 and the Nyquist frequency (1 / (2 TR))."""
    if high_pass is None:
        return None
    nyquist = 1 / (2 * TR)
    if (
        isinstance(high_pass, bool)
        or not isinstance(high_pass, int | float | np.integer | np.floating)
        or not (np.isfinite(high_pass) and 0 < high_pass < nyquist)
    ):
        raise ValueError(
            f"high_pass must be None or a cut-off in Hz between 0 and the Nyquist frequency "
            f"{nyquist:.3g} Hz (e.g. 1/240 for Brain2Music's 240-s detrend); "
            f"received {high_pass!r}."
        )
    return float(high_pass)


def _schedule(runs: list[RunFiles], derivatives: str) -> pd.DataFrame:
    if derivatives != "raw":
        return load_schedule()
    with tempfile.TemporaryDirectory() as tmp:
        for r in runs:  # canonical names, whatever the run padding
            shutil.copyfile(r.events, Path(tmp) / f"task-{r.task}_run-{r.run:02d}_events.tsv")
        schedule = load_schedule(tmp, validate=False)
    try:
        validate_schedule(schedule)
    except ScheduleError as exc:
        folder = runs[0].events.parent
        raise ScheduleError(f"events.tsv files in {str(folder)!r}: {exc}") from exc
    return schedule


def _prepare(
    bids_root, subject, derivatives, confounds, mask_img, data_home, high_pass=None
) -> Plan:
    high_pass = _check_high_pass(high_pass)
    root, subject, confounds = _check_args(
        bids_root, subject, derivatives, confounds, mask_img, data_home
    )
    runs = find_runs(root, subject, derivatives, need_confounds=confounds is not None)
    schedule = _schedule(runs, derivatives)
    plan = Plan(
        root, subject, derivatives, runs, schedule, confounds, stamps=[], high_pass=high_pass
    )
    first = None
    for r in runs:
        sidecar = check_tr(r.bold[0], root, subject, r.task, r.run)
        inputs = [*r.bold, r.events, r.mask, sidecar, r.confounds if confounds else None]
        plan.stamps += [file_stamp(p) for p in inputs if p is not None]
        if derivatives == "fmriprep-fsaverage5":
            continue
        img = load_nifti(r.bold[0])
        if first is None:
            first, plan.shape, plan.affine = r, img.shape[:3], np.asarray(img.affine, float)
        elif img.shape[:3] != plan.shape:
            raise BIDSFileError(
                f"{str(r.bold[0])!r} has grid {img.shape[:3]}; {first.label} has {plan.shape}. "
                "All runs must share one voxel grid.",
                path=r.bold[0],
            )
        elif not np.allclose(img.affine, plan.affine, atol=1e-3):
            shift = float(np.abs(np.asarray(img.affine) - plan.affine).max())
            if derivatives != "raw":
                raise BIDSFileError(
                    f"{str(r.bold[0])!r}: its affine differs from {first.label}'s by up to "
                    f"{shift:.3g}; fMRIPrep outputs in one space must share one grid.",
                    path=r.bold[0],
                )
            warnings.warn(
                f"{r.label} of {subject}: its affine differs from {first.label}'s by up to "
                f"{shift:.3g} (no motion correction is applied to raw runs; voxels are compared "
                "by index). Use fMRIPrep derivatives for registered data.",
                UserWarning,
                stacklevel=4,
            )
    return plan


def _mask_image(mask, affine):
    if mask is None:
        return None
    import nibabel as nib

    return nib.Nifti1Image(mask.astype(np.uint8), affine)


# --------------------------------------------------------------------------------------------
# Public
# --------------------------------------------------------------------------------------------
def load_ds003720_responses(
    bids_root: str | os.PathLike | None = None,
    subject: str | int = "sub-001",
    *,
    derivatives: str = "raw",
    window: ResponseWindow | None = None,
    confounds: list[str] | None = None,
    mask_img=None,
    data_home: str | os.PathLike | None = None,
    progressbar: bool = True,
    high_pass: float | None = None,
) -> DS003720Responses:
    """Load one subject's clip responses from the ds003720 BIDS tree (cached).

    Parameters
    ----------
    bids_root : str or path-like, optional
        The dataset folder; default ``<data home>/ds003720`` (where
        :func:`b2m.datasets.fetch_ds003720` puts it).
    subject : str or int, default "sub-001"
        ``"sub-001"`` … ``"sub-005"`` or 1–5.
    derivatives : {"raw", "fmriprep-mni", "fmriprep-fsaverage5"}, default "raw"
        Which files to read (see the module documentation).
    window : ResponseWindow, optional
        Haemodynamic window (default ``ResponseWindow()``: the clip shifted by 3 s).
    confounds : list of str, optional
        fMRIPrep confound columns to regress out per run (``fnmatch`` patterns such as
        ``"a_comp_cor_0*"`` allowed), read from ``..._desc-confounds_timeseries.tsv`` in the
        fMRIPrep folder (also for ``"raw"``).
    mask_img : path or nibabel image, optional
        Volume data only. Raw: a mask on the runs' grid (default: ``compute_epi_mask`` of the
        mean image). MNI: restricts the sampled voxels (resampled to the BOLD grid; default:
        the intersection of fMRIPrep's brain masks).
    data_home : str or path-like, optional
        Where the cache lives (see :func:`b2m.get_data_home`).
    progressbar : bool, default True
    high_pass : float, optional
        High-pass cut-off in Hz applied to every run before z-scoring (nilearn's cosine
        drift regressors, :func:`nilearn.signal.clean`), e.g. ``1/240`` to match the 240-s
        detrend of Brain2Music (they used a median filter). Default: linear detrend only.
        Part of the cache key.

    Returns
    -------
    DS003720Responses

    Raises
    ------
    FileNotFoundError
        Missing ``bids_root``, subject folder or run files (all missing runs are listed).
    BIDSFileError
        Corrupt or truncated NIfTI/GIFTI, wrong number of volumes, wrong repetition time.
    ScheduleError
        The events differ from the ds003720 design (the message lists how).
    ValueError
        Unknown ``derivatives`` or ``subject``; a mask that does not fit.
    """
    window = ResponseWindow() if window is None else window
    if not isinstance(window, ResponseWindow):
        raise TypeError(f"window must be a ResponseWindow; received {type(window).__name__}.")
    if not isinstance(progressbar, bool):
        raise TypeError(f"progressbar must be True or False; received {progressbar!r}.")
    plan = _prepare(bids_root, subject, derivatives, confounds, mask_img, data_home, high_pass)
    key = {
        "subject": plan.subject,
        "derivatives": plan.derivatives,
        "window": [window.delay, window.duration],
        "confounds": plan.confounds,
        "mask_img": None if mask_img is None else _mask_stamp(mask_img),
        "files": plan.stamps,
    }
    if plan.high_pass is not None:  # absent by default, so earlier caches stay valid
        key["high_pass"] = plan.high_pass
    path = cache_file(get_data_home(data_home), plan.subject, plan.derivatives, key)
    space = "native" if plan.derivatives == "raw" else "fsaverage5"
    cached = load_cached(path)
    if cached is not None:
        responses, mask, affine, meta = cached
        return DS003720Responses(
            responses,
            plan.schedule,
            space,
            _mask_image(mask, affine),
            plan.subject,
            plan.derivatives,
            path,
            True,
            meta,
        )
    read, mask, info = reader(plan, mask_img, progressbar)
    bar = progress(plan.runs, desc=f"{plan.subject} runs", disable=None if progressbar else True)
    runs = ((run_events(plan.schedule, r), cleaned(plan, read, r)) for r in bar)
    responses = extract_clip_responses(runs, window=window, tr=TR)
    info = {
        **info,
        "bids_root": str(plan.root),
        "space": space,
        "n_features": int(responses.train.shape[1]),
        "confounds": plan.confounds,
        "high_pass": plan.high_pass,
    }
    save_cached(
        path, responses, mask=mask, affine=plan.affine if mask is not None else None, meta=info
    )
    return DS003720Responses(
        responses,
        plan.schedule,
        space,
        _mask_image(mask, plan.affine),
        plan.subject,
        plan.derivatives,
        path,
        False,
        info,
    )


def _mask_stamp(mask_img):
    if isinstance(mask_img, str | os.PathLike):
        path = Path(mask_img)
        if not path.is_file():
            raise FileNotFoundError(f"mask_img: file not found: {str(path)!r}.")
        return file_stamp(path)
    if not hasattr(mask_img, "dataobj"):
        raise TypeError(
            "mask_img must be a path to a NIfTI file or a nibabel image; "
            f"received {type(mask_img).__name__}."
        )
    return image_stamp(mask_img)


def load_ds003720_run(
    bids_root: str | os.PathLike | None = None,
    subject: str | int = "sub-001",
    task: str = "Training",
    run: int = 1,
    *,
    derivatives: str = "raw",
    confounds: list[str] | None = None,
    mask_img=None,
    data_home: str | os.PathLike | None = None,
    progressbar: bool = True,
    high_pass: float | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One run's events and cleaned time series, in the space :func:`load_ds003720_responses` uses.

    Parameters
    ----------
    bids_root, subject, derivatives, confounds, mask_img, data_home, progressbar, high_pass
        As for :func:`load_ds003720_responses` (raw without ``mask_img`` computes the brain
        mask from all runs, as the responses do).
    task : {"Training", "Test"}, default "Training"
    run : int, default 1
        1–12 (Training) or 1–6 (Test).

    Returns
    -------
    events : pandas.DataFrame
        The run's 41 rows of the schedule.
    bold : ndarray of shape (410, n_features), float32
        Detrended (high-passed, confound-regressed), z-scored time series.
    """
    check_choice(task, "task", ("Training", "Test"))
    n_runs = 12 if task == "Training" else 6
    if not isinstance(run, int | np.integer) or not 1 <= run <= n_runs:
        raise ValueError(
            f"run must be an integer in 1..{n_runs} for task {task!r}; received {run!r}."
        )
    plan = _prepare(bids_root, subject, derivatives, confounds, mask_img, data_home, high_pass)
    read, _, _ = reader(plan, mask_img, progressbar)
    r = next(x for x in plan.runs if x.task == task and x.run == int(run))
    return run_events(plan.schedule, r), cleaned(plan, read, r)
