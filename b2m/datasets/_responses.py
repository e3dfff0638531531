"""From BOLD time series to one response per clip: the path shared by real and simulated data.

Per run: clean (detrend, z-score, optional confounds) with :func:`nilearn.signal.clean`. Per
clip: average the volumes acquired inside the clip's haemodynamic window
``[onset + delay, onset + delay + duration)``. Lead-in clips (each run's repeated first clip)
are dropped; training clips are heard once, test clips 4 times: the repeats are kept (for
the noise ceiling) and averaged.

Brain2Music averaged the scans covering each embedding window but states no haemodynamic
delay; the default here is the whole 15-s clip shifted by 3 s (two volumes), the usual
peak latency of the BOLD response. Set ``delay=0`` for the literal reading.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._io import save_npz
from b2m._utils._validation import check_array
from b2m.datasets._events import TR

__all__ = ["ClipResponses", "ResponseWindow", "clean_run", "extract_clip_responses"]


@dataclass(frozen=True)
class ResponseWindow:
    """Which volumes form a clip's response.

    Attributes
    ----------
    delay : float, default 3.0
        Haemodynamic delay in seconds added to the clip onset.
    duration : float or None, default None
        Window length in seconds; ``None`` uses the clip's own duration (15 s).
    """

    delay: float = 3.0
    duration: float | None = None

    def __post_init__(self):
        if not np.isfinite(self.delay) or self.delay < 0:
            raise ValueError(f"delay must be a finite number ≥ 0 s; received {self.delay!r}.")
        if self.duration is not None and not (np.isfinite(self.duration) and self.duration > 0):
            raise ValueError(f"duration must be > 0 s or None; received {self.duration!r}.")

    def volumes(self, onset: float, clip_duration: float, n_volumes: int, tr: float) -> np.ndarray:
        """Indices of the volumes whose acquisition time lies inside the window."""
        length = self.duration if self.duration is not None else clip_duration
        t0 = onset + self.delay
        times = np.arange(n_volumes) * tr
        return np.flatnonzero((times >= t0 - 1e-6) & (times < t0 + length - 1e-6))


def clean_run(
    bold,
    *,
    tr: float = TR,
    detrend: bool = True,
    standardize: bool = True,
    high_pass: float | None = None,
    confounds=None,
) -> np.ndarray:
    """Clean one run's time series (detrend, optional filtering/confounds, z-score).

    Parameters
    ----------
    bold : array of shape (n_volumes, n_vertices)
        Raw time series of one run.
    tr : float, default 1.5
        Repetition time in seconds.
    detrend : bool, default True
        Remove a linear trend.
    standardize : bool, default True
        Z-score each vertex over the run.
    high_pass : float, optional
        High-pass cutoff in Hz (e.g. ``1/240``), applied by nilearn's cosine filter.
    confounds : array of shape (n_volumes, n_confounds), optional
        Regressors (motion, …) removed before z-scoring.

    Returns
    -------
    ndarray of shape (n_volumes, n_vertices), float32
    """
    from nilearn.signal import clean

    bold = check_array(bold, "bold", ndim=2, dtype=np.float32, min_samples=3)
    if confounds is not None:
        confounds = check_array(confounds, "confounds", ndim=2, shape=(bold.shape[0], None))
    cleaned = clean(
        bold,
        detrend=detrend,
        standardize="zscore_sample" if standardize else False,
        confounds=confounds,
        high_pass=high_pass,
        t_r=tr,
        ensure_finite=False,
    )
    return np.asarray(cleaned, dtype=np.float32)


@dataclass
class ClipResponses:
    """Clip-wise responses of one subject.

    Attributes
    ----------
    train : ndarray of shape (n_train_clips, n_vertices)
        One response per training clip (heard once).
    train_ids : ndarray of shape (n_train_clips,)
        Clip keys (``genre.000TT``), in order of presentation.
    train_runs : ndarray of shape (n_train_clips,)
        Run of each training clip (the groups for cross-validation).
    test_repeats : ndarray of shape (n_repeats, n_test_clips, n_vertices)
        Each test clip's response at each of its repeats.
    test_ids : ndarray of shape (n_test_clips,)
    test_runs : ndarray of shape (n_test_clips,)
    window : ResponseWindow
    """

    train: np.ndarray
    train_ids: np.ndarray
    train_runs: np.ndarray
    test_repeats: np.ndarray
    test_ids: np.ndarray
    test_runs: np.ndarray
    window: ResponseWindow = field(default_factory=ResponseWindow)

    @property
    def test(self) -> np.ndarray:
        """Test responses averaged over repeats, shape (n_test_clips, n_vertices)."""
        return self.test_repeats.mean(axis=0)

    _KEYS = ("train", "train_ids", "train_runs", "test_repeats", "test_ids", "test_runs")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays :meth:`save` writes: the six attributes and ``window`` (delay, duration
        in s; NaN duration for the clip's own)."""
        duration = np.nan if self.window.duration is None else self.window.duration
        arrays = {key: getattr(self, key) for key in self._KEYS}
        arrays["train_ids"] = np.asarray(self.train_ids).astype(str)
        arrays["test_ids"] = np.asarray(self.test_ids).astype(str)
        arrays["window"] = np.array([self.window.delay, duration], np.float64)
        return arrays

    def save(self, path: str | os.PathLike, **extra: np.ndarray) -> Path:
        """Write the responses, and any ``extra`` arrays beside them, to an ``.npz`` atomically.

        The one on-disk form of clip responses: the simulator and the ds003720 response cache
        both write it (adding their own arrays) and read it with :meth:`from_arrays`.
        """
        clash = sorted(set(extra) & {*self._KEYS, "window"})
        if clash:
            raise ValueError(f"extra arrays must not reuse the responses' keys; received {clash}.")
        return save_npz(path, **self.to_arrays(), **extra)

    @classmethod
    def from_arrays(cls, data) -> ClipResponses:
        """Responses from a mapping of arrays (e.g. an open ``np.load`` of a :meth:`save` file).

        Files of simulated studies built before the ``window`` key stored ``window_delay``
        only; they are read too.
        """
        files = set(getattr(data, "files", data))
        missing = [key for key in cls._KEYS if key not in files]
        if missing or not ({"window", "window_delay"} & files):
            raise KeyError(f"not a clip-responses file: missing {missing or ['window']}.")
        if "window" in files:
            delay, duration = (float(v) for v in data["window"])
        else:
            delay, duration = float(data["window_delay"]), np.nan
        return cls(
            **{key: data[key] for key in cls._KEYS},
            window=ResponseWindow(delay=delay, duration=None if np.isnan(duration) else duration),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> ClipResponses:
        """Read responses :meth:`save` wrote (extra arrays are ignored)."""
        with np.load(path, allow_pickle=False) as data:
            return cls.from_arrays(data)

    def to_frame(self) -> pd.DataFrame:
        """One row per clip: split, clip id, run."""
        return pd.DataFrame(
            {
                "split": ["train"] * len(self.train_ids) + ["test"] * len(self.test_ids),
                "clip_id": np.concatenate([self.train_ids, self.test_ids]),
                "run": np.concatenate([self.train_runs, self.test_runs]),
            }
        )


def _events_responses(events: pd.DataFrame, bold: np.ndarray, window: ResponseWindow, tr: float):
    rows = []
    for onset, duration in zip(
        events["onset"].to_numpy(), events["duration"].to_numpy(), strict=True
    ):
        idx = window.volumes(float(onset), float(duration), bold.shape[0], tr)
        if idx.size == 0:
            raise ValueError(
                f"No volume falls in the response window of the clip at onset {onset} s "
                f"(delay {window.delay} s, {bold.shape[0]} volumes at TR {tr} s)."
            )
        rows.append(bold[idx].mean(axis=0))
    return np.stack(rows)


def extract_clip_responses(
    runs: Iterable[tuple[pd.DataFrame, np.ndarray]],
    *,
    window: ResponseWindow | None = None,
    tr: float = TR,
) -> ClipResponses:
    """Form clip responses from cleaned runs.

    Parameters
    ----------
    runs : iterable of (events, bold)
        One entry per run, read once and in order (a generator keeps one run's BOLD in
        memory at a time). ``events`` is that run's rows of
        :func:`b2m.datasets.load_schedule` (columns ``task``, ``run``, ``onset``,
        ``duration``, ``clip_id``, ``is_lead_in``); ``bold`` an array of shape
        (n_volumes, n_vertices), already cleaned (:func:`clean_run`).
    window : ResponseWindow, optional
        Haemodynamic window (default: 15 s from onset + 3 s).
    tr : float, default 1.5

    Returns
    -------
    ClipResponses
    """
    window = window or ResponseWindow()
    train, train_ids, train_runs = [], [], []
    test: dict[str, list[np.ndarray]] = {}
    test_run: dict[str, int] = {}
    n_vertices = None
    for i, (events, bold) in enumerate(runs):
        bold = check_array(bold, f"runs[{i}] bold", ndim=2, dtype=np.float32)
        if n_vertices is None:
            n_vertices = bold.shape[1]
        elif bold.shape[1] != n_vertices:
            raise ValueError(
                f"runs[{i}] bold has {bold.shape[1]} vertices/voxels; the first run had {n_vertices}."
            )
        kept = events[~events["is_lead_in"].to_numpy(bool)]
        responses = _events_responses(kept, bold, window, tr)
        for task, cid, run, resp in zip(
            kept["task"], kept["clip_id"], kept["run"], responses, strict=True
        ):
            if task == "Training":
                train.append(resp)
                train_ids.append(cid)
                train_runs.append(int(run))
            else:
                test.setdefault(cid, []).append(resp)
                test_run[cid] = int(run)
    if not train or not test:
        raise ValueError("runs must include at least one training and one test run.")
    repeats = {len(v) for v in test.values()}
    if len(repeats) != 1:
        raise ValueError(f"Test clips were heard unequal numbers of times: {sorted(repeats)}.")
    test_ids = np.array(list(test))
    test_repeats = np.stack([np.stack(test[c]) for c in test_ids], axis=1)
    return ClipResponses(
        train=np.stack(train).astype(np.float32),
        train_ids=np.array(train_ids),
        train_runs=np.array(train_runs),
        test_repeats=test_repeats.astype(np.float32),
        test_ids=test_ids,
        test_runs=np.array([test_run[c] for c in test_ids]),
        window=window,
    )
