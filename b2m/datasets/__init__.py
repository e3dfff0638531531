"""Datasets: the ds003720 schedule, the simulated study, clip responses, manifest and fetch."""

from b2m.datasets._events import (
    CLIP_SECONDS,
    N_VOLUMES,
    SUBJECTS,
    TR,
    ScheduleError,
    clip_id,
    load_schedule,
    read_events_tsv,
    validate_schedule,
)
from b2m.datasets._responses import ClipResponses, ResponseWindow, clean_run, extract_clip_responses
from b2m.datasets._simulate import DEFAULT_SNR, make_simulated_study, simulated_study_dir
from b2m.datasets._study import DATASETS, Study, load_study

__all__ = [
    "CLIP_SECONDS",
    "DATASETS",
    "DEFAULT_SNR",
    "N_VOLUMES",
    "SUBJECTS",
    "TR",
    "ClipResponses",
    "ResponseWindow",
    "ScheduleError",
    "Study",
    "clean_run",
    "clip_id",
    "extract_clip_responses",
    "load_schedule",
    "load_study",
    "make_simulated_study",
    "read_events_tsv",
    "simulated_study_dir",
    "validate_schedule",
]
