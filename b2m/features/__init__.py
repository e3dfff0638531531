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
from b2m.features._text import SentenceMiniLM, TextLSA
from b2m.features._w2vbert import W2VBertFeatures

__all__ = [
    "AcousticFeatures",
    "ClapFeatures",
    "ClapTextFeatures",
    "FeatureSpace",
    "GenreOneHot",
    "SentenceMiniLM",
    "TextLSA",
    "W2VBertFeatures",
    "cached_features",
    "embed_music_folder",
    "get_feature_space",
]

_SPACES: dict[str, type[FeatureSpace]] = {
    AcousticFeatures.name: AcousticFeatures,
    GenreOneHot.name: GenreOneHot,
    TextLSA.name: TextLSA,
    SentenceMiniLM.name: SentenceMiniLM,
    ClapFeatures.name: ClapFeatures,
    ClapTextFeatures.name: ClapTextFeatures,
    W2VBertFeatures.name: W2VBertFeatures,
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
        (:class:`ClapTextFeatures`, the same CLAP model applied to captions) or ``"w2v-bert"``
        (:class:`W2VBertFeatures`, hidden layers of w2v-BERT 2.0; ``w2v`` extra). The
        weight-bearing spaces (``clap``, ``clap-text``, ``w2v-bert``) read their weights from
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
