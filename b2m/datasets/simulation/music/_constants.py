"""Vocabulary of the simulated music: genres, instruments, scales, chords, drum patterns.

Public constants are re-exported by :mod:`b2m.datasets.simulation.music`; the private tables here are
shared by the grammar, the arranger, the synthesiser and the ground-truth features.
"""

from __future__ import annotations

# The stimulus facts are the dataset's (one definition); the simulator's music shares them.
from b2m.constants import CLIP_SECONDS, FADE_SECONDS, GENRES, SAMPLE_RATE  # noqa: F401

#: Instruments a clip may use (multi-hot order of the ``"semantic"`` ground truth).
INSTRUMENTS = (
    "piano",
    "strings",
    "acoustic_guitar",
    "electric_guitar",
    "distorted_guitar",
    "bass",
    "synth",
    "brass",
    "organ",
    "drums",
)
#: Scales (pitch classes relative to the key) a clip's melody may use.
MODES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
#: Rhythmic feels.
FEELS = (
    "straight",
    "swing",
    "offbeat_skank",
    "four_on_the_floor",
    "backbeat",
    "breakbeat",
    "none",
)
#: Caption-only imagery vocabulary (not audible; multi-hot order of ``"text_only"``).
IMAGERY = (
    "late-night",
    "summer festival",
    "church",
    "road trip",
    "dance floor",
    "rainy day",
    "nostalgic",
    "city streets",
    "beach",
    "smoky bar",
    "sunrise",
    "heartbreak",
    "rebellion",
    "film score",
    "workout",
    "countryside",
)
_KEY_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINORISH = {"minor", "dorian", "harmonic_minor", "phrygian"}

_CHORDS = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10),
    "9": (0, 4, 7, 10, 14),
    "5": (0, 7, 12),
}
_PROGRESSIONS = {
    "12-bar blues": "0:7 5:7 0:7 0:7 5:7 5:7 0:7 0:7 7:7 5:7 0:7 7:7",
    "quick-change blues": "0:7 5:7 0:7 0:7 5:7 5:7 0:7 0:7 7:9 5:9 0:7 7:7",
    "minor blues": "0:min7 0:min7 0:min7 0:min7 5:min7 5:min7 0:min7 0:min7 8:7 7:7 0:min7 7:7",
    "I-IV-V-I": "0:maj 5:maj 7:maj 0:maj",
    "I-IV-I-V": "0:maj 5:maj 0:maj 7:maj",
    "I-vi-ii-V": "0:maj 9:min 2:min 7:7",
    "Pachelbel canon": "0:maj 7:maj 9:min 4:min 5:maj 0:maj 5:maj 7:maj",
    "i-iv-V-i": "0:min 5:min 7:maj 0:min",
    "i-VI-iv-V": "0:min 8:maj 5:min 7:maj",
    "I-V-vi-IV": "0:maj 7:maj 9:min 5:maj",
    "vi-IV-I-V": "9:min 5:maj 0:maj 7:maj",
    "I-vi-IV-V": "0:maj 9:min 5:maj 7:maj",
    "i-VI-III-VII": "0:min 8:maj 3:maj 10:maj",
    "i-VII-VI-VII": "0:min 10:maj 8:maj 10:maj",
    "I-bVII-IV-I": "0:maj 10:maj 5:maj 0:maj",
    "I-IV-V-IV": "0:maj 5:maj 7:maj 5:maj",
    "i7-iv7 vamp": "0:min7 5:min7",
    "ii7-V7 vamp": "2:min7 7:7",
    "Imaj7-IVmaj7": "0:maj7 5:maj7",
    "one-chord vamp": "0:min7",
    "i-VI loop": "0:min 8:maj",
    "i-iv loop": "0:min7 5:min7",
    "ii-V-I": "2:min7 7:7 0:maj7 0:maj7",
    "ii-V-I-VI": "2:min7 7:7 0:maj7 9:7",
    "I-vi-ii-V turnaround": "0:maj7 9:min7 2:min7 7:7",
    "minor ii-V-i": "2:m7b5 7:7 0:min7 0:min7",
    "dorian vamp": "0:min7 0:min7 2:min7 2:min7",
    "power i-VI-VII": "0:5 8:5 10:5 0:5",
    "power i-bII": "0:5 0:5 1:5 0:5",
    "power i-III-II": "0:5 3:5 1:5 0:5",
    "I-IV vamp": "0:maj 5:maj",
    "I-V-IV-V": "0:maj 7:maj 5:maj 7:maj",
    "i-iv vamp": "0:min 5:min",
    "i-VII vamp": "0:min 10:maj",
}

