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
    "identify",
    "top_k_accuracy",
]


def correlation_matrix(a, b) -> np.ndarray:
    """Pearson correlation of every row of ``a`` with every row of ``b``.

    Parameters
    ----------
    a : array of shape (n, d)
    b : array of shape (m, d)

    Returns
    -------
    ndarray of shape (n, m)
    """
    a = check_array(a, "a", ndim=2)
    b = check_array(b, "b", ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"a and b must have the same number of columns; received {a.shape[1]} and {b.shape[1]}."
        )
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.where(na > 0, na, 1)) @ (b / np.where(nb > 0, nb, 1)).T


def identification_accuracy(decoded, true) -> np.ndarray:
    """Per-clip identification accuracy (Brain2Music; chance 0.5).

    For test clip ``i``, the share of the other clips ``j`` whose true embedding correlates
    less with the decoded embedding ``decoded[i]`` than the true embedding ``true[i]`` does.

    Parameters
    ----------
    decoded : array of shape (n_clips, n_dims)
        Decoded (predicted) embeddings.
    true : array of shape (n_clips, n_dims)
        Embeddings of the clips actually heard, same order.

    Returns
    -------
    ndarray of shape (n_clips,)
    """
    decoded = check_array(decoded, "decoded", ndim=2)
    true = check_array(true, "true", ndim=2)
    if decoded.shape != true.shape:
        raise ValueError(
            f"decoded and true must have the same shape; received {decoded.shape} and {true.shape}."
        )
    if len(true) < 2:
        raise ValueError(f"identification needs at least 2 clips; received {len(true)}.")
    corr = correlation_matrix(decoded, true)
    own = np.diag(corr)[:, None]
    others = ~np.eye(len(corr), dtype=bool)
    return ((corr < own) & others).sum(1) / (len(corr) - 1)


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
    """

    clip_ids: np.ndarray
    accuracy: np.ndarray
    rank: np.ndarray
    correlations: np.ndarray
    ties: np.ndarray | None = None

    @property
    def mean_accuracy(self) -> float:
        """Mean identification accuracy (chance 0.5)."""
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


def identify(decoded, true, clip_ids=None) -> IdentificationResult:
    """Identification accuracy and retrieval ranks of decoded embeddings among the true ones.

    Parameters
    ----------
    decoded : array of shape (n_clips, n_dims)
    true : array of shape (n_clips, n_dims)
    clip_ids : array of shape (n_clips,), optional

    Returns
    -------
    IdentificationResult
    """
    accuracy = identification_accuracy(decoded, true)
    corr = correlation_matrix(decoded, true)
    own = np.diag(corr)[:, None]
    rank = (corr > own).sum(1)
    ties = (corr == own).sum(1) - 1
    clip_ids = np.arange(len(corr)) if clip_ids is None else np.asarray(clip_ids)
    return IdentificationResult(
        clip_ids=clip_ids, accuracy=accuracy, rank=rank, correlations=corr, ties=ties
    )
