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

Layout: :mod:`._constants` (vocabulary, drum patterns), :mod:`._grammar` (genre grammars,
:func:`sample_clip_attributes`), :mod:`._arrangement` (events and timing), :mod:`._synth`
(voices, drum kit), :mod:`._render` (:func:`render_clip`, :func:`apply_fades_and_rms`),
:mod:`._captions` (:func:`make_caption`), :mod:`._attributes` (:func:`attribute_features`).
"""

from __future__ import annotations

from b2m.datasets.simulation.music._attributes import ATTRIBUTE_FEATURE_NAMES, attribute_features
from b2m.datasets.simulation.music._captions import make_caption
from b2m.datasets.simulation.music._constants import (
    CLIP_SECONDS,
    DRUM_PATTERNS,
    FADE_SECONDS,
    FEELS,
    GENRES,
    IMAGERY,
    INSTRUMENTS,
    MODES,
    SAMPLE_RATE,
)
from b2m.datasets.simulation.music._grammar import sample_clip_attributes
from b2m.datasets.simulation.music._render import apply_fades_and_rms, render_clip

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
