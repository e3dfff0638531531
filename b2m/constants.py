"""The facts of the ds003720 design that every layer of b2m uses, and the simulated study's
default signal level: one definition each.

Imports nothing but the standard library, so plots, widgets and the simulator can share them
without loading the dataset code.
"""

from __future__ import annotations

__all__ = [
    "CLIP_SECONDS",
    "DEFAULT_SNR",
    "FADE_SECONDS",
    "GENRES",
    "N_RUNS",
    "N_VOLUMES",
    "SAMPLE_RATE",
    "SUBJECTS",
    "TR",
]

#: Repetition time of ds003720's functional runs (s).
TR = 1.5
#: Volumes per functional run (41 clips of 15 s at TR 1.5 s).
N_VOLUMES = 410
#: Length of a ds003720 stimulus clip (s).
CLIP_SECONDS = 15.0
#: Linear fade-in and fade-out applied to each ds003720 stimulus (s).
FADE_SECONDS = 2.0
#: GTZAN's ten genres, in GTZAN's (alphabetical) order: the genres of ds003720's clips.
GENRES = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
#: GTZAN's sampling rate (Hz): the stimuli's, real or simulated.
SAMPLE_RATE = 22050
#: The five subjects of ds003720.
SUBJECTS = ("sub-001", "sub-002", "sub-003", "sub-004", "sub-005")
#: Functional runs per task: 12 training runs, 6 test runs.
N_RUNS = {"Training": 12, "Test": 6}
#: The simulated study's default peak signal amplitude relative to the time-series noise SD
#: (calibrated so that decoding the acoustic space identifies clips at about Brain2Music's level).
DEFAULT_SNR = 0.2
