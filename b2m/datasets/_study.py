"""One subject's study data behind one interface, whatever the dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from b2m._utils._validation import UnknownNameError
from b2m.datasets._events import TR
from b2m.datasets._responses import ClipResponses

if TYPE_CHECKING:  # only for the annotation: the simulation package loads studies itself
    from b2m.datasets.simulation._planted import GroundTruth

__all__ = ["Study"]


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
        ``b2m.datasets.simulation._planted.COMPONENTS`` order), ``canonical_gains`` (same shape: the
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
    stimulus_key : str or None
        Identifies the stimuli (clips, audio, captions) where studies with different
        responses share them: the simulated studies of one seed, whatever their SNR or
        noise. None: :attr:`key` identifies them. See :attr:`feature_key`.
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
    stimulus_key: str | None = field(default=None, repr=False)

    @property
    def feature_key(self) -> str:
        """The key of this study's feature caches: :attr:`stimulus_key`, else :attr:`key`.

        Embeddings depend on the stimuli only, so studies that share them share their caches.
        """
        return self.stimulus_key or self.key

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
            from b2m.datasets.bids._load import load_ds003720_run

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
