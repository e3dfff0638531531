"""Cosine-similarity retrieval from a library of embeddings: exact (faiss or blocked numpy) and IVF.

The library is stored once, L2-normalised, as a C-contiguous float32 array. Exact search runs
either a blocked numpy search that never holds the full queries × library score matrix, or
faiss's blocked BLAS inner-product kernel (the kernel of ``IndexFlatIP.search``) directly on that
array, with no second copy inside a faiss index. The approximate option is a faiss inverted-file
index (``IndexIVFFlat``, inner product).
"""

from __future__ import annotations

import contextlib
import json
import math
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._io import atomic_path
from b2m._utils._parallel import n_cores
from b2m.models._topk import (
    BYTES_PER_SCORE,
    FAISS_MIN_QUERIES,
    RetrievalResult,
    blocked_topk,
    check_k,
    faiss_exact,
    import_faiss,
    normalized_rows,
    recall_at_k,
    sort_best_first,
)

__all__ = ["LibraryIndex", "RetrievalResult", "recall_at_k", "retrieve_clips"]

_BACKENDS = ("auto", "faiss", "numpy")
_INDEXES = ("flat", "ivf")
_FORMAT_VERSION = 1


class LibraryIndex:
    """A searchable library of embeddings under cosine similarity.

    Parameters
    ----------
    embeddings : array of shape (n_items, d)
        Library vectors; L2-normalised internally (zero rows are an error).
    metadata : pandas.DataFrame, optional
        One row per library item (ids, titles, genres…), joined by :meth:`RetrievalResult.to_frame`.
    backend : {"auto", "faiss", "numpy"}, default "auto"
        Engine of exact search. ``"auto"``: faiss (the ``[scale]`` extra) when installed and a
        call has at least ``FAISS_MIN_QUERIES`` (512) queries, else the blocked numpy search,
        which is faster for fewer queries; IVF always runs on faiss.
    index : {"flat", "ivf"}, default "flat"
        ``"flat"``: exact search. ``"ivf"``: approximate inverted-file search (faiss
        ``IndexIVFFlat``); with ``backend="auto"`` and no faiss, falls back to exact with a warning.
    nlist : int, optional
        IVF cells; default ``round(4 * sqrt(n_items))`` (at most ``n_items // 39``, at least 1).
    nprobe : int, optional
        IVF cells visited per query; default ``max(1, nlist // 16)``. Settable later.
    n_threads : int, optional
        Threads for faiss (OpenMP) and the BLAS of the numpy path; default all available cores.
    memory_budget : int, default 256 MiB
        Bytes the numpy path may spend on scores for one library block.
    block_size : int, optional
        Library rows per block of the numpy path; overrides ``memory_budget``.
    copy : bool, default True
        If False and ``embeddings`` is a writable C-contiguous float32 array, normalise it in
        place instead of copying (saves ``n_items × d × 4`` bytes).
    random_state : int, default 0
        Seed of the IVF training sample and k-means.

    Attributes
    ----------
    embeddings : ndarray of shape (n_items, d)
        The normalised float32 library (IVF keeps a second copy in its inverted lists).
    backend_ : {"faiss", "numpy"}
        ``"faiss"`` when faiss is available to this index (``backend`` not ``"numpy"``).
    """

    def __init__(
        self,
        embeddings,
        metadata: pd.DataFrame | None = None,
        *,
        backend: str = "auto",
        index: str = "flat",
        nlist: int | None = None,
        nprobe: int | None = None,
        n_threads: int | None = None,
        memory_budget: int = 256 * 2**20,
        block_size: int | None = None,
        copy: bool = True,
        random_state: int = 0,
    ):
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {_BACKENDS}; received {backend!r}.")
        if index not in _INDEXES:
            raise ValueError(f"index must be one of {_INDEXES}; received {index!r}.")
        if index == "ivf" and backend == "numpy":
            raise ValueError("index='ivf' needs backend 'faiss' or 'auto'; received 'numpy'.")
        faiss = import_faiss(required=backend == "faiss")
        if faiss is None and index == "ivf":
            warnings.warn(
                "faiss is not installed; index='ivf' falls back to exact numpy search.",
                stacklevel=2,
            )
            index = "flat"
        for name, value in (("block_size", block_size), ("n_threads", n_threads)):
            if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None; received {value!r}.")
        self.backend = backend
        self.backend_ = "faiss" if faiss is not None and backend != "numpy" else "numpy"
        self.index = index
        self.n_threads = n_threads
        self.memory_budget = int(memory_budget)
        self.block_size = block_size
        self.random_state = random_state
        self.embeddings = normalized_rows(embeddings, "embeddings", copy=copy)
        self.metadata = self._check_metadata(metadata, len(self.embeddings))
        self._ivf = None
        if index == "ivf":
            self._build_ivf(nlist, nprobe)

    @property
    def n_items(self) -> int:
        """Number of library items."""
        return self.embeddings.shape[0]

    @property
    def dim(self) -> int:
        """Embedding dimension ``d``."""
        return self.embeddings.shape[1]

    @property
    def nlist(self) -> int | None:
        """Number of IVF cells (``None`` for exact indexes)."""
        return None if self._ivf is None else int(self._ivf.nlist)

    @property
    def nprobe(self) -> int | None:
        """IVF cells visited per query (``None`` for exact indexes)."""
        return None if self._ivf is None else int(self._ivf.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self._ivf is None:
            raise ValueError("nprobe applies to index='ivf' only; this index is exact.")
        if not isinstance(value, (int, np.integer)) or not 1 <= value <= self._ivf.nlist:
            raise ValueError(
                f"nprobe must be an integer in [1, {self._ivf.nlist}]; received {value!r}."
            )
        self._ivf.nprobe = int(value)

    @staticmethod
    def _check_metadata(metadata, n_items: int) -> pd.DataFrame | None:
        if metadata is None:
            return None
        if not isinstance(metadata, pd.DataFrame):
            raise TypeError(
                f"metadata must be a pandas DataFrame or None; received {type(metadata).__name__}."
            )
        if len(metadata) != n_items:
            raise ValueError(
                f"metadata must have one row per item ({n_items}); received {len(metadata)} rows."
            )
        return metadata.reset_index(drop=True)

    def _build_ivf(self, nlist: int | None, nprobe: int | None) -> None:
        faiss = import_faiss(required=True)
        n = self.n_items
        if nlist is None:
            nlist = max(1, min(round(4 * math.sqrt(n)), n // 39))
        if not isinstance(nlist, (int, np.integer)) or not 1 <= nlist <= n:
            raise ValueError(f"nlist must be an integer in [1, n_items={n}]; received {nlist!r}.")
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFFlat(quantizer, self.dim, int(nlist), faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = int(self.random_state)
        n_train = min(n, 40 * int(nlist))  # faiss asks for >= 39 points per cell
        rng = np.random.default_rng(self.random_state)
        sample = self.embeddings[np.sort(rng.choice(n, n_train, replace=False))]
        with self._threads():
            ivf.train(sample)
            ivf.add(self.embeddings)
        self._ivf, self._quantizer = ivf, quantizer  # keep the quantizer alive
        self.nprobe = nprobe if nprobe is not None else max(1, int(nlist) // 16)

    def _threads(self):
        """Context setting faiss's OpenMP threads and the BLAS threads."""
        n = self.n_threads or n_cores()
        stack = contextlib.ExitStack()
        faiss = import_faiss(required=False) if self.backend_ == "faiss" else None
        if faiss is not None:
            previous = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(n)
            stack.callback(faiss.omp_set_num_threads, previous)
        if self.n_threads is not None:
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:
                pass
            else:
                stack.enter_context(threadpool_limits(n, user_api="blas"))
        return stack

    def _block_rows(self, n_queries: int) -> int:
        if self.block_size is not None:
            return int(self.block_size)
        return max(1, min(self.n_items, self.memory_budget // (BYTES_PER_SCORE * n_queries)))

    def search(self, queries, k: int = 10, *, exact: bool = False) -> RetrievalResult:
        """Find the ``k`` library items most cosine-similar to each query.

        Parameters
        ----------
        queries : array of shape (n_queries, d)
            Query vectors (e.g. decoded embeddings); normalised internally.
        k : int, default 10
            Items per query; at most ``n_items``.
        exact : bool, default False
            With an IVF index, search exhaustively instead (e.g. as the reference of
            :func:`recall_at_k`).

        Returns
        -------
        RetrievalResult
            ``scores`` and ``indices`` of shape (n_queries, k), best first.
        """
        q = normalized_rows(queries, "queries", dim=self.dim)
        k = check_k(k, self.n_items)
        with self._threads():
            if self._ivf is not None and not exact:
                scores, indices = self._ivf.search(q, k)
            elif self.backend_ == "faiss" and (
                self.backend == "faiss" or len(q) >= FAISS_MIN_QUERIES
            ):
                scores, indices = faiss_exact(q, self.embeddings, k)
            else:
                scores, indices = self._numpy_search(q, k)
        scores, indices = sort_best_first(scores, indices)
        return RetrievalResult(scores=scores, indices=indices, metadata=self.metadata)

    def _numpy_search(self, q: np.ndarray, k: int):
        q_step = len(q)
        min_rows = min(self.n_items, 4096)
        if self.block_size is None and self._block_rows(len(q)) < min_rows:
            # So many queries that library blocks would be tiny: split the queries instead.
            q_step = max(1, self.memory_budget // (BYTES_PER_SCORE * min_rows))
        parts = []
        for start in range(0, len(q), q_step):
            chunk = q[start : start + q_step]
            parts.append(blocked_topk(chunk, self.embeddings, k, self._block_rows(len(chunk))))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def add(self, embeddings, metadata: pd.DataFrame | None = None) -> LibraryIndex:
        """Append items to the library (an IVF index keeps its trained cells).

        Parameters
        ----------
        embeddings : array of shape (n_new, d)
        metadata : pandas.DataFrame, optional
            Required (same columns) when the library has metadata, refused when it has none.

        Returns
        -------
        self
        """
        new = normalized_rows(embeddings, "embeddings", dim=self.dim)
        if (metadata is None) != (self.metadata is None):
            have = "has" if self.metadata is not None else "has no"
            raise ValueError(
                f"metadata must be given exactly when the library has metadata; the library {have} "
                f"metadata and received {type(metadata).__name__}."
            )
        if metadata is not None:
            metadata = self._check_metadata(metadata, len(new))
            if list(metadata.columns) != list(self.metadata.columns):
                raise ValueError(
                    f"metadata must have columns {list(self.metadata.columns)}; "
                    f"received {list(metadata.columns)}."
                )
            self.metadata = pd.concat([self.metadata, metadata], ignore_index=True)
        self.embeddings = np.concatenate([self.embeddings, new])
        if self._ivf is not None:
            with self._threads():
                self._ivf.add(new)
        return self

    def save(self, path) -> Path:
        """Save to the directory ``path``: ``index.npz`` and ``metadata-<token>.parquet``/``.csv``.

        Parquet is used when pandas can write it (pyarrow or fastparquet), else CSV (column
        dtypes beyond numbers and strings are then not kept). Files are written atomically and
        ``index.npz`` (which names its metadata file) last, so an interrupted save leaves the
        previous index loadable.

        Returns
        -------
        pathlib.Path
            The directory.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        meta_name = None
        if self.metadata is not None:
            try:
                with atomic_path(path / f"metadata-{token}.parquet") as tmp:
                    self.metadata.to_parquet(tmp, index=False)
                meta_name = f"metadata-{token}.parquet"
            except ImportError:
                with atomic_path(path / f"metadata-{token}.csv") as tmp:
                    self.metadata.to_csv(tmp, index=False)
                meta_name = f"metadata-{token}.csv"
        config = {
            "format_version": _FORMAT_VERSION,
            "index": self.index,
            "metadata_file": meta_name,
            "n_threads": self.n_threads,
            "memory_budget": self.memory_budget,
            "block_size": self.block_size,
            "random_state": self.random_state,
        }
        arrays = {"embeddings": self.embeddings, "config": np.array(json.dumps(config))}
        if self._ivf is not None:
            arrays["ivf"] = import_faiss(required=True).serialize_index(self._ivf)
        with atomic_path(path / "index.npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        for stale in path.glob("metadata-*.*"):
            if stale.name != meta_name:
                stale.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path, *, backend: str = "auto") -> LibraryIndex:
        """Load an index written by :meth:`save` from the directory ``path``.

        Parameters
        ----------
        path : str or path-like
        backend : {"auto", "faiss", "numpy"}, default "auto"

        Returns
        -------
        LibraryIndex
        """
        path = Path(path)
        if not (path / "index.npz").is_file():
            raise FileNotFoundError(
                f"path must be a directory written by LibraryIndex.save; no index.npz in {path}."
            )
        with np.load(path / "index.npz") as data:
            config = json.loads(str(data["config"]))
            embeddings = data["embeddings"]
            ivf_bytes = data["ivf"] if "ivf" in data.files else None
        meta_name = config["metadata_file"]
        metadata = None
        if meta_name is not None and meta_name.endswith(".parquet"):
            metadata = pd.read_parquet(path / meta_name)
        elif meta_name is not None:
            metadata = pd.read_csv(path / meta_name)
        self = cls(
            embeddings,
            metadata,
            backend=backend,
            n_threads=config["n_threads"],
            memory_budget=config["memory_budget"],
            block_size=config["block_size"],
            copy=False,
            random_state=config["random_state"],
        )
        if ivf_bytes is not None:
            faiss = None if backend == "numpy" else import_faiss(required=backend == "faiss")
            if faiss is None:
                warnings.warn(
                    "faiss is unavailable (not installed or backend='numpy'); the saved IVF "
                    "index loads as exact search.",
                    stacklevel=2,
                )
            else:
                self._ivf = faiss.deserialize_index(ivf_bytes)
                self.index = "ivf"
        return self

    def __repr__(self) -> str:
        extra = f", nlist={self.nlist}, nprobe={self.nprobe}" if self._ivf is not None else ""
        return (
            f"LibraryIndex(n_items={self.n_items}, dim={self.dim}, backend={self.backend_!r}, "
            f"index={self.index!r}{extra})"
        )


def retrieve_clips(
    decoded, library_embeddings, library_ids, k: int = 10, **index_kwargs
) -> pd.DataFrame:
    """Retrieve the ``k`` library clips closest (cosine) to each decoded embedding.

    Parameters
    ----------
    decoded : array of shape (n_queries, d)
        Decoded embeddings (one per test clip).
    library_embeddings : array of shape (n_items, d)
    library_ids : array-like of shape (n_items,)
        Identifier of each library clip.
    k : int, default 10
    **index_kwargs
        Passed to :class:`LibraryIndex` (``backend``, ``index``, ``nprobe``…).

    Returns
    -------
    pandas.DataFrame
        One row per query × rank: ``query``, ``rank``, ``index``, ``score``, ``clip_id``.
    """
    ids = np.asarray(library_ids)
    if ids.ndim != 1 or len(ids) != len(library_embeddings):
        raise ValueError(
            f"library_ids must have shape ({len(library_embeddings)},); received {ids.shape}."
        )
    index = LibraryIndex(library_embeddings, pd.DataFrame({"clip_id": ids}), **index_kwargs)
    return index.search(decoded, k).to_frame()
