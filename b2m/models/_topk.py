"""Library retrieval kernels and results: normalisation, blocked exact top-k, faiss, recall.

The blocked search holds one ``n_queries × block`` score matrix at a time. To keep the work
beyond the matmul small, each block's columns are split into ``G`` interleaved groups and only
groups whose maximum can reach a query's top ``k`` are gathered: the k-th largest group maximum
is a lower bound on the block's k-th best score, and the running k-th best over earlier blocks
is another, so a group whose maximum lies below both cannot contribute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided

from b2m._utils._validation import UnknownNameError

__all__ = [
    "FAISS_MIN_QUERIES",
    "RetrievalResult",
    "blocked_topk",
    "check_k",
    "faiss_exact",
    "import_faiss",
    "normalized_rows",
    "recall_at_k",
    "sort_best_first",
]

_NORM_CHUNK = 65536
_GROUP = 64  # columns per group of the candidate filter
BYTES_PER_SCORE = 5  # scores (4) + group maxima and candidate temporaries, per query × item


# Measured on the 2-core machines (see benchmarks/bench_retrieval.py): the blocked numpy search
# runs at ~80-100 % of a same-shape np.matmul for any number of queries, faiss's exact search at
# ~30 % below a few hundred queries and on par from ~600 (with 64k-row database blocks).
FAISS_MIN_QUERIES = 512
_FAISS_DATABASE_BLOCK = 65536


def import_faiss(required: bool):
    """Return the faiss module, ``None`` when absent and not required."""
    try:
        import faiss
    except ImportError:
        if required:
            raise ImportError(
                "backend='faiss' and index='ivf' need faiss; install the [scale] extra: "
                "pip install 'b2m-explorer[scale]'."
            ) from None
        return None
    return faiss


def faiss_exact(queries: np.ndarray, library: np.ndarray, k: int):
    """faiss's blocked BLAS inner-product search, run on ``library`` without copying it."""
    faiss = import_faiss(required=True)
    previous = faiss.cvar.distance_compute_blas_database_bs
    faiss.cvar.distance_compute_blas_database_bs = _FAISS_DATABASE_BLOCK
    try:
        return faiss.knn(queries, library, k, metric=faiss.METRIC_INNER_PRODUCT)
    finally:
        faiss.cvar.distance_compute_blas_database_bs = previous


def normalized_rows(x, name: str, *, dim: int | None = None, copy: bool = True) -> np.ndarray:
    """Validate ``x`` and return it L2-normalised as a C-contiguous float32 array.

    Parameters
    ----------
    x : array of shape (n, d)
    name : str
        Parameter name for error messages.
    dim : int, optional
        Required number of columns.
    copy : bool, default True
        If False and ``x`` is a writable C-contiguous float32 array, normalise it in place.

    Returns
    -------
    ndarray of shape (n, d), float32
        Rows already of unit norm (within 1e-6) are kept exactly, so normalising is idempotent.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array; received dtype {arr.dtype}.")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n, d); received shape {arr.shape}.")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and column; received {arr.shape}.")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(
            f"{name} must have {dim} columns (the library's dimension); received {arr.shape[1]}."
        )
    in_place = (
        not copy and arr.dtype == np.float32 and arr.flags.c_contiguous and arr.flags.writeable
    )
    out = arr if in_place else np.empty(arr.shape, dtype=np.float32)
    for start in range(0, len(arr), _NORM_CHUNK):  # chunks: no full-size float64 temporary
        chunk = np.asarray(arr[start : start + _NORM_CHUNK], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", chunk, chunk, dtype=np.float64))
        bad = ~np.isfinite(norms)
        if bad.any():
            rows = (np.flatnonzero(bad)[:5] + start).tolist()
            raise ValueError(
                f"{name} must be finite; received NaN or infinite values in rows {rows}."
            )
        zero = norms == 0
        if zero.any():
            rows = (np.flatnonzero(zero)[:5] + start).tolist()
            raise ValueError(
                f"{name} must have non-zero rows (cosine similarity is undefined for zero "
                f"vectors); received {int(zero.sum())} zero row(s), e.g. rows {rows}."
            )
        norms[np.abs(norms - 1) < 1e-6] = 1.0
        np.divide(chunk, norms[:, None].astype(np.float32), out=out[start : start + len(chunk)])
    return out


def check_k(k, n_items: int) -> int:
    """Validate the number of items to retrieve per query."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; received {k!r}.")
    if k > n_items:
        raise ValueError(f"k must be at most the library size ({n_items}); received k={k}.")
    return int(k)


