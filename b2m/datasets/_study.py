"""One subject's study data behind one interface, whatever the dataset."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._validation import UnknownNameError, check_choice
from b2m.datasets._bids_files import DERIVATIVES
from b2m.datasets._events import SUBJECTS, TR
from b2m.datasets._planted import GroundTruth
from b2m.datasets._responses import ClipResponses, ResponseWindow
from b2m.datasets._simulate import DEFAULT_SNR, make_simulated_study

__all__ = ["DATASETS", "Study", "load_study"]

DATASETS = ("simulated", "ds003720")


@dataclass
class Study:
    """Clips, their audio and captions, and one subject's clip responses.

    Attributes
    ----------
    dataset : str
        ``"simulated"`` or ``"ds003720"``.
    subject : str
        ``"sub-001"`` … ``"sub-005"``.
    clips : pandas.DataFrame
        One row per unique clip: ``clip_id``, ``genre``, ``track``, ``start``, ``end``,
        ``split`` (``"train"``/``"test"``), ``caption``.
    responses : ClipResponses
        Training responses of shape (480, n_vertices), test repeats (4, 60, n_vertices).
    space : str
        Where responses live (``"fsaverage5"`` for the simulated study).
    root : pathlib.Path
        The study directory.
    key : str
        Identifies the data (dataset + parameters), used in feature cache keys.
    ground_truth : b2m.datasets.GroundTruth or None
        The planted model of this subject (simulated study only; a dict with
        :meth:`~b2m.datasets.GroundTruth.region` for "where was it planted?"): ``gains`` (array of shape
        (3, n_vertices), the subject's own planted regions, rows in
        ``b2m.datasets._planted.COMPONENTS`` order), ``canonical_gains`` (same shape: the
        template's regions, shared by all subjects; the reference for group maps),
        ``centres_<component>`` (array of shape (n_regions, 2, 3): the subject's region
        centres, MNI mm, left/right), ``weights_<component>`` (array of shape (k, n_vertices):
        the subject's read-out weights), ``component_scales`` (array of shape (3,)),
        ``latent_<component>`` (array of shape (n_clips, k), shared), ``signal`` (array of
        shape (n_clips, n_vertices): the noise-free planted responses, rows in
        ``clip_ids`` order), ``clip_ids``, ``subject_gain``, ``noise_sd`` and ``params``.
    mask_img : nibabel.Nifti1Image or None
        Native-space real data only: the brain mask whose non-zero voxels (C order) are the
        columns of the responses; map a voxel vector back to a volume with
        ``nilearn.masking.unmask(values, study.mask_img)``.
    data_home : pathlib.Path or None
        The data home holding the study's caches (features, clip responses).
    stimuli : object or None
        ds003720 only: the GTZAN source (``load_clip(clip_row) -> (waveform, sr)``), or None
        when no GTZAN folder was given.
    source : dict or None
        ds003720 only: how the responses were loaded (BIDS root, derivatives, confounds,
        high-pass cut-off…).
    """

    dataset: str
    subject: str
    clips: pd.DataFrame
    responses: ClipResponses
    space: str
    root: Path
    key: str
    sample_rate: int
    ground_truth: GroundTruth | None = field(default=None, repr=False)
    tr: float = TR
    mask_img: object | None = field(default=None, repr=False)
    data_home: Path | None = field(default=None, repr=False)
    stimuli: object | None = field(default=None, repr=False)
    source: dict | None = field(default=None, repr=False)

    # -- clip tables -------------------------------------------------------------------
    @cached_property
    def _clip_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.clips["clip_id"])}

    def clip_indices(self, clip_ids) -> np.ndarray:
        """Row numbers in :attr:`clips` of the given clip ids (unknown id → KeyError)."""
        try:
            return np.array([self._clip_index[c] for c in clip_ids], dtype=int)
        except KeyError as exc:
            raise UnknownNameError(
                f"clip_ids: unknown clip {exc.args[0]!r} in study {self.key}."
            ) from None

    @property
    def train_clips(self) -> pd.DataFrame:
        """Rows of :attr:`clips` for the training clips, in the order of ``responses.train``."""
        return self.clips.iloc[self.clip_indices(self.responses.train_ids)].reset_index(drop=True)

    @property
    def test_clips(self) -> pd.DataFrame:
        """Rows of :attr:`clips` for the test clips, in the order of ``responses.test``."""
        return self.clips.iloc[self.clip_indices(self.responses.test_ids)].reset_index(drop=True)

    # -- time series --------------------------------------------------------------------
    def load_example_run(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The first training run: its events and its cleaned time series.

        Returns
        -------
        events : pandas.DataFrame
            The run's rows of :func:`b2m.datasets.load_schedule` (41 clips).
        bold : ndarray of shape (410, n_vertices), float32
            Detrended, z-scored time series (stored at half precision in the simulated study;
            for ds003720 read from the BIDS files and cleaned, in the study's space).
        """
        from b2m.datasets._events import load_schedule

        if self.dataset == "ds003720":
            from b2m.datasets._bids import load_ds003720_run

            src = self.source or {}
            return load_ds003720_run(
                src.get("bids_root"),
                self.subject,
                "Training",
                1,
                derivatives=src.get("derivatives", "raw"),
                confounds=src.get("confounds"),
                high_pass=src.get("high_pass"),
                mask_img=src.get("mask_img"),
                data_home=self.data_home,
                progressbar=False,
            )
        path = self.root / f"{self.subject}_responses.npz"
        with np.load(path) as data:
            if "example_bold" not in data.files:
                raise FileNotFoundError(f"{str(path)!r} holds no example run.")
            bold = data["example_bold"].astype(np.float32)
        schedule = load_schedule()
        events = schedule[(schedule["task"] == "Training") & (schedule["run"] == 1)]
        return events.reset_index(drop=True), bold

    # -- audio ------------------------------------------------------------------------
    def require_space(self, space: str = "fsaverage5") -> Study:
        """Return the study if its responses are in ``space``; else say how to get them there.

        For analyses and notebooks that draw the cortical surface: ds003720's raw runs are in
        native voxel space, fMRIPrep's derivatives give fsaverage5.

        Raises
        ------
        ValueError
            If ``study.space`` differs from ``space``.
        """
        if self.space == space:
            return self
        how = (
            " Load ds003720 with derivatives='fmriprep-fsaverage5' or 'fmriprep-mni'."
            if space == "fsaverage5"
            else ""
        )
        raise ValueError(
            f"This analysis needs responses in {space!r} space; received a study of "
            f"{self.subject} in {self.space!r} space.{how}"
        )

    def audio_path(self, clip_id: str) -> Path:
        """Path of a clip's audio file (simulated study; ds003720 clips are GTZAN excerpts)."""
        self.clip_indices([clip_id])
        if self.dataset == "ds003720":
            raise ValueError(
                f"clip {clip_id!r} of ds003720 is a 15-s excerpt of a GTZAN file, not a file of "
                "its own; use study.load_audio(clip_id)."
            )
        return self.root / "audio" / f"{clip_id}.flac"

    def load_audio(self, clip_id: str) -> tuple[np.ndarray, int]:
        """Return ``(waveform, sample_rate)`` of one clip; waveform of shape (n_samples,).

        For ds003720 the excerpt is cut from the local GTZAN copy given to :func:`load_study`
        (``gtzan_dir=`` or the ``B2M_GTZAN`` environment variable); without one this raises
        ``FileNotFoundError`` saying so.
        """
        if self.dataset == "ds003720":
            row = self.clips.iloc[self.clip_indices([clip_id])[0]]
            if self.stimuli is None:
                raise FileNotFoundError(
                    f"No audio for clip {clip_id!r}: ds003720's stimuli are GTZAN excerpts, which "
                    "b2m cannot redistribute. Point to your local GTZAN copy with "
                    "load_study('ds003720', ..., gtzan_dir='/path/to/gtzan') or set the "
                    "B2M_GTZAN environment variable."
                )
            wave, sr = self.stimuli.load_clip(row)
            return np.asarray(wave, dtype=np.float32), int(sr)
        import soundfile as sf

        path = self.audio_path(clip_id)
        try:
            wave, sr = sf.read(path, dtype="float32", always_2d=False)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise OSError(
                f"Cannot read audio of clip {clip_id!r} from {str(path)!r}: {exc}"
            ) from exc
        return (wave.mean(axis=1) if wave.ndim == 2 else wave), int(sr)

    def iter_audio(self, clip_ids=None):
        """Yield ``(clip_id, waveform)`` for the given clips (default: all, table order)."""
        for cid in self.clips["clip_id"] if clip_ids is None else clip_ids:
            yield cid, self.load_audio(cid)[0]

    def __repr__(self) -> str:
        r = self.responses
        return (
            f"Study(dataset={self.dataset!r}, subject={self.subject!r}, "
            f"train={r.train.shape}, test_repeats={r.test_repeats.shape}, space={self.space!r})"
        )


def _planted_signal(truth: dict) -> np.ndarray:
    """A subject's noise-free planted clip responses, recomputed from its saved truth."""
    from b2m.datasets._planted import COMPONENTS, planted_signal

    latents = {c: truth[f"latent_{c}"] for c in COMPONENTS}
    weights = {c: truth[f"weights_{c}"] for c in COMPONENTS}
    scales = dict(zip(COMPONENTS, truth["component_scales"].tolist(), strict=True))
    return planted_signal(latents, truth["gains"], weights, scales)


def _load_simulated(
    subject: str, data_home, *, seed: int, snr: float, noise: bool, build: bool
) -> Study:
    from b2m.datasets._music import SAMPLE_RATE
    from b2m.datasets._simulate import load_clips, simulated_study_dir

    root = simulated_study_dir(data_home, seed=seed, snr=snr, noise=noise)
    if build:
        make_simulated_study(data_home, subjects=[subject], seed=seed, snr=snr, noise=noise)
    path = root / f"{subject}_responses.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"No simulated responses for {subject} in {str(root)!r}; build them with "
            f"b2m.datasets.make_simulated_study(subjects=[{subject!r}]) or `b2m simulate`."
        )
    with np.load(path) as data:
        responses = ClipResponses.from_arrays(data)
        subject_truth = {"subject_gain": float(data["subject_gain"]), "noise_sd": data["noise_sd"]}
        subject_truth.update(
            {k: data[k] for k in data.files if k.startswith(("weights_", "centres_"))}
        )
        subject_truth["gains"] = data["gains"]
        subject_truth["component_scales"] = data["component_scales"]
    with np.load(root / "ground_truth.npz") as truth:
        ground_truth = GroundTruth({k: truth[k] for k in truth.files})
    ground_truth.update(subject_truth)
    ground_truth["signal"] = _planted_signal(ground_truth)
    ground_truth["params"] = json.loads((root / "study.json").read_text())
    return Study(
        dataset="simulated",
        subject=subject,
        clips=load_clips(root),
        responses=responses,
        space="fsaverage5",
        root=root,
        key=root.name,
        sample_rate=SAMPLE_RATE,
        ground_truth=ground_truth,
        data_home=root.parents[1],
    )


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
        from b2m.datasets._bids_study import load_real_study

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
    return _load_simulated(subject, data_home, seed=seed, snr=snr, noise=noise, build=build)
