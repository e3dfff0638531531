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
from b2m.datasets._fetch import (
    MIRROR_ENV_VAR,
    ChecksumError,
    DownloadError,
    fetch_ds003720,
    fetch_file,
)
from b2m.datasets._manifest import DatasetEntry, FileEntry, Manifest, ManifestError, load_manifest
from b2m.datasets._responses import ClipResponses, ResponseWindow, clean_run, extract_clip_responses
from b2m.datasets._simulate import DEFAULT_SNR, make_simulated_study, simulated_study_dir
from b2m.datasets._study import DATASETS, Study, load_study

__all__ = [
    "CLIP_SECONDS",
    "DATASETS",
    "DEFAULT_SNR",
    "MIRROR_ENV_VAR",
    "N_VOLUMES",
    "SUBJECTS",
    "TR",
    "ChecksumError",
    "ClipResponses",
    "DatasetEntry",
    "DownloadError",
    "FileEntry",
    "Manifest",
    "ManifestError",
    "ResponseWindow",
    "ScheduleError",
    "Study",
    "clean_run",
    "clip_id",
    "extract_clip_responses",
    "fetch_ds003720",
    "fetch_file",
    "load_manifest",
    "load_schedule",
    "load_study",
    "make_simulated_study",
    "read_events_tsv",
    "simulated_study_dir",
    "validate_schedule",
]
