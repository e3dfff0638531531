"""The ds003720 stimulus schedule: robust ``events.tsv`` parsing and validation.

The real files (packaged under ``b2m/datasets/data/ds003720_events``, CC0) carry quirks:
genres wrapped in single quotes, a few with only the closing quote, CRLF line endings, a
missing final newline, and a first clip in every run that repeats another clip (training:
the previous run's last clip; test: the same run's last clip). The schedule is identical
for the five subjects.
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from b2m.constants import (
    CLIP_SECONDS,
    FADE_SECONDS,
    GENRES,
    N_RUNS,
    N_VOLUMES,
    SAMPLE_RATE,
    SUBJECTS,
    TR,
)

__all__ = [
    "CLIP_SECONDS",
    "FADE_SECONDS",
    "GENRES",
    "N_RUNS",
    "N_VOLUMES",
    "SAMPLE_RATE",
    "SUBJECTS",
    "TR",
    "ScheduleError",
    "clip_id",
    "clips_from_schedule",
    "load_schedule",
    "read_events_tsv",
    "validate_schedule",
]

_EXPECTED = {"Training": {"unique": 480, "repeats": 1}, "Test": {"unique": 60, "repeats": 4}}
_COLUMNS = ("onset", "duration", "genre", "track", "start", "end")


class ScheduleError(ValueError):
    """The schedule differs from the one ds003720 promises; the message says how."""


def clip_id(genre: str, track: int) -> str:
    """Return the clip key used across b2m and the Brain2Music captions, e.g. ``blues.00017``."""
    return f"{genre}.{int(track):05d}"


def read_events_tsv(path: str | os.PathLike) -> pd.DataFrame:
    """Read one ds003720 ``events.tsv`` robustly.

    Parameters
    ----------
    path : str or path-like
        The ``*_events.tsv`` file.

    Returns
    -------
    pandas.DataFrame
        Columns ``onset duration genre track start end`` (floats, ``track`` int, ``genre``
        with quotes and whitespace removed), one row per presented clip, in file order.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a required column is missing or a value cannot be parsed; the message names the
        file, the row and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"events file not found: {str(path)!r}")
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    frame = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path.name}: missing column(s) {missing}; expected {list(_COLUMNS)}, "
            f"received {list(frame.columns)}."
        )
    frame = frame[list(_COLUMNS)].copy()
    frame = frame[~(frame == "").all(axis=1)]  # blank trailing lines
    frame["genre"] = frame["genre"].str.strip().str.strip("'\"").str.strip().str.lower()
    for col in ("onset", "duration", "start", "end", "track"):
        values = pd.to_numeric(frame[col].str.strip(), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            row = int(bad[0])
            raise ValueError(
                f"{path.name}: column {col!r} row {row + 1} must be a number; "
                f"received {frame[col].iloc[row]!r}."
            )
        frame[col] = values
    frame["track"] = frame["track"].astype(int)
    return frame.reset_index(drop=True)


def clips_from_schedule(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per unique clip (480 training, then 60 test, in order of first presentation).

    The clip table of the real study and of the simulated one.

    Parameters
    ----------
    schedule : pandas.DataFrame
        :func:`load_schedule`'s table.

    Returns
    -------
    pandas.DataFrame
        Columns ``clip_id``, ``genre``, ``track``, ``start``, ``end``, ``split``, ``caption``
        (empty strings).
    """
    kept = schedule[~schedule["is_lead_in"]]
    clips = (
        kept.drop_duplicates("clip_id")[["task", "clip_id", "genre", "track", "start", "end"]]
        .assign(split=lambda d: np.where(d["task"] == "Training", "train", "test"))
        .drop(columns="task")
        .reset_index(drop=True)
    )
    clips["caption"] = ""
    return clips


def _packaged_events_dir() -> Path:
    return Path(str(resources.files("b2m.datasets") / "data" / "ds003720_events"))


def load_schedule(
    events_dir: str | os.PathLike | None = None, *, validate: bool = True
) -> pd.DataFrame:
    """Load the whole ds003720 stimulus schedule (all 18 runs).

    Parameters
    ----------
    events_dir : str or path-like, optional
        Directory with ``task-{Training,Test}_run-NN_events.tsv`` (or a BIDS ``func`` folder
        with ``sub-XXX_`` prefixes). Default: the real files packaged with b2m.
    validate : bool, default True
        Check the schedule against what the dataset promises (see :func:`validate_schedule`).

    Returns
    -------
    pandas.DataFrame
        One row per presentation (738 rows): ``task``, ``run`` (1-based), ``position``
        (0–40 within the run), ``onset``, ``duration``, ``genre``, ``track``, ``start``,
        ``end``, ``clip_id``, ``is_lead_in`` (the repeated first clip, excluded from
        analysis) and ``repeat`` (0-based presentation count of the clip within its task,
        lead-ins excluded; test clips have 0–3).
    """
    events_dir = Path(events_dir) if events_dir is not None else _packaged_events_dir()
    frames = []
    for task, n_runs in N_RUNS.items():
        for run in range(1, n_runs + 1):
            pattern = f"*task-{task}_run-{run:02d}_events.tsv"
            matches = sorted(events_dir.glob(pattern))
            if not matches:
                raise FileNotFoundError(
                    f"events_dir {str(events_dir)!r} has no file matching {pattern!r}."
                )
            frame = read_events_tsv(matches[0])
            frame.insert(0, "position", np.arange(len(frame)))
            frame.insert(0, "run", run)
            frame.insert(0, "task", task)
            frames.append(frame)
    schedule = pd.concat(frames, ignore_index=True)
    schedule["clip_id"] = [
        clip_id(g, t) for g, t in zip(schedule["genre"], schedule["track"], strict=True)
    ]
    schedule["is_lead_in"] = schedule["position"] == 0
    schedule["repeat"] = -1
    kept = ~schedule["is_lead_in"]
    schedule.loc[kept, "repeat"] = schedule[kept].groupby(["task", "clip_id"]).cumcount()
    if validate:
        validate_schedule(schedule)
    return schedule


def validate_schedule(schedule: pd.DataFrame) -> None:
    """Check a schedule against the ds003720 design; raise :class:`ScheduleError` if it differs.

    Checked: 12 training and 6 test runs; 41 clips of 15 s per run at 15 s spacing (615 s,
    i.e. 410 volumes at TR 1.5 s); the first clip of a training run equals the previous
    run's last clip (run 1: run 12's), of a test run its own last clip; 480 unique training
    clips heard once; 60 unique test clips heard 4 times; no clip in both sets. Every
    difference found is listed in the message.
    """
    problems: list[str] = []
    for task, n_runs in N_RUNS.items():
        sub = schedule[schedule["task"] == task]
        runs = sorted(sub["run"].unique())
        if runs != list(range(1, n_runs + 1)):
            problems.append(f"{task}: expected runs 1..{n_runs}, found {runs}")
        for run, rows in sub.groupby("run"):
            if len(rows) != 41:
                problems.append(f"{task} run {run}: expected 41 clips, found {len(rows)}")
            onsets = rows["onset"].to_numpy()
            if not np.allclose(onsets, np.arange(len(rows)) * CLIP_SECONDS):
                problems.append(f"{task} run {run}: onsets are not 0, 15, ..., 600 s")
            if not np.allclose(rows["duration"], CLIP_SECONDS):
                problems.append(f"{task} run {run}: durations are not all 15 s")
            if np.any(rows["end"].to_numpy() - rows["start"].to_numpy() - CLIP_SECONDS > 1e-6):
                problems.append(f"{task} run {run}: excerpt end - start is not 15 s")
            if task == "Test" and rows["clip_id"].iloc[0] != rows["clip_id"].iloc[-1]:
                problems.append(f"Test run {run}: first clip is not the run's last clip")
            if task == "Training":
                prev = n_runs if run == 1 else run - 1
                prev_rows = sub[sub["run"] == prev]
                if len(prev_rows) and rows["clip_id"].iloc[0] != prev_rows["clip_id"].iloc[-1]:
                    problems.append(
                        f"Training run {run}: first clip {rows['clip_id'].iloc[0]} is not the "
                        f"last clip of run {prev} ({prev_rows['clip_id'].iloc[-1]})"
                    )
        kept = sub[~sub["is_lead_in"]]
        counts = kept["clip_id"].value_counts()
        want = _EXPECTED[task]
        if len(counts) != want["unique"]:
            problems.append(f"{task}: expected {want['unique']} unique clips, found {len(counts)}")
        off = counts[counts != want["repeats"]]
        if len(off):
            listed = ", ".join(f"{c}×{n}" for c, n in off.head(5).items())
            problems.append(
                f"{task}: expected every clip {want['repeats']}× , found {len(off)} that are not "
                f"({listed}{', ...' if len(off) > 5 else ''})"
            )
    train_ids = set(schedule.loc[schedule["task"] == "Training", "clip_id"])
    test_ids = set(schedule.loc[schedule["task"] == "Test", "clip_id"])
    both = sorted(train_ids & test_ids)
    if both:
        problems.append(f"{len(both)} clip(s) in both training and test, e.g. {both[:3]}")
    if problems:
        raise ScheduleError(
            "The schedule differs from the ds003720 design:\n- " + "\n- ".join(problems)
        )
