"""Datasets: the ds003720 schedule, the simulated study, clip responses, manifest and fetch.

Also real, freely licensed music from Debian packages (:func:`fetch_debian_music`).
"""

from b2m.datasets._captions import CaptionError, load_captions
from b2m.datasets._debian_music import (
    DEBIAN_MUSIC_PACKAGES,
    DebianMusicError,
    DebianMusicPackage,
    debian_music_available,
    debian_music_root,
    fetch_debian_music,
    load_debian_music,
    load_debian_track,
)
from b2m.datasets._events import (
    CLIP_SECONDS,
    GENRES,
    N_VOLUMES,
    SAMPLE_RATE,
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
from b2m.datasets._gtzan import (
    GTZAN_ENV_VAR,
    GTZANFileError,
    GTZANFileNotFoundError,
    GTZANStimuli,
)
from b2m.datasets._load_study import DATASETS, load_study
from b2m.datasets._manifest import DatasetEntry, FileEntry, Manifest, ManifestError, load_manifest
from b2m.datasets._responses import ClipResponses, ResponseWindow, clean_run, extract_clip_responses
from b2m.datasets._study import Study
from b2m.datasets.bids._load import (
    DERIVATIVES,
    BIDSFileError,
    DS003720Responses,
    load_ds003720_responses,
    load_ds003720_run,
)
from b2m.datasets.simulation._planted import PLANTED_THRESHOLD, GroundTruth
from b2m.datasets.simulation._simulate import DEFAULT_SNR, make_simulated_study, simulated_study_dir

__all__ = [
    "CLIP_SECONDS",
    "DATASETS",
    "DEBIAN_MUSIC_PACKAGES",
    "DEFAULT_SNR",
    "DERIVATIVES",
    "GENRES",
    "GTZAN_ENV_VAR",
    "MIRROR_ENV_VAR",
    "N_VOLUMES",
    "PLANTED_THRESHOLD",
    "SAMPLE_RATE",
    "SUBJECTS",
    "TR",
    "BIDSFileError",
    "CaptionError",
    "ChecksumError",
    "ClipResponses",
    "DS003720Responses",
    "DatasetEntry",
    "DebianMusicError",
    "DebianMusicPackage",
    "DownloadError",
    "FileEntry",
    "GTZANFileError",
    "GTZANFileNotFoundError",
    "GTZANStimuli",
    "GroundTruth",
    "Manifest",
    "ManifestError",
    "ResponseWindow",
    "ScheduleError",
    "Study",
    "clean_run",
    "clip_id",
    "debian_music_available",
    "debian_music_root",
    "extract_clip_responses",
    "fetch_debian_music",
    "fetch_ds003720",
    "fetch_file",
    "load_captions",
    "load_debian_music",
    "load_debian_track",
    "load_ds003720_responses",
    "load_ds003720_run",
    "load_manifest",
    "load_schedule",
    "load_study",
    "make_simulated_study",
    "read_events_tsv",
    "simulated_study_dir",
    "validate_schedule",
]
