"""Feature spaces (embedders) of audio, text and labels, and their on-disk cache.

Every space follows :class:`FeatureSpace`: ``embed_audio(waveforms, sr) -> (n, d)`` and,
where meaningful, ``embed_text(texts) -> (n, d)``, with a stable ``name``/``version`` and
``params`` that key :func:`cached_features`.
"""

from __future__ import annotations

from b2m.features._acoustic import AcousticFeatures, GenreOneHot
from b2m.features._base import FeatureSpace
from b2m.features._cache import cached_features
from b2m.features._text import SentenceMiniLM, TextLSA

__all__ = [
    "AcousticFeatures",
    "FeatureSpace",
    "GenreOneHot",
    "SentenceMiniLM",
    "TextLSA",
    "cached_features",
    "get_feature_space",
]

_SPACES: dict[str, type[FeatureSpace]] = {
    AcousticFeatures.name: AcousticFeatures,
    GenreOneHot.name: GenreOneHot,
    TextLSA.name: TextLSA,
    SentenceMiniLM.name: SentenceMiniLM,
}


def get_feature_space(name: str, **params) -> FeatureSpace:
    """Build a feature space by name.

    Parameters
    ----------
    name : str
        ``"acoustic"`` (:class:`AcousticFeatures`), ``"genre"`` (:class:`GenreOneHot`),
        ``"text-lsa"`` (:class:`TextLSA`, captions, offline) or ``"sentence-minilm"``
        (:class:`SentenceMiniLM`, captions; needs the ``text`` extra).
    **params
        Passed to the space's constructor.

    Returns
    -------
    FeatureSpace

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the available names).
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
