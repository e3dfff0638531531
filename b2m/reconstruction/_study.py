"""Reconstructors built for one study's decoding: what the notebooks and the demo call."""

from __future__ import annotations

import warnings

import numpy as np

from b2m._utils._validation import check_choice
from b2m.reconstruction._base import Reconstructor
from b2m.reconstruction._diffusion import CLAPDiffusionReconstructor
from b2m.reconstruction._music_library import MusicLibrary
from b2m.reconstruction._musicgen import MusicGenReconstructor
from b2m.reconstruction._readout import study_attributes
from b2m.reconstruction._retrieval import LIBRARIES, RetrievalReconstructor, study_library
from b2m.reconstruction._synth import SynthReconstructor

__all__ = ["BACKENDS", "make_reconstructor", "reconstruct_study"]

#: Backends :func:`make_reconstructor` knows.
BACKENDS = ("retrieval", "synth", "musicgen", "diffusion")


def _check_decoding(decoding) -> None:
    if not all(hasattr(decoding, a) for a in ("decoder", "decoded", "test_ids", "space")):
        raise TypeError(
            "decoding must be a b2m.analysis.DecodingResult (from decode_study); received "
            f"{type(decoding).__name__}."
        )


def make_reconstructor(backend: str, study, decoding, *, library=None, **params) -> Reconstructor:
    """A reconstructor for a study's decoded embeddings, fitted on its training clips only.

    Everything lives in the decoder's standardised embedding space (the space of
    ``decoding.decoded``): the training clips' embeddings and the library are standardised
    with the decoder's training statistics.

    Parameters
    ----------
    backend : {"retrieval", "synth", "musicgen", "diffusion"}
        ``"retrieval"``: :class:`RetrievalReconstructor` over the study's clips chosen by
        ``library`` (:func:`study_library`), leaving each target out. ``"synth"``:
        :class:`SynthReconstructor` fitted on the training clips' attributes (simulated
        study). ``"musicgen"``: :class:`MusicGenReconstructor` fitted on the training clips'
        captions (or attributes, ``prompt="attributes"``). ``"diffusion"``:
        :class:`CLAPDiffusionReconstructor` (AudioLDM or MusicLDM conditioned on the decoded
        CLAP embedding), given the decoder's standardisation statistics and the study's
        sampling rate; the decoding must be of the ``clap`` space (or of a space as wide as
        the pipeline's conditioning, with a warning).
    study : b2m.datasets.Study
    decoding : b2m.analysis.DecodingResult
        From :func:`b2m.analysis.decode_study` on this study (feature space parameters at
        their defaults).
    library : {"train", "all-but-target"} or MusicLibrary, optional
        Retrieval only: the clips retrieved from. ``"train"`` (the default) the training
        clips, disjoint from the test set; ``"all-but-target"`` every clip of the study but
        the target (the other test clips included: the behaviour before the default
        changed); or a :class:`MusicLibrary` of real recordings embedded in the decoded
        space (:func:`debian_music_library`), standardised with the decoder's training
        statistics. Recorded in each reconstruction's provenance as ``library_name``.
    **params
        Passed to the backend's constructor.

    Returns
    -------
    Reconstructor

    Raises
    ------
    ValueError
        If ``backend`` or ``library`` is unknown, or ``library`` is given for a backend
        other than retrieval, or the diffusion backend is given a decoding whose width
        differs from the pipeline's conditioning width.
    """
    # lazy: b2m.analysis pulls b2m.datasets (pooch, yaml, platformdirs)
    from b2m.analysis import study_embeddings

    check_choice(backend, "backend", BACKENDS)
    if backend != "retrieval" and library is not None:
        raise ValueError(
            f"library applies to the retrieval backend only; received library={library!r} "
            f"for backend {backend!r}."
        )
    _check_decoding(decoding)
    if backend == "diffusion":
        return _diffusion_reconstructor(study, decoding, params)
    transform = decoding.decoder.transform_embeddings
    if backend == "retrieval" and isinstance(library, MusicLibrary):
        if library.space != decoding.space:
            raise ValueError(
                f"library must be embedded in the decoded space {decoding.space!r}; received a "
                f"library embedded in {library.space!r}."
            )
        return RetrievalReconstructor(
            library.index(transform),
            library.load_audio,
            source="debian-music",
            library_name="debian-music",
            **params,
        )
    if backend == "retrieval":
        name = check_choice("train" if library is None else library, "library", LIBRARIES)
        index = study_library(study, decoding.space, transform=transform, library=name)
        return RetrievalReconstructor(
            index, study.load_audio, source=study.key, library_name=name, **params
        )
    train_ids = [str(c) for c in study.responses.train_ids]
    emb = study_embeddings(study, decoding.space, progressbar=False)
    train = np.asarray(transform(emb[study.clip_indices(train_ids)]), dtype=np.float64)
    if backend == "synth":
        rec = SynthReconstructor(**params)
        return rec.fit(train, study_attributes(study, train_ids), clip_ids=train_ids)
    rec = MusicGenReconstructor(**params)
    if rec.params["prompt"] == "attributes":
        return rec.fit(train, attributes=study_attributes(study, train_ids), clip_ids=train_ids)
    captions = study.clips["caption"].to_numpy()[study.clip_indices(train_ids)].tolist()
    return rec.fit(train, captions=captions, clip_ids=train_ids)


