"""Genre grammars and :func:`sample_clip_attributes` (the attributes of one clip)."""

from __future__ import annotations

import numpy as np

from b2m._utils._validation import check_choice
from b2m.datasets.simulation.music._constants import (
    _KEY_NAMES,
    _MINORISH,
    _PROGRESSIONS,
    GENRES,
    IMAGERY,
    INSTRUMENTS,
)

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