#: Drum patterns: per voice, one or more 16-step bars ("X" accent, "x" normal, "o" ghost).
DRUM_PATTERNS: dict[str, dict[str, tuple[str, ...]]] = {
    "none": {},
    "backbeat": {
        "kick": ("X.......X.x.....", "X.....x.X.......", "X.......X......."),
        "snare": ("....X.......X...",),
        "hat": ("x.x.x.x.x.x.x.x.",),
    },
    "pop": {
        "kick": ("X.....x.X.......", "X..x....X.x....."),
        "snare": ("....X.......X...",),
        "clap": ("....x.......x...",),
        "hat": ("x.x.x.x.x.x.x.x.", "xoxoxoxoxoxoxoxo"),
    },
    "four_on_the_floor": {
        "kick": ("X...X...X...X...",),
        "clap": ("....X.......X...",),
        "open_hat": ("..x...x...x...x.",),
        "hat": ("xo.oxo.oxo.oxo.o",),
    },
    "shuffle": {
        "kick": ("X.......X.......", "X.....x.X......."),
        "snare": ("....X.......X...",),
        "hat": ("x.x.x.x.x.x.x.x.",),
    },
    "swing_ride": {
        "ride": ("x...x.x.x...x.x.",),
        "pedal_hat": ("....x.......x...",),
        "kick": ("o...o...o...o...",),
    },
    "boom_bap": {
        "kick": ("X.....x..x......", "X......X..x.....", "X.x.......x....."),
        "snare": ("....X.......X...",),
        "hat": ("x.x.x.x.x.x.x.x.", "x.xxx.x.x.xxx.x."),
    },
    "one_drop": {
        "kick": ("........X.......",),
        "rim": ("........X.......",),
        "hat": ("x.x.x.x.x.x.x.x.",),
    },
    "steppers": {
        "kick": ("X...X...X...X...",),
        "rim": ("........X.......",),
        "hat": ("..x...x...x...x.",),
    },
    "train_beat": {
        "brush": ("xoxoXoxoxoxoXoxo",),
        "kick": ("X.......X.......",),
    },
    "double_kick": {
        "kick": ("xxxxxxxxxxxxxxxx",),
        "snare": ("....X.......X...",),
        "hat": ("x.x.x.x.x.x.x.x.",),
    },
    "blast_beat": {
        "kick": ("x.x.x.x.x.x.x.x.",),
        "snare": (".x.x.x.x.x.x.x.x",),
        "ride": ("x...x...x...x...",),
    },
}
_HIT_VELOCITY = {"X": 1.0, "x": 0.7, "o": 0.35}
_PHRASE_CRASH = {"backbeat", "pop", "four_on_the_floor", "double_kick", "blast_beat", "shuffle"}
_FILLS = {"backbeat", "pop", "shuffle", "double_kick", "train_beat"}

# Keys of an attributes dict that render_clip (and the ground truth) need.
_REQUIRED = (
    "genre", "tempo", "key", "mode", "progression", "beats_per_chord", "swing", "swing_unit",
    "drums", "drum_pattern", "drum_level", "instruments", "bass_style", "comping", "lead",
    "brightness", "distortion", "note_density", "register", "bass_level", "reverb", "dynamics",
    "rubato",
)  # fmt: skip
