"""Identification accuracy as Brain2Music defines it, and top-k retrieval among candidates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from b2m._utils._validation import check_array

__all__ = [
    "IdentificationResult",
    "correlation_matrix",
    "identification_accuracy",
    "identification_chance",
    "identify",
    "top_k_accuracy",
]


def _unit_centred_rows(x: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit norm; constant rows (max == min) are exactly zero."""
    constant = x.max(1) == x.min(1)
    x = x - x.mean(1, keepdims=True)
    x[constant] = 0.0  # not the rounding noise of ``x - mean``, scaled up to unit norm
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1)


def correlation_matrix(a, b) -> np.ndarray:
    """Pearson correlation of every row of ``a`` with every row of ``b``.

    Parameters
    ----------
    a : array of shape (n, d)
    b : array of shape (m, d)

    Returns
    -------
    ndarray of shape (n, m)
        0 where a row is constant.
    """
    a = check_array(a, "a", ndim=2)
    b = check_array(b, "b", ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"a and b must have the same number of columns; received {a.shape[1]} and {b.shape[1]}."
        )
    return _unit_centred_rows(a) @ _unit_centred_rows(b).T


def identification_accuracy(decoded, true, target_index=None) -> np.ndarray:
    """Per-clip identification accuracy (Brain2Music; chance 0.5 without ties).

    For query ``i``, the share of the candidate clips ``j`` other than its target whose true
    embedding correlates less with ``decoded[i]`` than the target's true embedding does. By
    default query ``i``'s target is ``true[i]`` (a decoded test clip among the test clips);
    with ``target_index`` any number of queries (reconstructions, repeated draws) are scored
    among the candidates ``true``.

    Parameters
    ----------
    decoded : array of shape (n_queries, n_dims)
        Decoded (predicted) embeddings, or embeddings of reconstructions.
    true : array of shape (n_clips, n_dims)
        Embeddings of the candidate clips (the clips actually heard); without
        ``target_index``, in the same order as ``decoded`` and ``n_queries == n_clips``.
    target_index : array of int of shape (n_queries,), optional
        Row of ``true`` that each query should identify; default ``arange(n_clips)``.

    Returns
    -------
    ndarray of shape (n_queries,)

    See Also
    --------
    identification_chance : the chance level, below 0.5 where true embeddings tie.
    """
    decoded = check_array(decoded, "decoded", ndim=2)
    true = check_array(true, "true", ndim=2)
    if len(true) < 2:
        raise ValueError(f"identification needs at least 2 clips; received {len(true)}.")
    if target_index is None:
        if decoded.shape != true.shape:
            raise ValueError(
                f"decoded and true must have the same shape; received {decoded.shape} and "
                f"{true.shape}."
            )
        target = np.arange(len(true))
    else:
        target = np.asarray(target_index)
        if (
            target.shape != (len(decoded),)
            or target.dtype.kind not in "iu"
            or (target < 0).any()
            or (target >= len(true)).any()
        ):
            raise ValueError(
                f"target_index must be {len(decoded)} integers in [0, {len(true)}); received "
                f"{np.asarray(target_index)!r}."
            )
    corr = correlation_matrix(decoded, true)
    rows = np.arange(len(decoded))
    own = corr[rows, target][:, None]
    others = np.ones_like(corr, dtype=bool)
    others[rows, target] = False
    return ((corr < own) & others).sum(1) / (len(true) - 1)


def identification_chance(true, *, per_clip: bool = False):
    """Chance level of the identification accuracy, aware of ties among true embeddings.

    Identification counts the other clips ``j`` whose true embedding is *strictly* less
    correlated with the decoded embedding than the target's. When the decoded embedding is
    unrelated to the clips (a random direction: isotropic in the embedding space, or a
    random permutation of the clips), ``corr(d, t_i)`` and ``corr(d, t_j)`` are exchangeable
    for two different true embeddings, so ``j`` counts with probability 1/2; a clip ``j``
    whose true embedding equals the target's — e.g. two clips of one genre in the genre
    one-hot space — gives exactly the same correlation, is never strictly less correlated
    and counts 0. Hence, per clip::

        chance_i = (n - 1 - ties_i) / (2 (n - 1))

    where ``ties_i`` is the number of other clips whose true embedding equals clip ``i``'s
    (constant rows, whose correlation with anything is 0, all tie with each other). The mean
    over clips is the chance level of the mean accuracy: 0.5 without ties,
    ``(n² - Σ_g m_g²) / (2 n (n - 1))`` for groups of ``m_g`` identical clips (54/118 ≈ 0.458
    for 60 clips of 10 genres with 6 each) — the same for a permutation null
    (``b2m.analysis.identification_null``).

    Rows equal only up to rounding (e.g. ``2 t + 1``, the same up to scale and offset) are
    not ties: their correlations with a decoded vector differ in the last bits and the
    strict comparison breaks them arbitrarily.

    Parameters
    ----------
    true : array of shape (n_clips, n_dims)
        The true embeddings identification compares with, in the space it is computed in
        (z-scored or raw: the ties are those of the rows given).
    per_clip : bool, default False
        Return each clip's chance instead of the mean.

    Returns
    -------
    float or ndarray of shape (n_clips,)
        The mean chance level, or the per-clip levels with ``per_clip=True``.

    Raises
    ------
    ValueError
        If ``true`` is not a finite 2-D array of at least 2 clips.
    """
    true = check_array(true, "true", ndim=2)
    n = len(true)
    if n < 2:
        raise ValueError(f"identification needs at least 2 clips; received {n}.")
    rows = true.copy()
    constant = rows.max(1) == rows.min(1)
    rows[constant] = 0.0  # every constant row correlates 0 with anything: one tie class
    _, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    ties = counts[inverse.ravel()] - 1
    chance = (n - 1 - ties) / (2.0 * (n - 1))
    return chance if per_clip else float(chance.mean())


