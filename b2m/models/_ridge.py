"""Ridge regression with one regularisation strength per target, chosen by run-grouped CV.

Algorithm
---------
For a fold with training rows ``t`` and validation rows ``v``, let ``Xₜ - x̄ = U diag(s) Vᵀ``
be the thin SVD of the centred training design (from the eigendecomposition of the smaller Gram
matrix, in float64). The ridge prediction on the validation rows for strength ``α`` is linear in
the training targets::

    Ŷᵥ(α) = Hα Yₜ,   Hα = B diag(s / (s² + α)) Uᵀ (I - 11ᵀ/nₜ) + 11ᵀ/nₜ,   B = (Xᵥ - x̄) V

(the intercept folded in). One decomposition per fold gives every ``Hα``; they are stacked into
one small matrix ``H`` of shape ``((n_alphas + 1) · n_val, n_train)`` (the extra block is the
mean predictor, whose error is the R² denominator). For each chunk of targets the engine then
does a single product ``H @ Yₜ`` and one in-place pass that subtracts ``Yᵥ``, squares and sums
within blocks, so the work is ``O(n_folds · n_alphas · n_val · n_train · n_targets)`` in large,
well-shaped float32 products, with no loop over alphas on big arrays. When the rank ``r`` of
the training design is small (encoding from an embedding), ``H`` is kept as the product
``post @ pre`` of a ((n_alphas + 1) · n_val, r + 1) and an (r + 1, n_train) matrix, whichever
costs fewer operations per target. The table ``s / (s² + α)`` (r × n_alphas) is numerically
of low rank ``k`` (about 13 for 20 alphas at float32 precision): with its SVD, every ``Hα`` is a
combination of ``k`` basis operators, so each fold forms ``k`` basis predictions in one product
and a small ((n_alphas + 1) × (k + 1)) product combines them into all residuals at once
(``alpha_rank=True``; used when it saves at least 20% of the operations). Squared errors are
pooled over folds (or averaged per fold, ``cv_average="folds"``); the α with the best
cross-validated R² is kept per target. Small dense decompositions run on one BLAS thread
(multi-threaded LAPACK on small matrices is many times slower on a busy machine); a wide design
(decoding from 20,484 vertices) uses every thread for its Gram products. The refit on all rows
needs one more decomposition: ``coef = V diag(s / (s² + α_best)) Uᵀ (Y - ȳ)``, by chunks of
targets.

A wide design (no more rows than columns: decoding) is never converted to float64 as a whole.
The Gram matrix of all its rows, ``K = X Xᵀ`` (n × n), is accumulated in float64 from blocks of
columns, once per fit; each fold's centred Gram matrix ``C Kₜₜ C`` (``C = I − 11ᵀ/nₜ``) gives
``U`` and ``s``, and ``B = (Xᵥ − x̄) V = Kc_vt U diag(1/s)`` with the centred cross-Gram
``Kc_vt = (Kᵥₜ − 1 k̄ₜᵀ) C``, so the ``r × n_features`` matrix ``Vᵀ`` is never formed for CV.
The refit forms ``V = (X − x̄)ᵀ U diag(1/s)`` by blocks of columns, in the working dtype.

The fold operators depend on the design ``X``, the runs and the alphas, not on the targets.
For a large design (at least ``_MEMO_MIN_SIZE`` values) they are kept, keyed by a digest of
those inputs, for the next fit of the same design: decoding several feature spaces from one
subject's responses (or a permutation control) decomposes each fold once. They are small
(``(n_alphas + 1) · n_val × n_train`` each, ~5 MB per fold for decoding); the refit's
decomposition, which holds an ``n_features × rank`` matrix (39 MB in float32 for 20,484
vertices), is not kept. At most ``_MEMO_MAX_BYTES`` are kept (least recently used dropped
first).

Memory
------
Besides the inputs and the outputs (``coef_`` is ``n_features × n_targets``, ``cv_scores_`` is
``n_alphas × n_targets``), the working memory is proportional to the chunk of targets: about
``itemsize · ((n_alphas + 2) · n_val + 2 · n_samples + r)`` bytes per target for CV and
``itemsize · (2 · n_samples + r + n_features)`` for the refit. ``memory_mb`` sets the chunk from
that bound (``chunk_size`` overrides it). A wide design adds its n × n Gram matrix, the
refit's ``V`` and one block of ``_BLOCK_BYTES`` (8 MiB) of float64 columns at a time; a narrow
one its float64 copy and its centred copy.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from b2m._utils._validation import check_array, check_consistent_length
from b2m.models._backend import BACKENDS, get_backend

__all__ = ["DEFAULT_ALPHAS", "RidgeCV", "run_folds", "thin_svd"]

#: Default candidate regularisation strengths.
DEFAULT_ALPHAS = np.logspace(-2, 6, 17)

#: Designs with at least this many values have their decompositions kept for the next fit.
_MEMO_MIN_SIZE = 1_000_000
#: Bytes of decompositions kept at most (least recently used dropped first).
_MEMO_MAX_BYTES = 128 * 2**20
_memo: OrderedDict[bytes, tuple[object, int]] = OrderedDict()
_memo_lock = threading.Lock()


def _design_key(kind: str, X: np.ndarray, *parts) -> bytes | None:
    """Digest of a design and the parameters of a decomposition; None when not worth keeping."""
    if X.size < _MEMO_MIN_SIZE:
        return None
    digest = hashlib.blake2b(kind.encode(), digest_size=20)
    digest.update(repr((X.shape, X.dtype.str)).encode())
    digest.update(np.ascontiguousarray(X).view(np.uint8).ravel())
    for part in parts:
        digest.update(np.ascontiguousarray(np.asarray(part)).view(np.uint8).ravel())
        digest.update(b"|")
    return digest.digest()


def _memoised(key: bytes | None, compute):
    """``compute()``, kept under ``key`` (see the module docstring); ``key=None``: not kept."""
    if key is None:
        return compute()
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key][0]
    value = compute()
    arrays = list(_arrays(value))
    for array in arrays:  # shared from now on: never written to
        array.flags.writeable = False
    size = sum(a.nbytes for a in arrays)
    if size <= _MEMO_MAX_BYTES:
        with _memo_lock:
            _memo[key] = (value, size)
            while sum(n for _, n in _memo.values()) > _MEMO_MAX_BYTES:
                _memo.popitem(last=False)
    return value


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _arrays(item)


def _blas_threads(X: np.ndarray) -> int | None:
    """BLAS threads for decomposing ``X``: one for a small design, all for a wide one."""
    return None if X.size >= _MEMO_MIN_SIZE else 1


#: Relative rank tolerance of the shrinkage table when ``alpha_rank=True``.
_RANK_TOL = {"float32": 1e-7, "float64": 1e-15}


def thin_svd(x: np.ndarray, rtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD through the smaller Gram matrix (computed in float64).

    Parameters
    ----------
    x : ndarray of shape (n, p)
    rtol : float, default 1e-7
        Eigenvalues of the Gram matrix below ``rtol × max`` are dropped.

    Returns
    -------
    u : ndarray of shape (n, r)
    s : ndarray of shape (r,)
        Singular values kept (squares above ``rtol × max``).
    vt : ndarray of shape (r, p)
    """
    x64 = np.asarray(x, dtype=np.float64)
    n, p = x64.shape
    s, vecs = _gram_eigh(x64 @ x64.T if n <= p else x64.T @ x64, rtol)
    if n <= p:
        return vecs, s, (vecs.T @ x64) / s[:, None]
    return (x64 @ vecs) / s[None, :], s, vecs.T