def _diffusion_reconstructor(study, decoding, params: dict) -> CLAPDiffusionReconstructor:
    """The diffusion backend for a decoding: its CLAP units restored, the study's rate."""
    params = dict(params)
    params.setdefault("sr", int(study.sample_rate))
    scaler = decoding.decoder.target_scaler_
    rec = CLAPDiffusionReconstructor(**params).fit(scaler.mean_, scaler.scale_)
    if decoding.space == "clap":
        return rec
    width = np.shape(decoding.decoded)[1]
    what = (
        "decoding must be of the 'clap' feature space (the diffusion backend conditions on "
        f"CLAP audio embeddings); received a decoding of the {decoding.space!r} space, {width}-d."
    )
    try:
        rec.load()  # the pipeline's conditioning width, and the width check
    except ValueError as exc:
        raise ValueError(f"{what} {exc}") from None
    except FileNotFoundError as exc:
        raise ValueError(
            f"{what} The pipeline's conditioning width could not be checked either: {exc}"
        ) from None
    warnings.warn(
        f"The diffusion backend conditions on CLAP audio embeddings, but decoding is of the "
        f"{decoding.space!r} space; its {width}-d rows match the pipeline's conditioning width "
        "and are used as if they were CLAP embeddings.",
        UserWarning,
        stacklevel=3,
    )
    return rec


def reconstruct_study(
    study,
    decoding,
    backends=("retrieval", "synth"),
    *,
    k: int = 1,
    clip_ids=None,
    params: dict | None = None,
) -> dict:
    """Reconstruct a study's decoded test clips with several backends.

    Parameters
    ----------
    study : b2m.datasets.Study
    decoding : b2m.analysis.DecodingResult
    backends : sequence of str, default ("retrieval", "synth")
        Names of :data:`BACKENDS`.
    k : int, default 1
        Reconstructions per test clip.
    clip_ids : sequence of str, optional
        Test clips to reconstruct (default all, in ``decoding.test_ids`` order).
    params : dict, optional
        Per backend, parameters of :func:`make_reconstructor`, e.g. ``{"synth": {"seed":
        1}}`` or ``{"retrieval": {"library": "all-but-target"}}``.

    Returns
    -------
    dict of str to list of list of Reconstruction
        Per backend, ``result[backend][i][r]`` for the ``i``-th requested clip.
    """
    _check_decoding(decoding)
    backends = [backends] if isinstance(backends, str) else list(backends)
    if not backends:
        raise ValueError(f"backends must name at least one of {list(BACKENDS)}; received [].")
    for b in backends:
        check_choice(b, "backends", BACKENDS)
    params = dict(params or {})
    extra = sorted(set(params) - set(backends))
    if extra:
        raise ValueError(
            f"params must be keyed by the requested backends {backends}; received {extra}."
        )
    ids = [str(c) for c in decoding.test_ids]
    rows = list(range(len(ids)))
    if clip_ids is not None:
        if isinstance(clip_ids, str):
            raise TypeError("clip_ids must be a sequence of str; received a single str.")
        pos = {c: i for i, c in enumerate(ids)}
        unknown = [c for c in clip_ids if c not in pos]
        if unknown:
            raise ValueError(
                f"clip_ids must be test clips of the decoding; received unknown {unknown[:3]}."
            )
        rows = [pos[c] for c in clip_ids]
    decoded = np.asarray(decoding.decoded)[rows]
    targets = [ids[i] for i in rows]
    return {
        b: make_reconstructor(b, study, decoding, **params.get(b, {})).reconstruct(
            decoded, targets, k=k
        )
        for b in backends
    }