def top_k_accuracy(decoded, candidates, true_index, k=(1, 5)) -> dict[int, float]:
    """Share of queries whose true clip is among the ``k`` candidates most correlated with them.

    Parameters
    ----------
    decoded : array of shape (n_queries, n_dims)
    candidates : array of shape (n_candidates, n_dims)
    true_index : array of shape (n_queries,)
        Row of ``candidates`` that each query should retrieve.
    k : int or tuple of int, default (1, 5)

    Returns
    -------
    dict mapping k to accuracy
    """
    corr = correlation_matrix(decoded, candidates)
    true_index = np.asarray(true_index, dtype=int)
    if true_index.shape != (len(corr),):
        raise ValueError(f"true_index must have shape ({len(corr)},); received {true_index.shape}.")
    own = corr[np.arange(len(corr)), true_index][:, None]
    greater = (corr > own).sum(1)
    ties = (corr == own).sum(1) - 1
    ks = (k,) if np.isscalar(k) else tuple(k)
    return {int(kk): _top_k_with_ties(greater, ties, kk) for kk in ks}


def _top_k_with_ties(greater: np.ndarray, ties: np.ndarray, k: int) -> float:
    """Expected top-k accuracy when ties are broken at random.

    A query whose true candidate is beaten by ``greater`` candidates and tied with ``ties``
    others lands at a uniformly random place among ranks ``greater … greater + ties``.
    """
    return float(np.mean(np.clip((k - greater) / (ties + 1), 0.0, 1.0)))


@dataclass
class IdentificationResult:
    """Identification of test clips from decoded embeddings.

    Attributes
    ----------
    clip_ids : ndarray of shape (n_clips,)
    accuracy : ndarray of shape (n_clips,)
        Per-clip identification accuracy.
    rank : ndarray of shape (n_clips,)
        0-based rank of the true clip among all candidates (0 = retrieved first): the number
        of other clips that correlate more with the decoded embedding.
    ties : ndarray of shape (n_clips,)
        Number of other clips that correlate exactly as much (identical true embeddings,
        e.g. two clips of one genre in the genre one-hot space).
    correlations : ndarray of shape (n_clips, n_clips)
        Decoded × true correlation matrix.
    chance : float or None
        Chance level of :attr:`mean_accuracy` given the ties among the true embeddings
        (:func:`identification_chance`): 0.5 without ties, lower with them.
    """

    clip_ids: np.ndarray
    accuracy: np.ndarray
    rank: np.ndarray
    correlations: np.ndarray
    ties: np.ndarray | None = None
    chance: float | None = None

    @property
    def mean_accuracy(self) -> float:
        """Mean identification accuracy (chance :attr:`chance`: 0.5 without ties)."""
        return float(self.accuracy.mean())

    def top_k(self, k: int) -> float:
        """Share of clips whose true clip is among the top ``k`` (ties broken at random)."""
        ties = np.zeros_like(self.rank) if self.ties is None else self.ties
        return _top_k_with_ties(self.rank, ties, k)

    def neighbours(self, i: int, k: int = 5) -> np.ndarray:
        """Indices of the ``k`` clips whose true embeddings best match decoded clip ``i``."""
        return np.argsort(-self.correlations[i])[:k]

    def to_frame(self) -> pd.DataFrame:
        """One row per clip: ``clip_id``, ``accuracy``, ``rank``."""
        return pd.DataFrame(
            {"clip_id": self.clip_ids, "accuracy": self.accuracy, "rank": self.rank}
        )


def identify(decoded, true, clip_ids=None, *, scaler=None) -> IdentificationResult:
    """Identification accuracy and retrieval ranks of decoded embeddings among the true ones.

    Works in whatever space the embeddings are given in. Correlation across dimensions
    depends on their units: :class:`b2m.models.Decoder` identifies in its standardised
    (z-scored with training statistics) space, where every dimension weighs the same;
    Brain2Music correlated raw embeddings. Pass ``scaler`` to identify standardised
    embeddings in raw units.

    Parameters
    ----------
    decoded : array of shape (n_clips, n_dims)
    true : array of shape (n_clips, n_dims)
    clip_ids : array of shape (n_clips,), optional
    scaler : object with ``inverse_transform``, optional
        E.g. a fitted decoder's ``target_scaler_``: ``decoded`` and ``true`` are mapped
        back to raw units with ``scaler.inverse_transform`` before identification.

    Returns
    -------
    IdentificationResult
        With the tie-aware :attr:`~IdentificationResult.chance` of the true embeddings used.

    Raises
    ------
    TypeError
        If ``scaler`` has no ``inverse_transform`` method.
    """
    if scaler is not None:
        if not callable(getattr(scaler, "inverse_transform", None)):
            raise TypeError(
                "scaler must have an inverse_transform method (e.g. a fitted Decoder's "
                f"target_scaler_); received {type(scaler).__name__}."
            )
        decoded = scaler.inverse_transform(np.asarray(decoded))
        true = scaler.inverse_transform(np.asarray(true))
    accuracy = identification_accuracy(decoded, true)
    corr = correlation_matrix(decoded, true)
    own = np.diag(corr)[:, None]
    rank = (corr > own).sum(1)
    ties = (corr == own).sum(1) - 1
    clip_ids = np.arange(len(corr)) if clip_ids is None else np.asarray(clip_ids)
    return IdentificationResult(
        clip_ids=clip_ids,
        accuracy=accuracy,
        rank=rank,
        correlations=corr,
        ties=ties,
        chance=identification_chance(true),
    )
