"""Numeric ground truth of the simulated clips (:func:`attribute_features`)."""

from __future__ import annotations

import numpy as np

from b2m._utils._validation import check_choice
from b2m.datasets.simulation.music._constants import (
    _REQUIRED,
    DRUM_PATTERNS,
    GENRES,
    IMAGERY,
    INSTRUMENTS,
)

_PLUCKED = {"piano", "acoustic_guitar", "electric_guitar", "bass"}


def _pattern_density(name: str) -> float:
    """Mean number of drum hits per beat of a pattern (first variant of each voice)."""
    bars = DRUM_PATTERNS[name]
    return sum(sum(c != "." for c in v[0]) for v in bars.values()) / 4.0


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
