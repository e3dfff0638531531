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
    "cached_features",
    "embed_music_folder",
    "get_feature_space",
    "musicnn_tags",
]

_SPACES: dict[str, type[FeatureSpace]] = {
    AcousticFeatures.name: AcousticFeatures,
    GenreOneHot.name: GenreOneHot,
    TextLSA.name: TextLSA,
    SentenceMiniLM.name: SentenceMiniLM,
    ClapFeatures.name: ClapFeatures,
    ClapTextFeatures.name: ClapTextFeatures,
    W2VBertFeatures.name: W2VBertFeatures,
    MusicnnFeatures.name: MusicnnFeatures,
    MusicnnTagFeatures.name: MusicnnTagFeatures,
    MusicnnMSDFeatures.name: MusicnnMSDFeatures,
    MusicnnMSDTagFeatures.name: MusicnnMSDTagFeatures,
}


def get_feature_space(name: str, **params) -> FeatureSpace:
    """Build a feature space by name.

    Parameters
    ----------
    name : str
        ``"acoustic"`` (:class:`AcousticFeatures`), ``"genre"`` (:class:`GenreOneHot`),
        ``"text-lsa"`` (:class:`TextLSA`, captions, offline), ``"sentence-minilm"``
        (:class:`SentenceMiniLM`, captions; needs the ``text`` extra), ``"clap"``
        (:class:`ClapFeatures`, music and text in one space; ``clap`` extra), ``"clap-text"``
        (:class:`ClapTextFeatures`, the same CLAP model applied to captions), ``"w2v-bert"``
        (:class:`W2VBertFeatures`, hidden layers of w2v-BERT 2.0; ``w2v`` extra), or the
        musicnn taggers (``musicnn`` extra; weights ship with the package): ``"musicnn"``
        (:class:`MusicnnFeatures`, the 200-d penultimate layer of the MagnaTagATune model),
        ``"musicnn-tags"`` (:class:`MusicnnTagFeatures`, its 50 tag logits),
        ``"musicnn-msd"`` and ``"musicnn-msd-tags"`` (:class:`MusicnnMSDFeatures`,
        :class:`MusicnnMSDTagFeatures`: the Million Song Dataset model). The
        weight-bearing spaces ``clap``, ``clap-text`` and ``w2v-bert`` read their weights from
        a local folder or your Hugging Face cache, never from the network, and raise
        ``FileNotFoundError`` with download instructions when they are missing.
    **params
        Passed to the space's constructor.

    Returns
    -------
    FeatureSpace

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the available names).
    FileNotFoundError
        If a weight-bearing space's model is not on this machine.
    OSError
        If musicnn's shipped weights fail their SHA-256 check.
    TypeError
        If a parameter is not accepted by that space.
    """
    if name not in _SPACES:
        raise ValueError(f"name must be one of {sorted(_SPACES)}; received {name!r}.")
    cls = _SPACES[name]
    try:
        return cls(**params)
    except TypeError as exc:
        if "unexpected keyword" not in str(exc) and "positional" not in str(exc):
            raise
        raise TypeError(
            f"Invalid parameters for feature space {name!r} ({cls.__name__}): {exc}"
        ) from None