def _merge_topk(scores_a, index_a, scores_b, index_b, k: int):
    """Keep the ``k`` best of two candidate sets per row (unsorted)."""
    scores = np.concatenate([scores_a, scores_b], axis=1)
    index = np.concatenate([index_a, index_b], axis=1)
    keep = np.argpartition(scores, scores.shape[1] - k, axis=1)[:, -k:]
    return np.take_along_axis(scores, keep, 1), np.take_along_axis(index, keep, 1)


def _dense_candidates(s: np.ndarray, offset: int, k: int):
    """The top ``k`` of each row of a score block, by partition, a quarter of the rows at a time."""
    n_q, width = s.shape
    scores = np.empty((n_q, k), dtype=s.dtype)
    index = np.empty((n_q, k), dtype=np.int64)
    step = max(1, n_q // 4)
    for r in range(0, n_q, step):
        top = np.argpartition(s[r : r + step], width - k, axis=1)[:, -k:]
        scores[r : r + step] = np.take_along_axis(s[r : r + step], top, 1)
        index[r : r + step] = top + offset
    return scores, index


def _block_candidates(s: np.ndarray, offset: int, k: int, floor: np.ndarray):
    """Scores and library indices of a superset of the block items that can enter the top k.

    Parameters
    ----------
    s : array of shape (n_queries, width), C-contiguous
        Scores of one library block.
    offset : int
        Library row of the block's first column.
    k : int
    floor : array of shape (n_queries,)
        Each query's running k-th best score (``-inf`` before any block).

    Returns
    -------
    (scores, indices) of shape (n_queries, n_candidates), padded with ``-inf`` / ``-1``
    """
    n_q, width = s.shape
    n_groups = min(_GROUP, width // k)
    if n_groups <= 1:
        index = np.broadcast_to(np.arange(offset, offset + width), s.shape)
        return s.copy(), index.copy()
    w = width // n_groups  # >= k group columns; group j holds columns j, j + w, j + 2w, …
    grouped = as_strided(s, (n_q, n_groups, w), (s.strides[0], w * s.itemsize, s.itemsize))
    group_max = grouped.max(axis=1)
    kth = np.partition(group_max, w - k, axis=1)[:, w - k]
    selected = group_max >= np.maximum(kth, floor)[:, None]
    counts = selected.sum(axis=1)
    m = int(counts.max())
    if 4 * m * n_groups > width:  # many near-ties: a plain partition is cheaper and smaller
        return _dense_candidates(s, offset, k)
    rows, cols = np.nonzero(selected)
    pos = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    cand_s = np.full((n_q, m, n_groups), -np.inf, dtype=s.dtype)
    cand_i = np.full((n_q, m, n_groups), -1, dtype=np.int64)
    cand_s[rows, pos] = grouped[rows, :, cols]
    cand_i[rows, pos] = cols[:, None] + (offset + w * np.arange(n_groups))
    cand_s, cand_i = cand_s.reshape(n_q, -1), cand_i.reshape(n_q, -1)
    tail = n_groups * w
    if tail < width:  # columns left over by the grouping are always candidates
        tail_i = np.broadcast_to(np.arange(offset + tail, offset + width), (n_q, width - tail))
        cand_s = np.concatenate([cand_s, s[:, tail:]], axis=1)
        cand_i = np.concatenate([cand_i, tail_i], axis=1)
    return cand_s, cand_i


def blocked_topk(queries: np.ndarray, library: np.ndarray, k: int, block_size: int):
    """Exact top-``k`` inner products, the library processed ``block_size`` rows at a time.

    Parameters
    ----------
    queries : array of shape (n_queries, d), float32
    library : array of shape (n_items, d), float32
    k : int
        At most ``n_items``.
    block_size : int
        Library rows per block; at most ``n_queries × block_size`` scores are held at once.

    Returns
    -------
    scores, indices : arrays of shape (n_queries, k), unsorted
    """
    n_q, n = len(queries), len(library)
    best_s = np.full((n_q, k), -np.inf, dtype=np.float32)
    best_i = np.full((n_q, k), -1, dtype=np.int64)
    buf = np.empty(n_q * min(block_size, n), dtype=np.float32)
    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        s = buf[: n_q * (stop - start)].reshape(n_q, stop - start)
        np.matmul(queries, library[start:stop].T, out=s)
        cand_s, cand_i = _block_candidates(s, start, min(k, stop - start), best_s.min(axis=1))
        if cand_s.shape[1]:
            best_s, best_i = _merge_topk(best_s, best_i, cand_s, cand_i, k)
    return best_s, best_i


def sort_best_first(scores: np.ndarray, indices: np.ndarray):
    """Sort each row by score descending, ties by index ascending; ``-1`` padding last.

    Parameters
    ----------
    scores, indices : arrays of shape (n_queries, k)

    Returns
    -------
    scores (float32, ``-inf`` at padding), indices : arrays of shape (n_queries, k)
    """
    scores = np.where(indices < 0, -np.inf, scores).astype(np.float32)
    by_index = np.argsort(np.where(indices < 0, np.iinfo(np.int64).max, indices), axis=1)
    scores = np.take_along_axis(scores, by_index, 1)
    indices = np.take_along_axis(indices, by_index, 1)
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.take_along_axis(scores, order, 1), np.take_along_axis(indices, order, 1)


@dataclass
class RetrievalResult:
    """The ``k`` library items most similar (cosine) to each query, best first.

    Attributes
    ----------
    scores : ndarray of shape (n_queries, k)
        Cosine similarities, descending along each row (``-inf`` where an approximate search
        found fewer than ``k`` items).
    indices : ndarray of shape (n_queries, k)
        Library rows (``-1`` where an approximate search found fewer than ``k`` items).
    metadata : pandas.DataFrame or None
        The library's metadata, one row per library item.
    """

    scores: np.ndarray
    indices: np.ndarray
    metadata: pd.DataFrame | None = None

    @property
    def k(self) -> int:
        """Number of items retrieved per query."""
        return self.indices.shape[1]

    def lookup(self, column: str) -> np.ndarray:
        """Metadata ``column`` of each retrieved item, array of shape (n_queries, k)."""
        if self.metadata is None:
            raise ValueError("lookup needs library metadata; this result has none.")
        if column not in self.metadata.columns:
            raise UnknownNameError(
                f"column must be one of {list(self.metadata.columns)}; received {column!r}."
            )
        values = self.metadata[column].to_numpy()
        out = values[np.clip(self.indices, 0, None)]
        if (self.indices < 0).any():
            out = out.astype(object)
            out[self.indices < 0] = None
        return out

    def to_frame(self) -> pd.DataFrame:
        """Long table of the results, one row per query × rank.

        Returns
        -------
        pandas.DataFrame
            Columns ``query``, ``rank`` (1 = best), ``index`` (library row), ``score``, then
            the library metadata of the retrieved item (a metadata column whose name clashes
            is prefixed ``item_``).
        """
        n_q, k = self.indices.shape
        frame = pd.DataFrame(
            {
                "query": np.repeat(np.arange(n_q), k),
                "rank": np.tile(np.arange(1, k + 1), n_q),
                "index": self.indices.ravel(),
                "score": self.scores.ravel(),
            }
        )
        if self.metadata is not None:
            meta = self.metadata.reset_index(drop=True)
            meta = meta.rename(columns=lambda c: f"item_{c}" if c in frame.columns else c)
            frame = frame.join(meta, on="index")
        return frame


def recall_at_k(approx, exact, k: int | None = None) -> float:
    """Mean share of the exact top-``k`` items that the approximate search also returned.

    Parameters
    ----------
    approx, exact : RetrievalResult or array of shape (n_queries, >= k)
        Retrieved library indices, best first.
    k : int, optional
        Default: the number of columns of ``exact``.

    Returns
    -------
    float in [0, 1]
    """
    a = np.asarray(approx.indices if isinstance(approx, RetrievalResult) else approx)
    e = np.asarray(exact.indices if isinstance(exact, RetrievalResult) else exact)
    if a.ndim != 2 or e.ndim != 2 or len(a) != len(e):
        raise ValueError(
            f"approx and exact must be 2-D with equal rows; received {a.shape} and {e.shape}."
        )
    k = e.shape[1] if k is None else k
    if not 1 <= k <= min(a.shape[1], e.shape[1]):
        raise ValueError(f"k must be in [1, {min(a.shape[1], e.shape[1])}]; received {k!r}.")
    a, e = a[:, :k], e[:, :k]
    hits = [np.intersect1d(ar[ar >= 0], er).size for ar, er in zip(a, e, strict=True)]
    return float(np.mean(hits) / k)
