"""``load_study``: one subject of either dataset, behind the one :class:`Study` interface."""

from __future__ import annotations

import os

import numpy as np

from b2m._utils._validation import check_choice
from b2m.datasets._events import SUBJECTS
from b2m.datasets._responses import ResponseWindow
from b2m.datasets._study import Study
from b2m.datasets.bids._files import DERIVATIVES
from b2m.datasets.bids._study import load_real_study
from b2m.datasets.simulation._load import load_simulated_study
from b2m.datasets.simulation._simulate import DEFAULT_SNR

__all__ = ["DATASETS", "load_study"]

#: The datasets :func:`load_study` reads.
DATASETS = ("simulated", "ds003720")


def load_study(
    dataset: str = "simulated",
    subject: str | int = "sub-001",
    *,
    data_home: str | os.PathLike | None = None,
    seed: int = 0,
    snr: float = DEFAULT_SNR,
    noise: bool = True,
    build: bool = True,
    bids_root: str | os.PathLike | None = None,
    derivatives: str | None = None,
    window: ResponseWindow | None = None,
    confounds: list[str] | None = None,
    high_pass: float | None = None,
    mask_img=None,
    gtzan_dir: str | os.PathLike | None = None,
    captions: str | os.PathLike | None = None,
    progressbar: bool = True,
) -> Study:
    """Load one subject's study.

    Parameters
    ----------
    dataset : {"simulated", "ds003720"}, default "simulated"
        ``"simulated"`` is built locally (no download) on first use. ``"ds003720"`` is the
        real study, read from a BIDS folder (see :func:`b2m.datasets.fetch_ds003720` and
        :func:`b2m.datasets.load_ds003720_responses`).
    subject : str or int, default "sub-001"
        ``"sub-001"`` … ``"sub-005"`` or 1–5.
    data_home : str or path-like, optional
        See :func:`b2m.get_data_home`.
    seed, snr, noise : simulated study parameters
        See :func:`b2m.datasets.make_simulated_study`.
    build : bool, default True
        Build the simulated study (or this subject) if missing.
    bids_root : str or path-like, optional
        ds003720 only: the BIDS folder (default ``<data home>/ds003720``).
    derivatives : {"raw", "fmriprep-mni", "fmriprep-fsaverage5"}, optional
        ds003720: raw runs (native voxel space, the default) or fMRIPrep outputs
        (fsaverage5 or MNI). Accepted and checked for every dataset, so one call serves both;
        the simulated study has one form (fsaverage5) and ignores it.
    window : ResponseWindow, optional
        ds003720 only: the haemodynamic window (default ``ResponseWindow()``).
    confounds : list of str, optional
        ds003720 only: fMRIPrep confound columns regressed out per run.
    high_pass : float, optional
        ds003720 only: high-pass cut-off in Hz applied per run (cosine drift regressors),
        e.g. ``1/240`` for Brain2Music's 240-s detrend; default linear detrend only.
    mask_img : path or nibabel image, optional
        ds003720 volume data only: the brain mask (see ``load_ds003720_responses``).
    gtzan_dir : str or path-like, optional
        ds003720 only: local GTZAN copy for :meth:`Study.load_audio` (default: the
        ``B2M_GTZAN`` environment variable, else ``<data home>/gtzan`` when it exists;
        without any, the study loads without audio).
    captions : str or path-like, optional
        ds003720 only: Brain2Music's caption file (default: the file in
        ``<data home>/brain2music_captions/`` when that folder exists, else empty captions).
    progressbar : bool, default True
        ds003720 only: show progress while reading runs.

    Returns
    -------
    Study
    """
    check_choice(dataset, "dataset", DATASETS)
    if isinstance(subject, int | np.integer):
        subject = f"sub-{int(subject):03d}"
    check_choice(subject, "subject", SUBJECTS)
    real_only = {
        "bids_root": bids_root,
        "window": window,
        "confounds": confounds,
        "high_pass": high_pass,
        "mask_img": mask_img,
        "gtzan_dir": gtzan_dir,
        "captions": captions,
    }
    if derivatives is not None:
        check_choice(derivatives, "derivatives", DERIVATIVES)
    if dataset == "ds003720":
        return load_real_study(
            subject,
            derivatives="raw" if derivatives is None else derivatives,
            data_home=data_home,
            progressbar=progressbar,
            **real_only,
        )
    given = [k for k, v in real_only.items() if v is not None]
    if given:
        raise ValueError(
            f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to dataset='ds003720' "
            f"only; received {'it' if len(given) == 1 else 'them'} with dataset='simulated'."
        )
    return load_simulated_study(subject, data_home, seed=seed, snr=snr, noise=noise, build=build)
