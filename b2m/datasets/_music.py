"""Synthetic genre music for the simulated study: attributes, audio, captions, ground truth.

Each simulated clip is described by a small dictionary of *attributes* drawn from a
genre-typical grammar (:func:`sample_clip_attributes`): tempo, key, mode, chord progression,
rhythmic feel, drum pattern, instrumentation and arrangement, timbre (brightness, distortion),
note density, mood (valence, arousal), loudness dynamics, and a few *caption-only* imagery
words that are not audible. :func:`render_clip` turns the attributes into 15 s of audio with a
vectorised numpy synthesiser (wavetable tones with two-component envelopes, pluck-like decays,
noise drums, pitch-swept kicks, waveshaping distortion, swing timing, convolution reverb), then
applies the ds003720 stimulus treatment (:func:`apply_fades_and_rms`). :func:`make_caption`
writes an English description from the same attributes and :func:`attribute_features` turns
them into the numeric ground truth used by the planted brain model.

Everything is deterministic: attributes depend only on the generator passed in, audio only on
``(attributes, seed)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from b2m._utils._validation import check_array, check_choice

__all__ = [
    "ATTRIBUTE_FEATURE_NAMES",
    "CLIP_SECONDS",
    "DRUM_PATTERNS",
    "FADE_SECONDS",
    "FEELS",
    "GENRES",
    "IMAGERY",
    "INSTRUMENTS",
    "MODES",
    "SAMPLE_RATE",
    "apply_fades_and_rms",
    "attribute_features",
    "make_caption",
    "render_clip",
    "sample_clip_attributes",
]

#: GTZAN's ten genres, in GTZAN's (alphabetical) order.
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
#: GTZAN's sampling rate (Hz).
SAMPLE_RATE = 22050
#: Length of a ds003720 stimulus clip (s).
CLIP_SECONDS = 15.0
#: Linear fade-in and fade-out applied to each ds003720 stimulus (s).
FADE_SECONDS = 2.0

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

# fmt: off
_GRAMMARS: dict[str, dict] = {
    "blues": dict(
        tempo=(66, 112), modes={"blues": 0.75, "minor": 0.25},
        progressions={"major": ["12-bar blues", "quick-change blues"], "minor": ["minor blues"]},
        beats_per_chord=[4], feel={"swing": 1.0}, swing=(0.62, 0.7), drums=0.85,
        patterns={"shuffle": 1.0}, drum_level=(0.5, 0.75),
        instruments={"electric_guitar": 1, "bass": 1, "piano": 0.5, "organ": 0.35, "brass": 0.25},
        bass={"boogie": 0.6, "walking": 0.4},
        comp={"piano": ["block", "comp"], "organ": ["pad"], "brass": ["stabs"],
              "electric_guitar": ["block"]},
        lead=["electric_guitar", "brass"], lead_p=0.9,
        brightness=(0.35, 0.55), distortion=(0.1, 0.3), density=(1.5, 3.0), register=(62, 74),
        bass_level=(0.4, 0.6), reverb=(0.15, 0.35), valence=(-0.6, 0.1), arousal=(-0.4, 0.3),
        dynamics=(0.2, 0.45), rubato=(0.0, 0.0),
        imagery=["smoky bar", "late-night", "heartbreak", "rainy day", "road trip"],
    ),
    "classical": dict(
        tempo=(56, 132), modes={"major": 0.5, "minor": 0.3, "harmonic_minor": 0.2},
        progressions={"major": ["I-IV-V-I", "Pachelbel canon", "I-vi-ii-V"],
                      "minor": ["i-iv-V-i", "i-VI-iv-V"]},
        beats_per_chord=[2, 4], feel={"none": 1.0}, swing=(0.5, 0.5), drums=0.0,
        patterns={"none": 1.0}, drum_level=(0.0, 0.0),
        instruments={"strings": 0.85, "piano": 0.65, "brass": 0.2},
        bass={"half_notes": 1.0},
        comp={"piano": ["arpeggio"], "strings": ["pad"], "brass": ["pad"]},
        lead=["strings", "piano", "brass"], lead_p=1.0,
        brightness=(0.1, 0.35), distortion=(0.0, 0.0), density=(1.0, 3.5), register=(64, 79),
        bass_level=(0.15, 0.35), reverb=(0.55, 0.9), valence=(-0.6, 0.7), arousal=(-0.8, 0.1),
        dynamics=(0.55, 0.9), rubato=(0.03, 0.08),
        imagery=["church", "film score", "rainy day", "sunrise", "nostalgic"],
    ),
    "country": dict(
        tempo=(88, 140), modes={"major": 0.85, "mixolydian": 0.15},
        progressions={"major": ["I-IV-V-I", "I-IV-I-V", "I-V-vi-IV"], "minor": ["i-VII vamp"]},
        beats_per_chord=[4], feel={"backbeat": 0.5, "straight": 0.5}, swing=(0.5, 0.55),
        drums=0.8, patterns={"train_beat": 0.6, "backbeat": 0.4}, drum_level=(0.45, 0.7),
        instruments={"acoustic_guitar": 1, "bass": 1, "electric_guitar": 0.5, "piano": 0.3,
                     "strings": 0.35},
        bass={"boom_chick": 1.0},
        comp={"acoustic_guitar": ["strum"], "piano": ["block", "arpeggio"], "strings": ["pad"],
              "electric_guitar": ["arpeggio"]},
        lead=["electric_guitar", "strings", "piano"], lead_p=0.85,
        brightness=(0.5, 0.7), distortion=(0.0, 0.05), density=(1.5, 3.0), register=(62, 76),
        bass_level=(0.35, 0.55), reverb=(0.1, 0.3), valence=(0.2, 0.8), arousal=(-0.2, 0.5),
        dynamics=(0.1, 0.3), rubato=(0.0, 0.0),
        imagery=["road trip", "countryside", "nostalgic", "heartbreak", "sunrise"],
    ),
    "disco": dict(
        tempo=(112, 130), modes={"minor": 0.4, "dorian": 0.35, "major": 0.25},
        progressions={"major": ["Imaj7-IVmaj7", "ii7-V7 vamp", "I-vi-IV-V"],
                      "minor": ["i7-iv7 vamp", "i-VII vamp"]},
        beats_per_chord=[4, 8], feel={"four_on_the_floor": 1.0}, swing=(0.5, 0.52),
        drums=1.0, patterns={"four_on_the_floor": 1.0}, drum_level=(0.8, 1.0),
        instruments={"bass": 1, "strings": 0.7, "synth": 0.5, "brass": 0.45,
                     "electric_guitar": 0.65, "piano": 0.3},
        bass={"octave": 1.0},
        comp={"strings": ["pad", "stabs"], "synth": ["pad", "stabs"], "brass": ["stabs"],
              "electric_guitar": ["chank"], "piano": ["stabs", "block"]},
        lead=["strings", "synth", "brass"], lead_p=0.8,
        brightness=(0.6, 0.85), distortion=(0.0, 0.0), density=(2.0, 3.5), register=(67, 84),
        bass_level=(0.55, 0.75), reverb=(0.1, 0.3), valence=(0.4, 0.9), arousal=(0.4, 0.9),
        dynamics=(0.05, 0.2), rubato=(0.0, 0.0),
        imagery=["dance floor", "late-night", "city streets", "summer festival", "nostalgic"],
    ),
    "hiphop": dict(
        tempo=(78, 98), modes={"minor": 0.6, "dorian": 0.25, "phrygian": 0.15},
        progressions={"major": ["I-IV vamp"],
                      "minor": ["i-VI loop", "i-iv loop", "one-chord vamp"]},
        beats_per_chord=[4, 8], feel={"breakbeat": 1.0}, swing=(0.54, 0.62), drums=1.0,
        patterns={"boom_bap": 1.0}, drum_level=(1.0, 1.3),
        instruments={"bass": 1, "piano": 0.5, "synth": 0.55, "strings": 0.2, "brass": 0.2},
        bass={"sub_808": 1.0},
        comp={"piano": ["loop"], "synth": ["pad", "loop"], "strings": ["pad"], "brass": ["stabs"]},
        lead=["synth", "piano"], lead_p=0.35,
        brightness=(0.15, 0.4), distortion=(0.0, 0.1), density=(0.5, 1.5), register=(60, 74),
        bass_level=(0.8, 1.0), reverb=(0.05, 0.25), valence=(-0.4, 0.3), arousal=(0.0, 0.6),
        dynamics=(0.05, 0.2), rubato=(0.0, 0.0),
        imagery=["city streets", "late-night", "rebellion", "workout", "summer festival"],
    ),
    "jazz": dict(
        tempo=(100, 220), modes={"major": 0.5, "dorian": 0.5},
        progressions={"major": ["ii-V-I", "ii-V-I-VI", "I-vi-ii-V turnaround"],
                      "minor": ["minor ii-V-i", "dorian vamp"]},
        beats_per_chord=[4, 2], feel={"swing": 1.0}, swing=(0.6, 0.7), drums=0.9,
        patterns={"swing_ride": 1.0}, drum_level=(0.35, 0.55),
        instruments={"bass": 1, "piano": 0.9, "brass": 0.7, "electric_guitar": 0.2},
        bass={"walking": 1.0},
        comp={"piano": ["comp"], "electric_guitar": ["comp"], "brass": ["stabs"]},
        lead=["brass", "piano", "electric_guitar"], lead_p=0.95,
        brightness=(0.3, 0.5), distortion=(0.0, 0.0), density=(2.0, 4.0), register=(62, 77),
        bass_level=(0.45, 0.65), reverb=(0.2, 0.45), valence=(-0.1, 0.6), arousal=(-0.3, 0.5),
        dynamics=(0.2, 0.45), rubato=(0.0, 0.0),
        imagery=["smoky bar", "late-night", "city streets", "rainy day", "nostalgic"],
    ),
    "metal": dict(
        tempo=(140, 210), modes={"minor": 0.45, "phrygian": 0.35, "harmonic_minor": 0.2},
        progressions={"major": ["power i-VI-VII"],
                      "minor": ["power i-VI-VII", "power i-bII", "power i-III-II"]},
        beats_per_chord=[2, 4], feel={"straight": 1.0}, swing=(0.5, 0.5), drums=1.0,
        patterns={"double_kick": 0.65, "blast_beat": 0.35}, drum_level=(0.9, 1.1),
        instruments={"distorted_guitar": 1, "bass": 1, "synth": 0.1, "strings": 0.15,
                     "organ": 0.05},
        bass={"pedal_16ths": 1.0},
        comp={"distorted_guitar": ["power_chug"], "synth": ["pad"], "strings": ["pad"],
              "organ": ["pad"]},
        lead=["distorted_guitar"], lead_p=0.5,
        brightness=(0.75, 1.0), distortion=(0.7, 1.0), density=(3.0, 4.0), register=(64, 79),
        bass_level=(0.5, 0.7), reverb=(0.05, 0.2), valence=(-0.9, -0.3), arousal=(0.7, 1.0),
        dynamics=(0.0, 0.12), rubato=(0.0, 0.0),
        imagery=["rebellion", "workout", "summer festival", "late-night", "city streets"],
    ),
    "pop": dict(
        tempo=(92, 128), modes={"major": 0.8, "minor": 0.2},
        progressions={"major": ["I-V-vi-IV", "vi-IV-I-V", "I-vi-IV-V"],
                      "minor": ["i-VI-III-VII"]},
        beats_per_chord=[4], feel={"backbeat": 1.0}, swing=(0.5, 0.53), drums=0.95,
        patterns={"pop": 1.0}, drum_level=(0.7, 0.9),
        instruments={"bass": 1, "synth": 0.8, "piano": 0.6, "electric_guitar": 0.3,
                     "strings": 0.3, "acoustic_guitar": 0.2},
        bass={"root_eighths": 0.5, "pop_syncopated": 0.5},
        comp={"synth": ["pad", "arpeggio"], "piano": ["block", "arpeggio"],
              "electric_guitar": ["arpeggio"], "strings": ["pad"], "acoustic_guitar": ["strum"]},
        lead=["synth", "piano", "electric_guitar"], lead_p=0.9,
        brightness=(0.55, 0.8), distortion=(0.0, 0.05), density=(1.5, 3.0), register=(65, 80),
        bass_level=(0.5, 0.7), reverb=(0.15, 0.4), valence=(0.3, 0.9), arousal=(0.1, 0.7),
        dynamics=(0.1, 0.3), rubato=(0.0, 0.0),
        imagery=["summer festival", "dance floor", "road trip", "beach", "heartbreak"],
    ),
    "reggae": dict(
        tempo=(64, 92), modes={"major": 0.6, "minor": 0.4},
        progressions={"major": ["I-IV vamp", "I-V-IV-V", "I-vi-IV-V"],
                      "minor": ["i-iv vamp", "i-VII vamp"]},
        beats_per_chord=[4, 8], feel={"offbeat_skank": 1.0}, swing=(0.5, 0.58), drums=0.95,
        patterns={"one_drop": 0.75, "steppers": 0.25}, drum_level=(0.6, 0.85),
        instruments={"bass": 1, "electric_guitar": 0.9, "organ": 0.6, "brass": 0.3, "piano": 0.3},
        bass={"reggae": 1.0},
        comp={"electric_guitar": ["skank"], "organ": ["bubble"], "piano": ["skank"],
              "brass": ["stabs"]},
        lead=["brass", "organ"], lead_p=0.5,
        brightness=(0.4, 0.6), distortion=(0.0, 0.0), density=(1.0, 2.0), register=(62, 76),
        bass_level=(0.85, 1.0), reverb=(0.25, 0.5), valence=(0.2, 0.8), arousal=(-0.4, 0.2),
        dynamics=(0.05, 0.2), rubato=(0.0, 0.0),
        imagery=["beach", "summer festival", "sunrise", "city streets", "rebellion"],
    ),
    "rock": dict(
        tempo=(108, 156), modes={"major": 0.45, "mixolydian": 0.25, "minor": 0.3},
        progressions={"major": ["I-bVII-IV-I", "I-IV-V-IV", "I-V-vi-IV"],
                      "minor": ["i-VI-III-VII", "i-VII-VI-VII"]},
        beats_per_chord=[4, 2], feel={"backbeat": 1.0}, swing=(0.5, 0.53), drums=1.0,
        patterns={"backbeat": 1.0}, drum_level=(0.8, 1.0),
        instruments={"distorted_guitar": 1, "bass": 1, "electric_guitar": 0.45, "organ": 0.2,
                     "piano": 0.15},
        bass={"root_eighths": 1.0},
        comp={"distorted_guitar": ["power_chug"], "organ": ["pad"], "piano": ["block"],
              "electric_guitar": ["arpeggio"]},
        lead=["electric_guitar", "distorted_guitar"], lead_p=0.6,
        brightness=(0.55, 0.75), distortion=(0.3, 0.55), density=(1.5, 3.0), register=(62, 77),
        bass_level=(0.5, 0.7), reverb=(0.1, 0.3), valence=(-0.3, 0.5), arousal=(0.4, 0.85),
        dynamics=(0.1, 0.3), rubato=(0.0, 0.0),
        imagery=["road trip", "rebellion", "summer festival", "city streets", "workout"],
    ),
}
# fmt: on

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

_PLUCKED = {"piano", "acoustic_guitar", "electric_guitar", "bass"}


def _pattern_density(name: str) -> float:
    """Mean number of drum hits per beat of a pattern (first variant of each voice)."""
    bars = DRUM_PATTERNS[name]
    return sum(sum(c != "." for c in v[0]) for v in bars.values()) / 4.0


# --------------------------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.asarray([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], ndigits: int = 3) -> float:
    lo, hi = bounds
    return round(float(rng.uniform(lo, hi)) if hi > lo else float(lo), ndigits)


def sample_clip_attributes(genre: str, rng: np.random.Generator) -> dict:
    """Draw the musical attributes of one clip from a genre-typical grammar.

    Parameters
    ----------
    genre : str
        One of :data:`GENRES`.
    rng : numpy.random.Generator
        Source of randomness; the attributes depend on nothing else.

    Returns
    -------
    dict
        JSON-serialisable attributes (plain ``str``, ``int``, ``float``, ``bool``, ``list``):

        ``genre``; ``tempo`` (BPM); ``key`` (0–11, C = 0) and ``key_name``; ``mode`` (a key
        of :data:`MODES`); ``progression_name``, ``progression`` (list of
        ``[semitones above the key, chord quality]``) and ``beats_per_chord``; ``feel`` (one of
        :data:`FEELS`) and ``swing`` (onset of the off-beat as a fraction of the beat or
        half-beat, 0.5 = straight); ``swing_unit`` (0.5 or 0.25 beats); ``drums`` (bool),
        ``drum_pattern`` (a key of :data:`DRUM_PATTERNS`) and ``drum_level``; ``instruments``
        (subset of :data:`INSTRUMENTS`, in that order); ``bass_style``, ``comping`` (list of
        ``[instrument, style]``) and ``lead`` (instrument or ``None``); ``brightness`` and
        ``distortion`` (0–1); ``note_density`` (melody notes per beat); ``register`` (MIDI
        centre of the melody); ``bass_level``, ``reverb``, ``dynamics`` (0–1); ``rubato``;
        ``valence`` and ``arousal`` (−1–1); ``imagery`` (2–3 words of :data:`IMAGERY`,
        caption-only, weakly correlated with genre).

    Raises
    ------
    ValueError
        If ``genre`` is not one of :data:`GENRES`.
    TypeError
        If ``rng`` is not a :class:`numpy.random.Generator`.
    """
    check_choice(genre, "genre", GENRES)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); "
            f"received {type(rng).__name__}."
        )
    g = _GRAMMARS[genre]
    tempo = _uniform(rng, g["tempo"], 1)
    mode = _pick(rng, g["modes"])
    family = "minor" if mode in _MINORISH else "major"
    prog_name = str(rng.choice(g["progressions"][family]))
    progression = [[int(r), q] for r, q in (c.split(":") for c in _PROGRESSIONS[prog_name].split())]
    feel = _pick(rng, g["feel"])
    has_drums = bool(rng.random() < g["drums"])
    pattern = _pick(rng, g["patterns"]) if has_drums else "none"

    chosen = {name for name, p in g["instruments"].items() if rng.random() < p}
    if genre == "classical" and not chosen & {"strings", "piano"}:
        chosen.add(str(rng.choice(["strings", "piano"])))
    if has_drums:
        chosen.add("drums")
    lead = None
    if rng.random() < g["lead_p"]:
        lead = next((name for name in g["lead"] if name in chosen), None)
    comping = []
    for name in INSTRUMENTS:
        if name in chosen and name in g["comp"] and (name != lead or name == "distorted_guitar"):
            comping.append([name, str(rng.choice(g["comp"][name]))])
    if not comping and lead is not None and lead in g["comp"]:
        comping.append([lead, str(rng.choice(g["comp"][lead]))])

    valence = _uniform(rng, g["valence"])
    if family == "minor":
        valence -= 0.15
    tempo_norm = (tempo - 60.0) / 160.0
    arousal = _uniform(rng, g["arousal"]) + 0.3 * (tempo_norm - 0.4)
    density = _uniform(rng, g["density"], 2)
    words = np.asarray([3.0 if w in g["imagery"] else 1.0 for w in IMAGERY])
    n_words = int(rng.integers(2, 4))
    imagery = sorted(
        rng.choice(len(IMAGERY), size=n_words, replace=False, p=words / words.sum()).tolist()
    )
    swing = _uniform(rng, g["swing"])
    key = int(rng.integers(12))
    return {
        "genre": genre,
        "tempo": tempo,
        "key": key,
        "key_name": _KEY_NAMES[key],
        "mode": mode,
        "progression_name": prog_name,
        "progression": progression,
        "beats_per_chord": int(rng.choice(g["beats_per_chord"])),
        "feel": feel,
        "swing": swing,
        "swing_unit": 0.25 if genre == "hiphop" else 0.5,
        "drums": has_drums,
        "drum_pattern": pattern,
        "drum_level": _uniform(rng, g["drum_level"]) if has_drums else 0.0,
        "instruments": [name for name in INSTRUMENTS if name in chosen],
        "bass_style": _pick(rng, g["bass"]),
        "comping": comping,
        "lead": lead,
        "brightness": _uniform(rng, g["brightness"]),
        "distortion": _uniform(rng, g["distortion"]),
        "note_density": density,
        "register": int(rng.integers(g["register"][0], g["register"][1] + 1)),
        "bass_level": _uniform(rng, g["bass_level"]),
        "reverb": _uniform(rng, g["reverb"]),
        "dynamics": _uniform(rng, g["dynamics"]),
        "rubato": _uniform(rng, g["rubato"]),
        "valence": round(float(np.clip(valence, -1, 1)), 3),
        "arousal": round(float(np.clip(arousal, -1, 1)), 3),
        "imagery": [IMAGERY[i] for i in imagery],
    }


# --------------------------------------------------------------------------------------------
# Fades and RMS (the ds003720 stimulus treatment)
# --------------------------------------------------------------------------------------------


def apply_fades_and_rms(
    waveform,
    sr: int,
    *,
    fade_seconds: float = FADE_SECONDS,
    target_rms: float = 0.1,
    shape: str = "linear",
) -> np.ndarray:
    """Fade a clip in and out, then scale it to a target RMS (as the ds003720 stimuli were).

    Parameters
    ----------
    waveform : array-like of shape (n_samples,)
        Mono audio.
    sr : int
        Sampling rate in Hz.
    fade_seconds : float, default 2.0
        Length of each fade. The first and last samples become exactly 0.
    target_rms : float, default 0.1
        RMS of the returned clip (computed after the fades).
    shape : {"linear", "cosine"}, default "linear"
        Fade curve: a linear ramp or a raised cosine.

    Returns
    -------
    ndarray of shape (n_samples,), float32
        The treated clip.

    Raises
    ------
    ValueError
        If the waveform is not 1-D, contains NaN or infinite values, is shorter than two fades,
        or is all zeros; if ``sr``, ``fade_seconds`` or ``target_rms`` is not positive.
    """
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    if not (np.isfinite(fade_seconds) and fade_seconds >= 0):
        raise ValueError(f"fade_seconds must be a non-negative number; received {fade_seconds!r}.")
    if not (np.isfinite(target_rms) and target_rms > 0):
        raise ValueError(f"target_rms must be a positive number; received {target_rms!r}.")
    check_choice(shape, "shape", ("linear", "cosine"))
    x = check_array(waveform, "waveform", ndim=1).copy()
    n_fade = round(fade_seconds * sr)
    if x.size < 2 * n_fade or x.size == 0:
        raise ValueError(
            f"waveform must be longer than two fades ({2 * n_fade} samples = 2 x {fade_seconds} s "
            f"at {sr} Hz); received {x.size} samples."
        )
    if n_fade > 0:
        ramp = np.linspace(0.0, 1.0, n_fade)
        if shape == "cosine":
            ramp = 0.5 - 0.5 * np.cos(np.pi * ramp)
        x[:n_fade] *= ramp
        x[-n_fade:] *= ramp[::-1]
    rms = float(np.sqrt(np.mean(x**2)))
    if rms == 0.0:
        raise ValueError(
            "waveform is silent (all zeros after the fades); cannot normalise its RMS."
        )
    return (x * (target_rms / rms)).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Synthesiser
# --------------------------------------------------------------------------------------------

_TABLE = 2048
_INF = float("inf")


@dataclass(frozen=True)
class _Voice:
    """A tonal voice: a bright and a dark wavetable, each with its own envelope."""

    bright: float  # spectral slope (amplitude ~ k**-slope) of the bright component
    dark: float  # spectral slope of the dark component
    n_harm: int
    attack: float  # s
    tau_bright: float  # decay time constant of the bright component (s)
    tau_dark: float  # decay time constant of the dark component (s)
    sustain: float  # level the dark component decays to
    release: float  # s
    w_bright: float = 1.0
    pluck: float = 0.0  # pluck position (comb notches in the bright spectrum)
    vibrato: float = 0.0  # relative frequency deviation at 5.5 Hz
    detune: float = 0.0  # cents of a second, detuned copy (chorus)
    tremolo: float = 0.0  # amplitude modulation depth at 6 Hz
    drawbars: tuple[float, ...] = ()


_VOICES = {
    "piano": _Voice(1.0, 2.2, 18, 0.003, 0.15, 1.1, 0.05, 0.10, 0.8),
    "strings": _Voice(1.0, 1.6, 20, 0.14, _INF, _INF, 1.0, 0.30, 0.6, vibrato=0.004, detune=8),
    "acoustic_guitar": _Voice(0.7, 1.8, 20, 0.002, 0.07, 0.8, 0.0, 0.06, 1.0, pluck=0.18),
    "electric_guitar": _Voice(1.0, 2.0, 16, 0.003, 0.15, 1.4, 0.1, 0.06, 0.8, pluck=0.12),
    "distorted_guitar": _Voice(1.3, 1.8, 12, 0.004, 0.4, 3.0, 0.6, 0.05, 0.5),
    "bass": _Voice(1.6, 3.0, 10, 0.006, 0.08, 0.9, 0.3, 0.05, 0.7),
    "sub": _Voice(4.0, 8.0, 3, 0.005, 0.05, 1.2, 0.5, 0.08, 0.2),
    "synth": _Voice(1.0, 2.2, 24, 0.01, 0.25, _INF, 1.0, 0.12, 0.8, detune=12),
    "brass": _Voice(0.8, 2.0, 14, 0.04, _INF, _INF, 1.0, 0.08, 0.7, vibrato=0.003),
    "organ": _Voice(
        0.0, 0.0, 8, 0.008, _INF, _INF, 1.0, 0.04, 0.0, tremolo=0.12,
        drawbars=(1.0, 0.8, 0.6, 0.5, 0.0, 0.3, 0.0, 0.25),
    ),
}  # fmt: skip
_BUS = {"distorted_guitar": "dist", "electric_guitar": "egtr", "bass": "bass", "sub": "bass"}

_BASIS_CACHE: list[np.ndarray] = []


def _sine_basis() -> np.ndarray:
    """Rows k = 1..32 of sin(2 pi k x) sampled on the wavetable grid, shape (32, _TABLE)."""
    if not _BASIS_CACHE:
        x = np.arange(_TABLE) / _TABLE
        _BASIS_CACHE.append(np.sin(2 * np.pi * np.outer(np.arange(1, 33), x)))
    return _BASIS_CACHE[0]


def _midi_hz(midi) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


class _Synth:
    """Renders note and drum events of one clip into buses (all state is per clip)."""

    def __init__(self, sr: int, n: int, brightness: float, rng: np.random.Generator):
        self.sr, self.n, self.rng = sr, n, rng
        self.tilt = (0.5 - brightness) * 1.0
        self.buses: dict[str, np.ndarray] = {}
        self._tables: dict = {}
        self._notes: dict = {}
        self._t = np.arange(int(8 * sr) + 1) / sr

    def bus(self, name: str) -> np.ndarray:
        if name not in self.buses:
            self.buses[name] = np.zeros(self.n)
        return self.buses[name]

    def _tables_for(self, name: str, midi: int) -> tuple[np.ndarray, np.ndarray]:
        key = (name, midi)
        if key not in self._tables:
            v = _VOICES[name]
            f0 = float(_midi_hz(midi))
            n_harm = int(max(1, min(v.n_harm, 0.45 * self.sr // f0)))
            k = np.arange(1, n_harm + 1, dtype=float)
            basis = _sine_basis()[:n_harm]
            if v.drawbars:
                amps = np.asarray(v.drawbars[:n_harm]) * k ** (-max(self.tilt, 0.0))
                dark = bright = amps @ basis
            else:
                ab = k ** -(v.bright + self.tilt)
                if v.pluck:
                    ab = ab * (0.15 + np.abs(np.sin(np.pi * k * v.pluck)))
                bright = ab @ basis
                dark = (k ** -(v.dark + max(self.tilt, 0.0))) @ basis
            bright = bright / np.abs(bright).max()
            dark = dark / np.abs(dark).max()
            self._tables[key] = (bright, dark)
        return self._tables[key]

    def _note(self, name: str, midi: int, n_on: int) -> np.ndarray:
        key = (name, midi, n_on)
        cached = self._notes.get(key)
        if cached is not None:
            return cached
        v = _VOICES[name]
        sr = self.sr
        n_rel = max(16, int(v.release * sr))
        n = n_on + n_rel
        if n > self._t.size:
            self._t = np.arange(n) / sr
        t = self._t[:n]
        f0 = float(_midi_hz(midi))
        bright, dark = self._tables_for(name, midi)
        phase = f0 * t
        if v.vibrato:
            phase = phase + (v.vibrato * f0 / (2 * np.pi * 5.5)) * (1 - np.cos(2 * np.pi * 5.5 * t))
        attack = np.minimum(1.0, t / v.attack)
        env_d = (
            attack
            if v.tau_dark == _INF
            else attack * (v.sustain + (1 - v.sustain) * np.exp(-t / v.tau_dark))
        )
        env_b = v.w_bright * (
            attack if v.tau_bright == _INF else attack * np.exp(-t / v.tau_bright)
        )
        phases = [phase]
        if v.detune:
            phases.append(phase * 2.0 ** (v.detune / 1200.0) + 0.37)
        y = np.zeros(n)
        for ph in phases:
            idx = (ph * _TABLE).astype(np.int64) & (_TABLE - 1)
            y += env_d * dark[idx]
            if v.w_bright:
                y += env_b * bright[idx]
        y /= len(phases)
        if v.tremolo:
            y *= 1.0 - v.tremolo * (0.5 + 0.5 * np.sin(2 * np.pi * 6.0 * t))
        y[n_on:] *= np.linspace(1.0, 0.0, n_rel)
        self._notes[key] = y
        return y

    def add(self, buf: np.ndarray, start: int, y: np.ndarray, gain: float) -> None:
        if start >= self.n:
            return
        if start < 0:
            if -start >= y.size:
                return
            y, start = y[-start:], 0
        end = min(self.n, start + y.size)
        buf[start:end] += gain * y[: end - start]

    def notes(self, name: str, starts, lengths, midis, vels) -> None:
        buf = self.bus(_BUS.get(name, "tonal"))
        for s, m, L, g in zip(starts, midis, lengths, vels, strict=True):
            self.add(buf, int(s), self._note(name, int(m), int(L)), float(g))


def _drum_kit(genre: str, sr: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One-shot drum samples, shape (n_samples,) each, randomised per clip."""

    def t_(dur):
        return np.arange(int(dur * sr)) / sr

    def noise(dur):
        return rng.standard_normal(int(dur * sr))

    def hp(x, fc, order=2):
        return signal.sosfilt(
            signal.butter(order, min(fc, 0.45 * sr), "highpass", fs=sr, output="sos"), x
        )

    def bp(x, lo, hi):
        sos = signal.butter(2, [lo, min(hi, 0.45 * sr)], "bandpass", fs=sr, output="sos")
        return signal.sosfilt(sos, x)

    u = rng.uniform
    kick_decay = {"hiphop": u(0.3, 0.45), "metal": u(0.06, 0.09), "jazz": u(0.1, 0.15)}.get(
        genre, u(0.1, 0.16)
    )
    f_lo = u(38, 46) if genre == "hiphop" else u(45, 60)
    f_hi = u(110, 170)
    t = t_(max(0.3, 5 * kick_decay))
    freq = f_lo + (f_hi - f_lo) * np.exp(-t / u(0.025, 0.05))
    kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / kick_decay)
    click = 0.6 if genre == "metal" else 0.2
    kick[: int(0.004 * sr)] += click * hp(noise(0.004), 2000)
    t = t_(0.3)
    snare = 0.8 * hp(noise(0.3), u(1200, 2500)) * np.exp(-t / u(0.07, 0.14))
    snare += 0.5 * np.sin(2 * np.pi * u(170, 230) * t) * np.exp(-t / 0.04)
    t = t_(0.12)
    rim = (np.sin(2 * np.pi * u(380, 480) * t) + 0.6 * np.sin(2 * np.pi * 1350 * t)) * np.exp(
        -t / 0.02
    )
    rim += 0.3 * hp(noise(0.12), 3000) * np.exp(-t / 0.006)
    t = t_(0.25)
    clap = np.zeros(t.size)
    for d in (0.0, 0.011, 0.022):
        clap += (t >= d) * np.exp(-np.maximum(t - d, 0) / (0.05 if d else 0.008))
    clap = bp(noise(0.25), 900, 3500) * clap
    t = t_(0.08)
    hat = hp(noise(0.08), u(6500, 8500), 4) * np.exp(-t / u(0.018, 0.03))
    t = t_(0.4)
    open_hat = hp(noise(0.4), 6000, 4) * np.exp(-t / u(0.14, 0.22))
    t = t_(1.2)
    partials = rng.uniform(2500, 7500, 6)
    ride = np.sin(2 * np.pi * np.outer(partials, t)).sum(0) * 0.15 * np.exp(-t / u(0.5, 0.8))
    ride += 0.4 * hp(noise(1.2), 5000) * np.exp(-t / 0.3)
    t = t_(1.6)
    crash = hp(noise(1.6), 3500) * np.exp(-t / u(0.6, 0.9))
    t = t_(0.15)
    brush = bp(noise(0.15), 2000, 8000) * np.minimum(1, t / 0.005) * np.exp(-t / 0.05)
    kit = {
        "kick": kick, "snare": snare, "rim": rim, "clap": clap, "hat": hat,
        "open_hat": open_hat, "pedal_hat": 0.6 * hat, "ride": ride, "crash": crash,
        "brush": brush,
    }  # fmt: skip
    return {k: v / np.abs(v).max() for k, v in kit.items()}


