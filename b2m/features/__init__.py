"""Feature spaces (embedders) of audio, text and labels, and their on-disk cache.

Every space follows :class:`FeatureSpace`: ``embed_audio(waveforms, sr) -> (n, d)`` and,
where meaningful, ``embed_text(texts) -> (n, d)``, with a stable ``name``/``version`` and
``params`` that key :func:`cached_features`.
"""

from __future__ import annotations

from b2m.features._acoustic import AcousticFeatures, GenreOneHot
from b2m.features._base import FeatureSpace
from b2m.features._cache import cached_features
from b2m.features._clap import ClapFeatures, ClapTextFeatures
from b2m.features._library import embed_music_folder
from b2m.features._musicnn import (
    MusicnnFeatures,
    MusicnnMSDFeatures,
    MusicnnMSDTagFeatures,
    MusicnnTagFeatures,
    musicnn_tags,
)
from b2m.features._registry import available_spaces, get_feature_space, resolve_feature_space
from b2m.features._text import SentenceMiniLM, TextLSA
from b2m.features._w2vbert import W2VBertFeatures

__all__ = [
    "AcousticFeatures",
    "ClapFeatures",
    "ClapTextFeatures",
    "FeatureSpace",
    "GenreOneHot",
    "MusicnnFeatures",
    "MusicnnMSDFeatures",
    "MusicnnMSDTagFeatures",
    "MusicnnTagFeatures",
    "SentenceMiniLM",
    "TextLSA",
    "W2VBertFeatures",
    "available_spaces",
    "cached_features",
    "embed_music_folder",
    "get_feature_space",
    "musicnn_tags",
    "resolve_feature_space",
]