def _gram_eigh(gram: np.ndarray, rtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Singular values and vectors from a Gram matrix: ``(sqrt(w), vecs)`` of its
    eigenpairs with ``w > rtol × max(w)`` (none when the Gram matrix is zero)."""
    w, vecs = np.linalg.eigh(gram)
    wmax = w.max() if w.size else 0.0
    keep = w > rtol * wmax if wmax > 0 else np.zeros_like(w, dtype=bool)
    return np.sqrt(w[keep]), vecs[:, keep]


#: Float64 bytes of ``X``'s columns converted at once by :func:`_row_gram`.
_BLOCK_BYTES = 8 * 2**20


def _column_blocks(X: np.ndarray):
    """Slices of ``X``'s columns, about ``_BLOCK_BYTES`` of float64 each."""
    step = max(1, _BLOCK_BYTES // (8 * max(1, X.shape[0])))
    return (slice(j, j + step) for j in range(0, X.shape[1], step))


def _row_gram(X: np.ndarray) -> np.ndarray:
    """``X Xᵀ`` in float64, from blocks of columns (no float64 copy of a wide ``X``)."""
    gram = np.zeros((X.shape[0], X.shape[0]))
    for cols in _column_blocks(X):
        block = X[:, cols].astype(np.float64)
        gram += block @ block.T
    return gram


def _centred(gram: np.ndarray) -> np.ndarray:
    """``C K C`` with ``C = I − 11ᵀ/n``: the Gram matrix of the column-centred rows."""
    row = gram.mean(0)
    return gram - row[None, :] - row[:, None] + row.mean()


def _wide_fold(gram, train, val, fit_intercept):
    """``(u, s, b)`` of one fold from the Gram matrix of all rows (a wide design).

    ``u diag(s) vtᵀ`` is the thin SVD of the centred training rows and ``b = (Xᵥ − x̄) vt.T``,
    as :func:`_fold_operator` computes them from the rows, without the ``r × n_features``
    matrix ``vt``: ``b = Kc_vt u / s`` with ``Kc_vt = (Xᵥ − 1x̄ᵀ)(Xₜ − 1x̄ᵀ)ᵀ``.
    """
    k_tt = gram[np.ix_(train, train)]
    k_vt = gram[np.ix_(val, train)]
    if fit_intercept:
        k_vt = k_vt - k_tt.mean(0)[None, :]  # (Xᵥ − 1x̄ᵀ) Xₜᵀ
        k_vt = k_vt - k_vt.mean(1, keepdims=True)  # … (I − 11ᵀ/nₜ)
        k_tt = _centred(k_tt)
    s, u = _gram_eigh(k_tt)
    return u, s, (k_vt @ u) / s


def run_folds(groups, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Run-grouped K-fold splits (:class:`~sklearn.model_selection.GroupKFold`).

    Parameters
    ----------
    groups : array of shape (n_samples,)
        Run of each sample; a run is never split across folds.
    n_splits : int

    Returns
    -------
    list of (train, val) index arrays
    """
    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < n_splits:
        raise ValueError(
            f"groups must contain at least n_splits={n_splits} distinct runs; received {n_groups}."
        )
    dummy = np.zeros((len(groups), 1))
    return list(GroupKFold(n_splits=n_splits).split(dummy, groups=groups))


def _fold_operator(X64, train, val, alphas, fit_intercept, rank_tol=None, *, gram=None):
    """Validation operator of one fold, in the form that costs fewest operations (float64).

    A wide design (no more rows than columns) is decomposed through ``gram``, the Gram matrix
    of all its rows (:func:`_row_gram`; computed here when not given, and ``X64`` is not read
    when it is): :func:`_wide_fold`.

    Returns ``(kind, matrices)``:

    * ``("direct", [H])``: ``H`` of shape ((n_alphas + 1) * n_val, n_train) (last block: mean).
    * ``("factored", [post, pre])``: ``H = post @ pre`` with ``post`` of shape
      ((n_alphas + 1) * n_val, r + 1) and ``pre`` of shape (r + 1, n_train); when the training
      rank ``r`` is small (encoding from an embedding).
    * ``("alphas", [G, Q])``: when the shrinkage table ``s / (s² + α)`` (r × n_alphas) has a
      numerical rank ``k`` (relative to ``rank_tol``, per column) well below ``n_alphas``:
      ``G`` of shape (k * n_val + 1, n_train) gives ``k`` basis predictions and the training mean,
      and ``Q`` of shape (n_alphas + 1, k + 1) combines them with ``-(Yᵥ - ȳ)`` into every
      block's validation residual.
    """
    n_t, m, n_blocks = len(train), len(val), alphas.size + 1
    if gram is None and X64.shape[0] <= X64.shape[1]:
        gram = _row_gram(X64)
    if gram is not None:
        u, s, b = _wide_fold(gram, train, val, fit_intercept)
    else:
        xt, xv = X64[train], X64[val]
        xm = xt.mean(0) if fit_intercept else np.zeros(X64.shape[1])
        u, s, vt = thin_svd(xt - xm)
        b = (xv - xm) @ vt.T  # (m, r)
    ut = u.T
    if fit_intercept:  # centre the training targets
        ut = ut - ut.sum(axis=1, keepdims=True) / n_t
    mean_row = np.full((1, n_t), 1.0 / n_t if fit_intercept else 0.0)
    shrink = s[:, None] / (s[:, None] ** 2 + alphas[None, :])  # (r, a)
    cost_direct = n_blocks * m * n_t
    cost_factored = (s.size + 1) * (n_t + n_blocks * m)
    if rank_tol is not None and s.size:
        norms = np.linalg.norm(shrink, axis=0)
        left, sv, right_t = np.linalg.svd(shrink / norms, full_matrices=False)
        k = int(np.sum(sv > rank_tol * sv[0]))
        cost_alphas = k * m * n_t + n_blocks * (k + 1) * m
        if cost_alphas < 0.8 * min(cost_direct, cost_factored):
            basis = (b[None] * (left[:, :k] * sv[:k]).T[:, None, :]).reshape(k * m, s.size)
            q = np.full((n_blocks, k + 1), -1.0)
            q[:-1, :k] = right_t[:k].T * norms[:, None]
            q[-1, :k] = 0.0
            return "alphas", [np.vstack([basis @ ut, mean_row]), q]
    post = np.zeros((n_blocks, m, s.size + 1))
    post[:-1, :, :-1] = b[None] * shrink.T[:, None, :]
    post = post.reshape(n_blocks * m, s.size + 1)
    post[:, -1] = 1.0
    pre = np.vstack([ut, mean_row])  # (r + 1, n_t)
    if cost_direct <= cost_factored:
        return "direct", [post @ pre]
    return "factored", [post, pre]


class RidgeCV(RegressorMixin, BaseEstimator):
    """Ridge regression with per-target α chosen by K-fold CV grouped by run.

    The algorithm and its memory bound are described in the module docstring
    (:mod:`b2m.models._ridge`): one decomposition per fold serves all candidate α, and targets
    are processed in chunks sized by ``memory_mb`` (or ``chunk_size``).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default ``np.logspace(-2, 6, 17)``
        Candidate strengths (positive).
    n_splits : int, default 5
        Folds of :class:`sklearn.model_selection.GroupKFold`; a run is never split. Must not
        exceed the number of runs in ``groups``.
    alpha_per_target : bool, default True
        Choose α per target; otherwise one α (best mean CV R² over targets) for all.
    fit_intercept : bool, default True
        Centre ``X`` and ``Y`` with training means.
    dtype : {"float32", "float64"}, default "float32"
        Precision of the large products (decompositions are always float64).
    chunk_size : int, optional
        Targets processed at once; overrides ``memory_mb``.
    memory_mb : float, default 64
        Budget for the working buffers of one chunk of targets, in MiB (sets the chunk). An
        encoding model of 20,484 vertices then peaks ~0.19 GB lower than at 256 MiB (the
        quickstart's peak), at the same speed; its text-vs-music fits run ~6 % slower.
    backend : {"auto", "numpy", "torch"}, default "auto"
        Array backend. ``"auto"``: torch on a CUDA GPU when available, else numpy.
    device : str, optional
        Torch device (``"cpu"``, ``"cuda"``…); a missing CUDA device falls back to the CPU with a
        :class:`UserWarning`.
    cv_average : {"pooled", "folds"}, default "pooled"
        How validation errors are combined over folds: ``"pooled"`` sums squared errors over all
        validation samples; ``"folds"`` averages each fold's mean squared error (as
        scikit-learn's grid search and himalaya do), which weights samples of small folds more.
        The α-independent denominator of ``cv_scores_`` is combined the same way.
    alpha_rank : bool, default True
        Exploit the low numerical rank of the shrinkage table ``s / (s² + α)`` over the
        candidate α (to ``1e-7`` relative per α in float32, ``1e-15`` in float64): when it is
        well below ``n_alphas``, each fold forms ``k`` basis predictions and combines them for
        every α, which saves products (exact to the working precision).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_targets)
    intercept_ : ndarray of shape (n_targets,)
    alpha_ : ndarray of shape (n_targets,)
        Chosen strength per target.
    cv_scores_ : ndarray of shape (n_alphas, n_targets)
        Cross-validated R² of every candidate: ``1 - SSE / SST`` with the validation errors of
        the candidate and of the training mean, combined over folds as ``cv_average`` says.
    best_cv_score_ : ndarray of shape (n_targets,)
    x_mean_ : ndarray of shape (n_features,)
    n_features_in_ : int
    backend_ : str
        Backend and device used, e.g. ``"numpy:cpu"`` or ``"torch:cuda:0"``.
    """

    def __init__(
        self,
        alphas=None,
        *,
        n_splits: int = 5,
        alpha_per_target: bool = True,
        fit_intercept: bool = True,
        dtype: str = "float32",
        chunk_size: int | None = None,
        memory_mb: float = 64.0,
        backend: str = "auto",
        device=None,
        cv_average: str = "pooled",
        alpha_rank: bool = True,
    ):
        self.alphas = alphas
        self.n_splits = n_splits
        self.alpha_per_target = alpha_per_target
        self.fit_intercept = fit_intercept
        self.dtype = dtype
        self.chunk_size = chunk_size
        self.memory_mb = memory_mb
        self.backend = backend
        self.device = device
        self.cv_average = cv_average
        self.alpha_rank = alpha_rank

    def _check_params(self):
        alphas = (
            DEFAULT_ALPHAS if self.alphas is None else np.atleast_1d(np.asarray(self.alphas, float))
        )
        if (
            alphas.ndim != 1
            or alphas.size == 0
            or not np.all(np.isfinite(alphas))
            or np.any(alphas <= 0)
        ):
            raise ValueError(
                f"alphas must be a non-empty 1-D array of positive numbers; received {self.alphas!r}."
            )
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; received {self.dtype!r}.")
        if not isinstance(self.n_splits, int | np.integer) or self.n_splits < 2:
            raise ValueError(f"n_splits must be an integer ≥ 2; received {self.n_splits!r}.")
        if self.chunk_size is not None and (
            not isinstance(self.chunk_size, int | np.integer) or self.chunk_size < 1
        ):
            raise ValueError(
                f"chunk_size must be None or a positive integer; received {self.chunk_size!r}."
            )
        if not isinstance(self.memory_mb, int | float) or not self.memory_mb > 0:
            raise ValueError(f"memory_mb must be a positive number; received {self.memory_mb!r}.")
        if self.cv_average not in ("pooled", "folds"):
            raise ValueError(
                f"cv_average must be 'pooled' or 'folds'; received {self.cv_average!r}."
            )
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}; received {self.backend!r}.")
        return alphas, np.dtype(self.dtype)

    def _chunk(self, per_target_bytes: int, n_targets: int) -> int:
        if self.chunk_size is not None:
            return int(min(self.chunk_size, n_targets))
        budget = int(self.memory_mb * 2**20)
        return int(np.clip(budget // max(per_target_bytes, 1), 1, n_targets))

    def fit(self, X, y, groups):
        """Fit with per-target α chosen by run-grouped cross-validation.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : array of shape (n_samples,) or (n_samples, n_targets)
        groups : array of shape (n_samples,)
            Run of each sample; folds never split a run.

        Returns
        -------
        self
        """
        alphas, dtype = self._check_params()
        X = check_array(X, "X", ndim=2, dtype=dtype, min_samples=2)
        y = check_array(y, "y", ndim=(1, 2), dtype=dtype, min_samples=2)
        self._y_1d = y.ndim == 1
        Y = y[:, None] if y.ndim == 1 else y
        groups = np.asarray(groups)
        check_consistent_length(X=X, y=Y, groups=groups)
        folds = run_folds(groups, self.n_splits)
        xp = get_backend(self.backend, self.device, self.dtype)
        self.backend_ = f"{xp.name}:{xp.device}"

        gram = None
        if X.shape[0] <= X.shape[1]:  # wide: decomposed through the rows' Gram matrix
            with threadpool_limits(limits=_blas_threads(X), user_api="blas"):
                gram = _row_gram(X)
        sq_err = self._cv_errors(xp, X, Y, folds, alphas, gram)
        n_targets = Y.shape[1]
        sq_tot = np.where(sq_err[-1] > 0, sq_err[-1], 1.0)
        self.cv_scores_ = (1.0 - sq_err[:-1] / sq_tot).astype(np.float32)
        if self.alpha_per_target:
            best = np.argmax(self.cv_scores_, axis=0)
        else:
            best = np.full(n_targets, np.argmax(self.cv_scores_.mean(axis=1)))
        self.alpha_ = alphas[best]
        self.best_cv_score_ = self.cv_scores_[best, np.arange(n_targets)]
        self._fit_full(xp, X, Y, alphas, best, dtype, gram)
        self.n_features_in_ = X.shape[1]
        return self

    def _cv_errors(self, xp, X, Y, folds, alphas, gram=None):
        """Pooled validation squared errors, shape (n_alphas + 1, n_targets); last row: mean.

        ``gram``: the Gram matrix of ``X``'s rows, for a wide design (then ``X`` is not
        converted to float64).
        """
        n, n_targets = Y.shape
        n_blocks = alphas.size + 1
        rank_tol = _RANK_TOL.get(self.dtype) if self.alpha_rank else None

        def operators():
            X64 = None if gram is not None else X.astype(np.float64)
            # Small dense LAPACK work is far slower multi-threaded on a busy machine.
            with threadpool_limits(limits=_blas_threads(X), user_api="blas"):
                return [
                    _fold_operator(X64, tr, va, alphas, self.fit_intercept, rank_tol, gram=gram)
                    for tr, va in folds
                ]

        key = _design_key(
            "folds", X, *(np.concatenate([tr, [-1], va]) for tr, va in folds), alphas,
            np.array([self.fit_intercept, -1.0 if rank_tol is None else rank_tol]),
        )  # fmt: skip
        ops = _memoised(key, operators)
        ops = [(kind, [xp.asarray(f) for f in mats]) for kind, mats in ops]
        m_max = max(len(va) for _, va in folds)
        low_max = max(mats[-1].shape[0] if kind == "factored" else 0 for kind, mats in ops)
        low_max = max(
            [low_max] + [mats[0].shape[0] + m_max for kind, mats in ops if kind == "alphas"]
        )
        per_target = Y.itemsize * ((n_blocks + 1) * m_max + 2 * n + low_max) + 8 * n_blocks
        chunk = self._chunk(per_target, n_targets)
        sq_err = np.zeros((n_blocks, n_targets), dtype=np.float64)
        # Buffers reused across chunks and folds (fresh large arrays cost page faults).
        buf_pred, buf_low = xp.empty(n_blocks * m_max * chunk), xp.empty(low_max * chunk)
        buf_train, buf_val = xp.empty(n * chunk), xp.empty(m_max * chunk)
        for start in range(0, n_targets, chunk):
            sl = slice(start, start + chunk)
            y_chunk = xp.asarray(Y[:, sl])
            c = y_chunk.shape[1]
            for (tr, va), (kind, mats) in zip(folds, ops, strict=True):
                m = len(va)
                y_train = xp.take_rows(y_chunk, tr, out=xp.view(buf_train, (len(tr), c)))
                y_val = xp.take_rows(y_chunk, va, out=xp.view(buf_val, (m, c)))
                if kind == "alphas":
                    g, q = mats
                    k = q.shape[1] - 1
                    z = xp.matmul(g, y_train, out=xp.view(buf_low, (g.shape[0], c)))
                    y_bar = z[-1:] + 0  # training mean (copy: its row is overwritten next)
                    # rows k·m … (k+1)·m - 1 of the same buffer: -(Yᵥ - ȳ) is combined by Q
                    xp.subtract(y_val, y_bar, out=xp.view(buf_low, ((k + 1) * m, c))[k * m :])
                    z = xp.view(buf_low, (k + 1, m * c))
                    xp.matmul(q, z, out=xp.view(buf_pred, (n_blocks, m * c)))  # residuals
                    err = xp.block_sq_err(xp.view(buf_pred, (n_blocks * m, c)), None, n_blocks)
                else:
                    if kind == "factored":  # post @ (pre @ Yₜ)
                        pre = mats[1]
                        y_train = xp.matmul(pre, y_train, out=xp.view(buf_low, (pre.shape[0], c)))
                    pred = xp.matmul(mats[0], y_train, out=xp.view(buf_pred, (n_blocks * m, c)))
                    err = xp.block_sq_err(pred, y_val, n_blocks)
                weight = 1.0 / m if self.cv_average == "folds" else 1.0
                sq_err[:, sl] += weight * xp.to_numpy(err)
        return sq_err

    def _fit_full(self, xp, X, Y, alphas, best, dtype, gram=None):
        n, n_targets = Y.shape
        x_mean = X.mean(0, dtype=np.float64) if self.fit_intercept else np.zeros(X.shape[1])
        y_mean = Y.mean(0, dtype=np.float64) if self.fit_intercept else np.zeros(n_targets)
        with threadpool_limits(limits=_blas_threads(X), user_api="blas"):
            if gram is not None:  # wide: V = (X − x̄)ᵀ U / s, by blocks of columns
                s, u = _gram_eigh(_centred(gram) if self.fit_intercept else gram)
                v, u_scaled = np.empty((X.shape[1], s.size), dtype=dtype), u / s
                for cols in _column_blocks(X):
                    v[cols] = (X[:, cols].astype(np.float64) - x_mean[cols]).T @ u_scaled
            else:
                u, s, vt = thin_svd(X.astype(np.float64) - x_mean)
                v = vt.T
        table = xp.asarray(s[:, None] / (s[:, None] ** 2 + alphas[None, :]))  # (r, a)
        ut, v = xp.asarray(u.T), xp.asarray(v)
        u_sum = xp.asarray(u.sum(axis=0)[:, None])  # (r, 1): Uᵀ1, ~0 when centred
        coef = np.empty((X.shape[1], n_targets), dtype=dtype)
        chunk = self._chunk(Y.itemsize * (2 * n + s.size + X.shape[1]), n_targets)
        buf_z, buf_coef = xp.empty(s.size * chunk), xp.empty(X.shape[1] * chunk)
        for start in range(0, n_targets, chunk):
            sl = slice(start, start + chunk)
            y_chunk = xp.asarray(Y[:, sl])
            c = y_chunk.shape[1]
            z = xp.matmul(ut, y_chunk, out=xp.view(buf_z, (s.size, c)))  # (r, c)
            if self.fit_intercept:
                z -= u_sum * xp.asarray(y_mean[None, sl])
            z = xp.scale_columns_by_index(z, table, best[sl])
            coef[:, sl] = xp.to_numpy(xp.matmul(v, z, out=xp.view(buf_coef, (X.shape[1], c))))
        self.x_mean_ = x_mean.astype(dtype)
        self.coef_ = coef
        self.intercept_ = (y_mean - x_mean.astype(dtype) @ coef).astype(dtype)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_targets) (or (n_samples,) if fitted on 1-D ``y``)
        """
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This RidgeCV is not fitted yet; call fit(X, y, groups) first.")
        X = check_array(X, "X", ndim=2, dtype=self.coef_.dtype)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have {self.n_features_in_} features (as in fit); received {X.shape[1]}."
            )
        pred = X @ self.coef_ + self.intercept_
        return pred[:, 0] if self._y_1d else pred
