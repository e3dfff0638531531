"""One subject's study data behind one interface, whatever the dataset."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._validation import check_choice
from b2m.datasets._events import SUBJECTS, TR
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
    ground_truth : dict or None
        The planted model (simulated study only).
    """

    dataset: str
    subject: str
    clips: pd.DataFrame
    responses: ClipResponses
    space: str
    root: Path
    key: str
    sample_rate: int
    ground_truth: dict | None = field(default=None, repr=False)
    tr: float = TR

    # -- clip tables -------------------------------------------------------------------
    @cached_property
    def _clip_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.clips["clip_id"])}

    def clip_indices(self, clip_ids) -> np.ndarray:
        """Row numbers in :attr:`clips` of the given clip ids (unknown id → KeyError)."""
        try:
            return np.array([self._clip_index[c] for c in clip_ids], dtype=int)
        except KeyError as exc:
            raise KeyError(f"clip_ids: unknown clip {exc.args[0]!r} in study {self.key}.") from None

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
            Detrended, z-scored time series (stored at half precision in the simulated study).
        """
        from b2m.datasets._events import load_schedule

        path = self.root / f"{self.subject}_responses.npz"
        with np.load(path) as data:
            if "example_bold" not in data.files:
                raise FileNotFoundError(f"{str(path)!r} holds no example run.")
            bold = data["example_bold"].astype(np.float32)
        schedule = load_schedule()
        events = schedule[(schedule["task"] == "Training") & (schedule["run"] == 1)]
        return events.reset_index(drop=True), bold

    # -- audio ------------------------------------------------------------------------
    def audio_path(self, clip_id: str) -> Path:
        """Path of a clip's audio file."""
        self.clip_indices([clip_id])
        return self.root / "audio" / f"{clip_id}.flac"

    def load_audio(self, clip_id: str) -> tuple[np.ndarray, int]:
        """Return ``(waveform, sample_rate)`` of one clip; waveform of shape (n_samples,)."""
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
        responses = ClipResponses(
            train=data["train"],
            train_ids=data["train_ids"],
            train_runs=data["train_runs"],
            test_repeats=data["test_repeats"],
            test_ids=data["test_ids"],
            test_runs=data["test_runs"],
            window=ResponseWindow(delay=float(data["window_delay"])),
        )
        subject_truth = {"subject_gain": float(data["subject_gain"]), "noise_sd": data["noise_sd"]}
    with np.load(root / "ground_truth.npz") as truth:
        ground_truth = {k: truth[k] for k in truth.files}
    ground_truth.update(subject_truth)
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
) -> Study:
    """Load one subject's study.

    Parameters
    ----------
    dataset : {"simulated", "ds003720"}, default "simulated"
        ``"simulated"`` is built locally (no download) on first use. ``"ds003720"`` (the real
        study) needs its loader, which is not written yet: it raises ``NotImplementedError``.
    subject : str or int, default "sub-001"
        ``"sub-001"`` … ``"sub-005"`` or 1–5.
    data_home : str or path-like, optional
        See :func:`b2m.get_data_home`.
    seed, snr, noise : simulated study parameters
        See :func:`b2m.datasets.make_simulated_study`.
    build : bool, default True
        Build the simulated study (or this subject) if missing.

    Returns
    -------
    Study
    """
    check_choice(dataset, "dataset", DATASETS)
    if isinstance(subject, int | np.integer):
        subject = f"sub-{int(subject):03d}"
    check_choice(subject, "subject", SUBJECTS)
    if dataset == "ds003720":
        raise NotImplementedError(
            "dataset='ds003720': the loader for the real fMRI data is not implemented yet "
            "(see the README, 'Real data'); use dataset='simulated'."
        )
    return _load_simulated(subject, data_home, seed=seed, snr=snr, noise=noise, build=build)
