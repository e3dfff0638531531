"""Embeddings of a study's clips in a feature space, cached on disk."""

from __future__ import annotations

import numpy as np

from b2m._utils._progress import progress
from b2m._utils._validation import check_array
from b2m.features import cached_features, get_feature_space
from b2m.models import correlation_matrix

__all__ = ["genre_neighbour_agreement", "neighbour_overlap", "study_embeddings"]


def study_embeddings(
    study, space: str = "acoustic", *, progressbar: bool = True, **params
) -> np.ndarray:
    """Embeddings of every clip of a study in one feature space (cached on disk).

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
        A name known to :func:`b2m.features.get_feature_space` (``"acoustic"``, ``"genre"``…).
    **params
        Passed to the feature space.

    Returns
    -------
    ndarray of shape (n_clips, n_dims)
        Rows in the order of ``study.clips``. A space fitted on the texts it embeds
        (``fits_on_texts``, e.g. ``"text-lsa"``) is fitted on the training clips' captions
        (``study.responses.train_ids``) and the test captions are projected.
    """
    fs = get_feature_space(space, **params)
    if getattr(fs, "derived_from", None):  # e.g. musicnn-tags: the last layer of musicnn
        parent = study_embeddings(study, fs.derived_from, progressbar=progressbar, **params)
        return fs.derive(parent)
    ids = study.clips["clip_id"].tolist()
    if fs.modality == "label":
        return fs.embed_labels(study.clips["genre"].tolist())
    if fs.modality == "text":
        captions = study.clips["caption"].tolist()
        if getattr(fs, "fits_on_texts", False):
            # A space fitted on the captions (text-lsa) learns from the training clips only.
            train = study.clip_indices([str(c) for c in study.responses.train_ids])
            compute = lambda: fs.embed_text(captions, train=train)  # noqa: E731
        else:
            compute = lambda: fs.embed_text(captions)  # noqa: E731
    else:

        def compute():
            waves = [
                w
                for _, w in progress(
                    study.iter_audio(ids),
                    total=len(ids),
                    desc="Loading audio",
                    disable=None if progressbar else True,
                )
            ]
            return fs.embed_audio(waves, study.sample_rate)

    return cached_features(
        fs, dataset_key=study.feature_key, clip_ids=ids, compute=compute, data_home=study.data_home
    )


def _neighbours(embeddings: np.ndarray, k: int) -> np.ndarray:
    corr = correlation_matrix(embeddings, embeddings)
    np.fill_diagonal(corr, -np.inf)
    return np.argsort(-corr, axis=1, kind="stable")[:, :k]


def genre_neighbour_agreement(embeddings, genres, k: int = 10) -> float:
    """Share of each clip's ``k`` nearest neighbours (by correlation) that share its genre.

    Parameters
    ----------
    embeddings : array of shape (n_clips, n_dims)
    genres : array of shape (n_clips,)
    k : int, default 10

    Returns
    -------
    float
        Mean over clips; about 0.1 by chance for ten balanced genres.
    """
    embeddings = check_array(embeddings, "embeddings", ndim=2)
    genres = np.asarray(genres)
    if genres.shape != (len(embeddings),):
        raise ValueError(f"genres must have shape ({len(embeddings)},); received {genres.shape}.")
    if not 1 <= k < len(embeddings):
        raise ValueError(f"k must be between 1 and {len(embeddings) - 1}; received {k}.")
    nn = _neighbours(embeddings, k)
    return float((genres[nn] == genres[:, None]).mean())


def neighbour_overlap(a, b, k: int = 10) -> float:
    """Share of each clip's ``k`` nearest neighbours that two spaces have in common.

    Parameters
    ----------
    a : array of shape (n_clips, n_dims_a)
    b : array of shape (n_clips, n_dims_b)
        The same clips, in the same order, in another space.
    k : int, default 10

    Returns
    -------
    float
        Mean over clips; ``k / (n_clips - 1)`` by chance.
    """
    a = check_array(a, "a", ndim=2)
    b = check_array(b, "b", ndim=2)
    if len(a) != len(b):
        raise ValueError(f"a and b must hold the same clips; received {len(a)} and {len(b)} rows.")
    if not 1 <= k < len(a):
        raise ValueError(f"k must be between 1 and {len(a) - 1}; received {k}.")
    na, nb = _neighbours(a, k), _neighbours(b, k)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb, strict=True)]))
