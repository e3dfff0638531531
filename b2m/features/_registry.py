"""The registry of feature spaces by name, and the one resolver of a ``space`` argument."""

from __future__ import annotations

from b2m.features._acoustic import AcousticFeatures, GenreOneHot
from b2m.features._base import FeatureSpace
from b2m.features._clap import ClapFeatures, ClapTextFeatures
from b2m.features._musicnn import (
    MusicnnFeatures,
    MusicnnMSDFeatures,
    MusicnnMSDTagFeatures,
    MusicnnTagFeatures,
)
from b2m.features._text import SentenceMiniLM, TextLSA
from b2m.features._w2vbert import W2VBertFeatures

__all__ = ["available_spaces", "get_feature_space", "resolve_feature_space"]

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


def available_spaces(spaces, *, report=print) -> list[str]:
    """The names in ``spaces`` that can be used here, in order; a message for each left out.

    A space is left out when building it raises ``ImportError`` (its extra is not
    installed). ``"sentence-minilm"`` is also asked to embed one sentence, because its model
    is only loaded then. Other errors (an unknown name, missing weights) are raised.

    Parameters
    ----------
    spaces : iterable of str
        Names for :func:`get_feature_space`.
    report : callable, default print
        Called with one message per space left out.

    Returns
    -------
    list of str
    """
    out = []
    for name in spaces:
        try:
            space = get_feature_space(name)
            if name == SentenceMiniLM.name:
                space.embed_text(["a check that the model loads"])
        except ImportError as exc:
            report(f"skipping feature space {name!r}: {exc}")
            continue
        out.append(name)
    return out


def resolve_feature_space(space, *, modality: str | None = None, param: str = "space"):
    """A feature space from a name or an instance, checked for the modality a caller needs.

    The one way b2m turns a user's ``space`` argument into a :class:`FeatureSpace`: the
    retrieval library, the reconstruction evaluation and the command line all call it.

    Parameters
    ----------
    space : str or FeatureSpace
        A name :func:`get_feature_space` knows, or a space already built.
    modality : {"audio", "text"}, optional
        Required modality (e.g. ``"audio"`` to embed music files or reconstructions).
    param : str, default "space"
        The caller's parameter name, used in error messages (e.g. ``"--space"``).

    Returns
    -------
    FeatureSpace

    Raises
    ------
    ValueError
        If the name is unknown or the space has another modality.
    TypeError
        If ``space`` is neither a name nor a FeatureSpace.
    """
    if isinstance(space, str):
        try:
            space = get_feature_space(space)
        except ValueError as exc:
            message = str(exc)
            if message.startswith("name must be"):
                raise ValueError(param + message[len("name") :]) from None
            raise
    if not isinstance(space, FeatureSpace):
        raise TypeError(
            f"{param} must be a feature-space name or a FeatureSpace; received "
            f"{type(space).__name__}."
        )
    if modality is not None and space.modality != modality:
        example = {"audio": "'acoustic' or 'musicnn'", "text": "'text-lsa'"}.get(modality, "")
        raise ValueError(
            f"{param} must embed {modality}; received {space.name!r}, a {space.modality} "
            f"space." + (f" Use e.g. {example}." if example else "")
        )
    return space