def _drum_hits(attrs: dict, n_beats: int, rng: np.random.Generator) -> dict[str, list]:
    """Drum hits per voice: lists of (position in beats, velocity)."""
    name = attrs["drum_pattern"]
    pattern = {
        voice: bars[int(rng.integers(len(bars)))] for voice, bars in DRUM_PATTERNS[name].items()
    }
    hits: dict[str, list] = {voice: [] for voice in pattern}
    hits.setdefault("crash", [])
    for bar in range(n_beats // 4 + 1):
        fill = name in _FILLS and bar % 4 == 3 and rng.random() < 0.7
        for voice, steps in pattern.items():
            for i, c in enumerate(steps):
                if c == "." or (fill and i >= 12 and voice in ("snare", "brush", "hat")):
                    continue
                hits[voice].append((bar * 4 + i / 4, _HIT_VELOCITY[c]))
        if fill:
            roll = "brush" if name == "train_beat" else "snare"
            hits.setdefault(roll, []).extend(
                (bar * 4 + 3 + i / 4, 0.5 + 0.15 * i) for i in range(4)
            )
        every = 2 if name in ("double_kick", "blast_beat") else 4
        if name in _PHRASE_CRASH and bar % every == 0:
            hits["crash"].append((bar * 4.0, 0.8))
        if name == "swing_ride":
            ghosts = np.nonzero(rng.random(8) < 0.18)[0]
            hits.setdefault("snare", []).extend((bar * 4 + g / 2, 0.3) for g in ghosts)
    return hits


def _chord_at(attrs: dict, pos: float) -> tuple[int, tuple[int, ...]]:
    prog = attrs["progression"]
    offset, quality = prog[int(pos // attrs["beats_per_chord"]) % len(prog)]
    return (attrs["key"] + int(offset)) % 12, _CHORDS[quality]


def _fold(root_pc: int, intervals, low: int, high: int) -> list[int]:
    base = low + (root_pc - low) % 12
    notes = sorted({n - 12 if n > high else n for n in (base + iv for iv in intervals)})
    return notes


def _bass_events(attrs, style, n_beats, rng, kick_positions):
    """Bass line: list of (pos, dur, midi, vel)."""
    ev = []
    mode_pcs = MODES[attrs["mode"]]
    for beat in range(0, n_beats, 4):
        for b in range(beat, beat + 4):
            pc, chord = _chord_at(attrs, b)
            root = 31 + (pc - 31) % 12
            if style == "walking":
                nxt = 31 + (_chord_at(attrs, b + 1)[0] - 31) % 12
                if b % 4 == 0 or _chord_at(attrs, b - 1)[0] != pc:
                    m = root
                elif _chord_at(attrs, b + 1)[0] != pc or b % 4 == 3:
                    m = nxt + (1 if rng.random() < 0.5 else -1)
                else:
                    m = root + int(rng.choice([chord[1], chord[2], 12, 2 if 2 in mode_pcs else 5]))
                ev.append((b, 0.95, m, 0.8))
            elif style == "boogie":
                third = chord[1]
                seq = (0, third, 7, 9, 10, 9, 7, third)
                ev += [(b + h / 2, 0.45, root + seq[(b % 4) * 2 + h], 0.8) for h in range(2)]
            elif style in ("root_eighths", "octave", "pedal_16ths"):
                step = 0.25 if style == "pedal_16ths" else 0.5
                for j in range(round(1 / step)):
                    m = root + (12 if style == "octave" and j % 2 else 0)
                    keep = style != "pedal_16ths" or rng.random() < 0.85
                    if keep:
                        ev.append((b + j * step, step * 0.85, m, 0.9 if j == 0 else 0.7))
            elif style == "boom_chick":
                if b % 2 == 0:
                    ev.append((b, 0.9, root if b % 4 == 0 else root - 5, 0.9))
            elif style == "half_notes":
                if b % 2 == 0:
                    m = root + (7 if b % 4 == 2 and rng.random() < 0.4 else 0) + 12
                    ev.append((b, 1.9, m, 0.7))
            elif style == "pop_syncopated":
                for off in (0.0, 0.75, 1.5, 2.0, 2.5, 3.5):
                    if int(off) == b % 4:  # the offsets that fall in this beat
                        ev.append((b - b % 4 + off, 0.4, root, 0.8))
        if style == "reggae":
            pc, chord = _chord_at(attrs, beat)
            root = 31 + (pc - 31) % 12
            figure = [
                ((1.0, 0.45, 0), (1.5, 0.45, 0), (2.5, 0.45, 7), (3.0, 0.45, 10), (3.5, 0.4, 12)),
                ((0.5, 0.9, 0), (1.5, 0.45, 0), (2.0, 0.9, 7), (3.0, 0.9, 12)),
                ((1.0, 0.9, 0), (2.0, 0.45, chord[1]), (2.5, 0.9, 7), (3.5, 0.45, 5)),
            ][(beat // 8) % 3 if rng.random() < 0.5 else 0]
            ev += [(beat + p, d, root + iv, 0.9) for p, d, iv in figure]
    if style == "sub_808":
        kicks = sorted(kick_positions) or list(np.arange(0, n_beats, 2.0))
        for p, q in zip(kicks, [*kicks[1:], kicks[-1] + 2], strict=True):
            pc, _ = _chord_at(attrs, p)
            ev.append((p, min(q - p, 2.0) * 0.95, 28 + (pc - 28) % 12, 0.9))
    return ev


def _comp_events(attrs, style, n_beats, rng):
    """Accompaniment: list of (pos, dur, midi, vel, strum_index)."""
    ev = []
    bpc = attrs["beats_per_chord"]
    loop = [
        ((0.0, 0), (0.75, 1), (1.5, 2), (2.5, 1)),
        ((0.0, 2), (0.5, 1), (1.5, 0), (3.0, 1)),
        ((0.0, 0), (1.0, 2), (1.75, 1), (2.5, 2), (3.25, 0)),
    ][int(rng.integers(3))]
    stab_positions = [(1.5, 3.5), (0.0, 2.5), (0.5, 1.5, 2.5, 3.5)][int(rng.integers(3))]
    for b in range(n_beats):
        pc, chord = _chord_at(attrs, b)
        voicing = _fold(pc, chord, 52, 72)
        if style == "pad":
            if b % bpc == 0:
                ev += [(b, bpc * 0.98, m, 0.5, 0) for m in voicing]
        elif style == "block":
            ev += [(b, 0.85, m, 0.9 if b % 2 == 0 else 0.7, 0) for m in voicing]
        elif style == "strum":
            third = chord[1] if len(chord) > 1 and chord[1] in (3, 4) else 7
            shape = [0, 7, 12, third + 12, 19, 24] if third != 7 else [0, 7, 12, 19]
            root = 40 + (pc - 40) % 12
            for off, up in ((0.0, False), (0.5, True)) if b % 2 else ((0.0, False),):
                for i, iv in enumerate(reversed(shape) if up else shape):
                    ev.append((b + off, 0.5 if off else 1.0, root + iv, 0.6 if up else 0.8, i))
        elif style == "power_chug":
            root = 40 + (pc - 40) % 12
            step = 0.25 if attrs["genre"] == "metal" else 0.5
            for j in range(round(1 / step)):
                accent = j == 0
                if rng.random() < 0.9:
                    dur = step * (0.9 if accent else 0.45)
                    ev += [
                        (b + j * step, dur, root + iv, 1.0 if accent else 0.75, 0)
                        for iv in (0, 7, 12)
                    ]
        elif style == "skank":
            top = _fold(pc, chord, 60, 76)
            ev += [(b + 0.5, 0.22, m, 0.8, 0) for m in top]
        elif style == "bubble":
            ev += [(b + off, 0.2, m, 0.55, 0) for off in (0.5, 0.75) for m in voicing]
        elif style == "arpeggio":
            step = 0.25 if attrs["note_density"] > 2.5 else 0.5
            tones = voicing + [m + 12 for m in voicing]
            cycle = tones + tones[-2:0:-1]
            for j in range(round(1 / step)):
                m = cycle[(int(b / step) + j) % len(cycle)]
                ev.append((b + j * step, step * 1.6, m, 0.8 if j == 0 else 0.5, 0))
        elif style == "comp":
            if b % 4 == 0:
                shells = _fold(pc, [iv for iv in chord[1:]] + [14], 53, 70)
                for off in rng.choice(
                    [0, 0.5, 1.5, 2, 2.5, 3.5], size=int(rng.integers(2, 4)), replace=False
                ):
                    ev += [(b + float(off), 0.4, m, 0.6, 0) for m in shells]
        elif style == "stabs":
            if b % 4 == 0:
                top = _fold(pc, chord, 60, 79)
                for off in stab_positions:
                    ev += [(b + off, 0.3, m, 0.75, 0) for m in top]
        elif style == "chank":
            top = _fold(pc, chord, 64, 79)
            for j in range(4):
                if rng.random() < (0.9 if j % 2 else 0.5):
                    ev += [(b + j / 4, 0.1, m, 0.8 if j % 2 else 0.45, 0) for m in top]
        elif style == "loop":
            if b % 4 == 0:
                for off, i in loop:
                    ev.append((b + off, 0.7, voicing[i % len(voicing)], 0.7, 0))
    return ev


def _melody_events(attrs, n_beats, rng):
    """Lead line: list of (pos, dur, midi, vel)."""
    density = attrs["note_density"]
    grid = 0.25 if density > 2.2 else 0.5
    scale = MODES[attrs["mode"]]
    centre = attrs["register"]
    pitches = [m for m in range(centre - 9, centre + 10) if (m - attrs["key"]) % 12 in scale]
    pos = np.arange(0, n_beats, grid)
    onset = rng.random(pos.size) < np.clip(density * grid, 0.05, 0.95)
    in_bar = pos % 8
    onset &= ~((in_bar >= 6.5) & (rng.random(pos.size) < 0.7))  # phrase breaths
    onset[(pos % 8) == 0] = True
    times = pos[onset]
    ev = []
    i = len(pitches) // 2
    for p, q in zip(times, [*times[1:], times[-1] + 1], strict=True):
        i = int(np.clip(i + rng.choice([-2, -1, -1, 0, 1, 1, 2, -3, 3]), 0, len(pitches) - 1))
        m = pitches[i]
        if p % 1 == 0:
            pc, chord = _chord_at(attrs, p)
            tones = [n for n in pitches if (n - pc) % 12 in {c % 12 for c in chord}]
            if tones:
                m = min(tones, key=lambda n: abs(n - m))
                i = pitches.index(m)
        ev.append((float(p), float(min(q - p, 2.0) * 0.9), m, 0.9 if p % 1 == 0 else 0.7))
    return ev


class _Clock:
    """Maps song positions in beats to seconds from the start of the clip."""

    def __init__(self, attrs: dict, n_beats: int, start_beat: int, rng: np.random.Generator):
        spb = 60.0 / attrs["tempo"]
        factors = np.ones(n_beats + 2)
        if attrs["rubato"] > 0:
            walk = np.convolve(rng.standard_normal(n_beats + 10), np.hanning(9), "same")[
                : n_beats + 2
            ]
            factors = 1.0 + attrs["rubato"] * walk / (np.abs(walk).max() + 1e-9)
        beats = np.concatenate([[0.0], np.cumsum(spb * factors)])
        self.beats = beats - beats[start_beat] - rng.uniform(0, spb)
        self.swing, self.unit = attrs["swing"], attrs["swing_unit"]

    def __call__(self, pos) -> np.ndarray:
        pos = np.asarray(pos, dtype=float)
        ib = np.floor(pos).astype(int)
        f = pos - ib
        cell = np.floor(f / (2 * self.unit)) * 2 * self.unit
        g = (f - cell) / (2 * self.unit)
        r = self.swing
        g = np.where(g < 0.5, g * (r / 0.5), r + (g - 0.5) * ((1 - r) / 0.5))
        f = cell + g * 2 * self.unit
        ib = np.clip(ib, 0, self.beats.size - 2)
        return self.beats[ib] + f * (self.beats[ib + 1] - self.beats[ib])


def _normalised(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x**2)))
    return x / rms if rms > 0 else x


_REQUIRED = (
    "genre", "tempo", "key", "mode", "progression", "beats_per_chord", "swing", "swing_unit",
    "drums", "drum_pattern", "drum_level", "instruments", "bass_style", "comping", "lead",
    "brightness", "distortion", "note_density", "register", "bass_level", "reverb", "dynamics",
    "rubato",
)  # fmt: skip


def render_clip(
    attributes: dict, *, sr: int = SAMPLE_RATE, duration: float = CLIP_SECONDS, seed: int
) -> np.ndarray:
    """Synthesise a clip from its attributes.

    The arrangement (bass line, accompaniment, melody, drum hits) is generated from the
    attributes and ``seed``; notes are rendered from wavetables with per-voice envelopes,
    guitars go through a waveshaping (tanh) distortion and a cabinet low-pass, drums are
    noise bursts and a pitch-swept sine kick, off-beats are delayed by ``swing``, the harmonic
    mix is low-passed according to ``brightness`` and convolved with a decaying-noise reverb,
    and a slow loudness curve scaled by ``dynamics`` is applied. Finally
    :func:`apply_fades_and_rms` gives the 2 s fades and an RMS of 0.1.

    Parameters
    ----------
    attributes : dict
        As returned by :func:`sample_clip_attributes`.
    sr : int, default 22050
        Sampling rate in Hz.
    duration : float, default 15.0
        Length in seconds; must exceed two fades (4 s).
    seed : int
        Seed of the arrangement, the humanisation and the drum samples.

    Returns
    -------
    ndarray of shape (round(sr * duration),), float32
        The clip, RMS 0.1, starting and ending at 0.

    Raises
    ------
    ValueError
        If ``attributes`` lacks a key or names an unknown genre, ``sr`` or ``duration`` is not
        positive, or ``duration`` is too short for the fades.
    TypeError
        If ``seed`` is not an integer.
    """
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict; received {type(attributes).__name__}.")
    missing = [k for k in _REQUIRED if k not in attributes]
    if missing:
        raise ValueError(
            f"attributes is missing key(s) {missing}; expected the dict returned by "
            "sample_clip_attributes."
        )
    check_choice(attributes["genre"], "attributes['genre']", GENRES)
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    if not (np.isfinite(duration) and duration > 2 * FADE_SECONDS):
        raise ValueError(
            f"duration must be a number of seconds > {2 * FADE_SECONDS} (two fades); "
            f"received {duration!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer; received {type(seed).__name__}.")
    a = attributes
    rng = np.random.default_rng(int(seed))
    n = round(sr * duration)
    spb = 60.0 / a["tempo"]
    start_beat = int(rng.integers(0, 16))
    n_beats = start_beat + math.ceil(duration / (spb * (1 - 2 * a["rubato"]))) + 2
    clock = _Clock(a, n_beats, start_beat, rng)
    synth = _Synth(sr, n, a["brightness"], rng)
    jitter = {"classical": 0.012, "jazz": 0.008}.get(a["genre"], 0.004)
    dyn = a["dynamics"]

    def place(name, events, strum_gap=0.0):
        if not events:
            return
        ev = np.asarray([e[:4] for e in events], dtype=float)
        strum = np.asarray([e[4] if len(e) > 4 else 0 for e in events], dtype=float)
        t0 = clock(ev[:, 0]) + rng.normal(0, jitter, len(ev)) + strum * strum_gap
        t1 = clock(ev[:, 0] + ev[:, 1])
        keep = (t1 > 0) & (t0 < duration)
        starts = np.round(t0 * sr).astype(int)[keep]
        lengths = np.maximum(256, np.round((t1 - t0) * sr / 256).astype(int) * 256)[keep]
        vels = ev[keep, 3] * (1 + 0.3 * dyn * rng.uniform(-1, 1, int(keep.sum())))
        synth.notes(name, starts, lengths, ev[keep, 2].astype(int), vels)

    # drums
    kick_positions: list[float] = []
    if a["drums"] and a["drum_pattern"] != "none":
        kit = _drum_kit(a["genre"], sr, rng)
        drums = synth.bus("drums")
        for voice, hits in _drum_hits(a, n_beats, rng).items():
            if not hits:
                continue
            pos, vel = np.asarray(hits, dtype=float).T
            if voice == "kick":
                kick_positions = pos.tolist()
            t0 = clock(pos) + rng.normal(0, 0.6 * jitter, pos.size)
            vel = vel * rng.uniform(0.9, 1.1, pos.size)
            for s, g in zip(np.round(t0 * sr).astype(int), vel, strict=True):
                synth.add(drums, int(s), kit[voice], float(g))

    # bass line
    names = set(a["instruments"])
    bass_voice = "sub" if a["bass_style"] == "sub_808" else "bass"
    if "bass" not in names:
        bass_voice = "strings" if "strings" in names else "piano"
    place(bass_voice, _bass_events(a, a["bass_style"], n_beats, rng, kick_positions))
    # accompaniment and lead
    for instrument, style in a["comping"]:
        events = _comp_events(a, style, n_beats, rng)
        place(instrument, events, strum_gap=0.012 if style == "strum" else 0.0)
    if a["lead"] is not None:
        place(a["lead"], _melody_events(a, n_beats, rng))

    # buses → mix
    b = synth.buses
    harm = np.zeros(n)
    if "tonal" in b:
        harm += _normalised(b["tonal"])
    for bus, drive, cutoff, gain in (
        ("dist", 1 + 25 * a["distortion"] ** 1.5, 4500.0, 1.3),
        ("egtr", 1 + 8 * a["distortion"], 6000.0, 0.8),
    ):
        if bus in b:
            x = np.tanh(drive * 0.5 * _normalised(b[bus]))
            sos = signal.butter(2, [80.0, min(cutoff, 0.45 * sr)], "bandpass", fs=sr, output="sos")
            harm += gain * _normalised(signal.sosfilt(sos, x))
    cutoff = 1500.0 * 2.0 ** (3.0 * a["brightness"])
    if cutoff < 0.45 * sr:
        harm = signal.sosfilt(signal.butter(2, cutoff, fs=sr, output="sos"), harm)
    mix = _normalised(harm)
    if "bass" in b:
        mix += (0.3 + 0.9 * a["bass_level"]) * _normalised(b["bass"])
    if "drums" in b:
        mix += 0.9 * a["drum_level"] * _normalised(b["drums"])
    if a["reverb"] >= 0.1:
        rt60 = 0.4 + 2.0 * a["reverb"]
        t = np.arange(int(min(rt60, 1.5) * sr)) / sr
        ir = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60)
        wet = signal.oaconvolve(mix, ir / np.sqrt(np.sum(ir**2)))[:n]
        mix = mix + (0.2 + 0.6 * a["reverb"]) * wet
    # slow loudness curve (± 9 dB x dynamics)
    knots = np.linspace(0, n, 6)
    shape = rng.uniform(-1, 1, 6)
    if a["genre"] == "classical":
        shape = np.clip(np.linspace(-1, 1, 6) * rng.choice([-1, 1]) + 0.4 * shape, -1, 1)
    mix *= 10.0 ** (9.0 * dyn * np.interp(np.arange(n), knots, shape) / 20.0)
    return apply_fades_and_rms(mix, sr, fade_seconds=FADE_SECONDS)


# --------------------------------------------------------------------------------------------
# Captions
# --------------------------------------------------------------------------------------------

_GENRE_WORDS = {
    "blues": ("blues",), "classical": ("classical",), "country": ("country",),
    "disco": ("disco",), "hiphop": ("hip-hop", "hip hop"), "jazz": ("jazz",),
    "metal": ("heavy metal", "metal"), "pop": ("pop",), "reggae": ("reggae",), "rock": ("rock",),
}  # fmt: skip
_GENRE_NOUNS = {
    "classical": ("piece", "composition", "orchestral piece"),
    "hiphop": ("beat", "instrumental", "track"),
    "jazz": ("tune", "number", "piece"),
}
_INSTRUMENT_WORDS = {
    "piano": "piano", "strings": "strings", "acoustic_guitar": "acoustic guitar",
    "electric_guitar": "electric guitar", "distorted_guitar": "distorted electric guitar",
    "bass": "bass", "synth": "synthesizer", "brass": "brass", "organ": "organ", "drums": "drums",
}  # fmt: skip
_LEAD_WORDS = {
    "brass": ("saxophone", "trumpet", "horn"), "strings": ("violin", "string"),
    "synth": ("synth", "synthesizer"), "distorted_guitar": ("shredding guitar",),
    "electric_guitar": ("electric guitar",), "piano": ("piano",), "organ": ("organ",),
}  # fmt: skip
_BASS_WORDS = {
    "walking": "a walking bass line", "boogie": "a boogie bass line",
    "sub_808": "deep 808 sub-bass", "octave": "an octave-jumping bass line",
    "reggae": "a heavy, syncopated bass line", "root_eighths": "a driving eighth-note bass",
    "pedal_16ths": "galloping sixteenth-note bass", "boom_chick": "a boom-chick bass",
    "half_notes": "low sustained bass notes", "pop_syncopated": "a syncopated bass line",
}  # fmt: skip
_DRUM_WORDS = {
    "backbeat": "a steady rock backbeat", "pop": "a punchy pop beat",
    "four_on_the_floor": "a four-on-the-floor kick with open hi-hats",
    "shuffle": "a shuffling drum groove", "swing_ride": "a swinging ride cymbal",
    "boom_bap": "a boom-bap drum break", "one_drop": "a one-drop drum beat",
    "steppers": "a steppers drum rhythm", "train_beat": "brushed train-beat drums",
    "double_kick": "pounding double-kick drums", "blast_beat": "relentless blast beats",
}  # fmt: skip
_COMP_WORDS = {
    "pad": "sustained {i}", "block": "{i} chords", "strum": "strummed {i}",
    "power_chug": "chugging power chords", "skank": "offbeat {i} skanks",
    "bubble": "a bubbling {i}", "arpeggio": "arpeggiated {i}", "comp": "{i} comping",
    "stabs": "{i} stabs", "chank": "choppy funk guitar", "loop": "a looped {i} figure",
}  # fmt: skip
_FEEL_WORDS = {
    "straight": "straight groove", "swing": "swinging feel",
    "offbeat_skank": "offbeat skank rhythm", "four_on_the_floor": "four-on-the-floor pulse",
    "backbeat": "steady backbeat", "breakbeat": "head-nodding breakbeat",
    "none": "free, flowing rhythm",
}  # fmt: skip
_MODE_WORDS = {
    "major": "a major key", "minor": "a minor key", "dorian": "the Dorian mode",
    "mixolydian": "the Mixolydian mode", "harmonic_minor": "harmonic minor",
    "phrygian": "the dark Phrygian mode", "blues": "the blues scale",
}  # fmt: skip
_MOODS = {
    (1, 1): ("joyful", "energetic", "euphoric", "exuberant"),
    (1, -1): ("peaceful", "warm", "serene", "gentle"),
    (1, 0): ("cheerful", "bright", "pleasant", "hopeful"),
    (-1, 1): ("aggressive", "tense", "angry", "menacing"),
    (-1, -1): ("melancholic", "sad", "somber", "brooding"),
    (-1, 0): ("moody", "bittersweet", "wistful", "gloomy"),
    (0, 1): ("lively", "driving", "exciting", "restless"),
    (0, -1): ("calm", "relaxed", "laid-back", "dreamy"),
    (0, 0): ("mellow", "easygoing", "steady", "understated"),
}


def _an(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sign(x: float) -> int:
    return 1 if x > 0.25 else (-1 if x < -0.25 else 0)


def make_caption(attributes: dict, rng: np.random.Generator) -> str:
    """Write an English caption (about 25–50 words) describing a clip.

    The caption names the genre, the tempo feel, the instruments and their roles, the mood
    (from valence and arousal) and the caption-only imagery words, with phrasing drawn from
    several templates, like the Brain2Music captions of the ds003720 clips.

    Parameters
    ----------
    attributes : dict
        As returned by :func:`sample_clip_attributes`.
    rng : numpy.random.Generator
        Chooses among templates and synonyms.

    Returns
    -------
    str
        The caption.
    """
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict; received {type(attributes).__name__}.")
    missing = [k for k in ("genre", "tempo", "mode", "feel", "valence", "arousal", "imagery")
               if k not in attributes]  # fmt: skip
    if missing:
        raise ValueError(f"attributes is missing key(s) {missing}.")
    check_choice(attributes["genre"], "attributes['genre']", GENRES)
    a = attributes

    def pick(options):
        return options[int(rng.integers(len(options)))]

    genre = pick(_GENRE_WORDS[a["genre"]])
    noun = pick(_GENRE_NOUNS.get(a["genre"], ("track", "song", "tune")))
    bpm = a["tempo"]
    tempo = pick(
        ("slow", "unhurried") if bpm < 80 else ("mid-tempo", "laid-back") if bpm < 105
        else ("upbeat", "brisk") if bpm < 135 else ("fast", "high-energy", "breakneck")
    )  # fmt: skip
    moods = list(rng.choice(_MOODS[(_sign(a["valence"]), _sign(a["arousal"]))], 2, replace=False))

    opening = pick([
        f"{_an(tempo).capitalize()} {tempo} {genre} {noun} in {_MODE_WORDS[a['mode']]}.",
        f"This is {_an(tempo)} {tempo} {genre} {noun} at about {round(bpm)} BPM.",
        f"{_an(moods[0]).capitalize()} {moods[0]}, {tempo} {genre} {noun}.",
        f"{_an(genre).capitalize()} {genre} {noun} with {_an(tempo)} {tempo} "
        f"{_FEEL_WORDS[a['feel']]}.",
    ])  # fmt: skip

    parts = []
    if a.get("lead"):
        density = a.get("note_density", 2.0)
        busy = "busy" if density > 2.5 else "sparse" if density < 1.2 else "lyrical"
        parts.append(f"{_an(busy)} {busy} {pick(_LEAD_WORDS[a['lead']])} melody")
    for instrument, style in a.get("comping", []):
        parts.append(_COMP_WORDS[style].format(i=_INSTRUMENT_WORDS[instrument]))
    if a.get("bass_style") and "bass" in a.get("instruments", []):
        parts.append(_BASS_WORDS[a["bass_style"]])
    if a.get("drums"):
        parts.append(_DRUM_WORDS.get(a.get("drum_pattern"), "drums"))
    parts = parts[:4]
    body = _join(parts)
    arrangement = pick([
        f"It features {body}.", f"The arrangement has {body}.", f"You can hear {body}.",
        f"{body[:1].upper()}{body[1:]} fill the mix.",
    ]) if parts else "It is a sparse, minimal arrangement."  # fmt: skip
    if not a.get("drums") and parts:
        arrangement = arrangement[:-1] + ", with no percussion."

    imagery = _join(list(a["imagery"]))
    mood = pick([
        f"The mood is {moods[0]} and {moods[1]}, evoking {imagery}.",
        f"It feels {moods[0]} and {moods[1]}, bringing to mind {imagery}.",
        f"{_an(moods[1]).capitalize()} {moods[1]} atmosphere that suggests {imagery}.",
    ])  # fmt: skip

    sound = []
    b = a.get("brightness", 0.5)
    sound.append("bright" if b > 0.65 else "dark and muted" if b < 0.3 else "warm")
    if a.get("distortion", 0) > 0.6:
        sound.append("heavily distorted")
    elif a.get("distortion", 0) > 0.2:
        sound.append("gritty")
    if a.get("reverb", 0) > 0.5:
        sound.append("drenched in reverb")
    if a.get("dynamics", 0) > 0.5:
        sound.append("with sweeping dynamic swells")
    timbre = f"The sound is {_join(sound)}."
    sentences = [opening, arrangement, mood]
    if len(" ".join(sentences).split()) + len(timbre.split()) <= 50:
        sentences.insert(2, timbre)
    return " ".join(sentences)


# --------------------------------------------------------------------------------------------
# Ground-truth feature vectors
# --------------------------------------------------------------------------------------------

#: Column names of the arrays returned by :func:`attribute_features`.
ATTRIBUTE_FEATURE_NAMES: dict[str, list[str]] = {
    "acoustic": [
        "tempo", "brightness", "note_density", "distortion", "dynamics", "percussiveness",
        "bass_weight", "pitch_height", "swing", "harmonic_complexity", "reverb",
    ],
    "semantic": [f"genre={g}" for g in GENRES]
    + [f"instrument={i}" for i in INSTRUMENTS]
    + ["valence", "arousal"],
    "text_only": [f"imagery={w}" for w in IMAGERY],
}  # fmt: skip
_COMPLEXITY = {"5": 0.0, "maj": 0.25, "min": 0.25, "7": 0.6, "maj7": 0.6, "min7": 0.6,
               "m7b5": 0.8, "9": 1.0}  # fmt: skip


def attribute_features(attributes_list: list[dict]) -> dict[str, np.ndarray]:
    """Numeric ground truth of clips, as used by the planted brain model.

    Parameters
    ----------
    attributes_list : list of dict
        One dict per clip, as returned by :func:`sample_clip_attributes`.

    Returns
    -------
    dict of str to ndarray
        ``"acoustic"``: array of shape (n_clips, 11), low-level audible quantities, each
        roughly in [0, 1]: ``tempo`` ((BPM - 60) / 160), ``brightness``, ``note_density``
        (melody notes per beat / 4), ``distortion``, ``dynamics`` (depth of the loudness
        curve), ``percussiveness`` (drum level x drum-hit rate, plus the share of plucked
        instruments), ``bass_weight``, ``pitch_height`` ((melody MIDI centre - 60) / 24; 0.25
        without a melody), ``swing`` ((swing - 0.5) / 0.2), ``harmonic_complexity`` (power
        chord 0, triad 0.25, seventh 0.6, ninth 1; mean over the progression), ``reverb``.

        ``"semantic"``: array of shape (n_clips, 22): genre one-hot in :data:`GENRES` order
        (10), instrument multi-hot in :data:`INSTRUMENTS` order (10), ``valence`` and
        ``arousal`` (in [-1, 1]).

        ``"text_only"``: array of shape (n_clips, 16): multi-hot of the caption-only imagery
        words in :data:`IMAGERY` order.

        Column names are in :data:`ATTRIBUTE_FEATURE_NAMES`.

    Raises
    ------
    ValueError
        If ``attributes_list`` is empty or an entry lacks a needed key.
    """
    if isinstance(attributes_list, dict) or not len(attributes_list):
        raise ValueError(
            "attributes_list must be a non-empty list of attribute dicts; received "
            f"{type(attributes_list).__name__} of length {len(attributes_list)}."
        )
    needed = (*_REQUIRED, "valence", "arousal", "imagery")
    rows: dict[str, list] = {k: [] for k in ATTRIBUTE_FEATURE_NAMES}
    max_density = max(_pattern_density(p) for p in DRUM_PATTERNS if p != "none")
    for i, a in enumerate(attributes_list):
        missing = [k for k in needed if k not in a] if isinstance(a, dict) else ["(not a dict)"]
        if missing:
            raise ValueError(f"attributes_list[{i}] is missing key(s) {missing}.")
        check_choice(a["genre"], f"attributes_list[{i}]['genre']", GENRES)
        instruments = set(a["instruments"])
        tonal = [x for x in instruments if x != "drums"]
        plucked = sum(x in _PLUCKED for x in tonal) / max(1, len(tonal))
        drum_rate = _pattern_density(a["drum_pattern"]) / max_density if a["drums"] else 0.0
        complexity = np.mean([_COMPLEXITY[q] for _, q in a["progression"]])
        rows["acoustic"].append([
            (a["tempo"] - 60.0) / 160.0, a["brightness"], a["note_density"] / 4.0,
            a["distortion"], a["dynamics"], 0.7 * a["drum_level"] * drum_rate + 0.3 * plucked,
            a["bass_level"], (a["register"] - 60.0) / 24.0 if a["lead"] else 0.25,
            (a["swing"] - 0.5) / 0.2, complexity, a["reverb"],
        ])  # fmt: skip
        rows["semantic"].append(
            [float(a["genre"] == g) for g in GENRES]
            + [float(x in instruments) for x in INSTRUMENTS]
            + [a["valence"], a["arousal"]]
        )
        unknown = set(a["imagery"]) - set(IMAGERY)
        if unknown:
            raise ValueError(
                f"attributes_list[{i}]['imagery'] must contain words of IMAGERY; received "
                f"unknown {sorted(unknown)}."
            )
        rows["text_only"].append([float(w in a["imagery"]) for w in IMAGERY])
    return {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}
