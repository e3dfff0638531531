"""Ridge regression with one regularisation strength per target, chosen by run-grouped CV.

The engine works on the thin SVD of the (centred) design: with ``X = U diag(s) Vᵀ`` the ridge
solution for strength ``α`` is ``V diag(s / (s² + α)) Uᵀ Y``. One decomposition per fold
serves every candidate α; validation predictions for all α are formed in one matrix product
per chunk of targets, so memory is bounded by ``chunk_size``. The SVD comes from the
eigendecomposition of the smaller Gram matrix (``X Xᵀ`` when samples < features, as in
decoding from many vertices; ``Xᵀ X`` otherwise, as in encoding from an embedding).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GroupKFold

from b2m._utils._validation import check_array, check_consistent_length

__all__ = ["DEFAULT_ALPHAS", "RidgeCV", "thin_svd"]

#: Default candidate regularisation strengths.
DEFAULT_ALPHAS = np.logspace(-2, 6, 17)


def thin_svd(x: np.ndarray, rtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD through the smaller Gram matrix (computed in float64).

    Parameters
    ----------
    x : ndarray of shape (n, p)

    Returns
    -------
    u : ndarray of shape (n, r)
    s : ndarray of shape (r,)
        Singular values above ``rtol × max``.
    vt : ndarray of shape (r, p)
    """
    x64 = np.asarray(x, dtype=np.float64)
    n, p = x64.shape
    if n <= p:
        w, u = np.linalg.eigh(x64 @ x64.T)
        keep = w > rtol * max(w.max(), 0.0) if w.max() > 0 else np.zeros_like(w, bool)
        w, u = w[keep], u[:, keep]
        s = np.sqrt(w)
        vt = (u.T @ x64) / s[:, None]
    else:
        w, v = np.linalg.eigh(x64.T @ x64)
        keep = w > rtol * max(w.max(), 0.0) if w.max() > 0 else np.zeros_like(w, bool)
        w, v = w[keep], v[:, keep]
        s = np.sqrt(w)
        u = (x64 @ v) / s[None, :]
        vt = v.T
    return u, s, vt


class RidgeCV(RegressorMixin, BaseEstimator):
    """Ridge regression with per-target α chosen by K-fold CV grouped by run.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default ``np.logspace(-2, 6, 17)``
        Candidate strengths (positive).
    n_splits : int, default 5
        Folds of :class:`sklearn.model_selection.GroupKFold`; a run is never split.
    alpha_per_target : bool, default True
        Choose α per target; otherwise one α (best mean CV error) for all.
    fit_intercept : bool, default True
        Centre ``X`` and ``Y`` with training means.
    dtype : {"float32", "float64"}, default "float32"
        Precision of the large products.
    chunk_size : int, default 20000
        Targets processed at once (bounds memory: ``n_alphas × n_val × chunk_size`` values).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_targets)
    intercept_ : ndarray of shape (n_targets,)
    alpha_ : ndarray of shape (n_targets,)
        Chosen strength per target.
    cv_scores_ : ndarray of shape (n_alphas, n_targets)
        Cross-validated R² of every candidate (predictions pooled over folds).
    best_cv_score_ : ndarray of shape (n_targets,)
    x_mean_ : ndarray of shape (n_features,)
    """

    def __init__(
        self,
        alphas=None,
        *,
        n_splits: int = 5,
        alpha_per_target: bool = True,
        fit_intercept: bool = True,
        dtype: str = "float32",
        chunk_size: int = 20000,
    ):
        self.alphas = alphas
        self.n_splits = n_splits
        self.alpha_per_target = alpha_per_target
        self.fit_intercept = fit_intercept
        self.dtype = dtype
        self.chunk_size = chunk_size

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
        if not isinstance(self.chunk_size, int | np.integer) or self.chunk_size < 1:
            raise ValueError(
                f"chunk_size must be a positive integer; received {self.chunk_size!r}."
            )
        return alphas, np.dtype(self.dtype)

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
        n_groups = len(np.unique(groups))
        if n_groups < self.n_splits:
            raise ValueError(
                f"groups must contain at least n_splits={self.n_splits} distinct runs; "
                f"received {n_groups}."
            )
        n_targets = Y.shape[1]
        sq_err = np.zeros((len(alphas), n_targets), dtype=np.float64)
        sq_tot = np.zeros(n_targets, dtype=np.float64)
        for train, val in GroupKFold(n_splits=self.n_splits).split(X, Y, groups):
            xm = X[train].mean(0) if self.fit_intercept else np.zeros(X.shape[1], dtype)
            ym = Y[train].mean(0) if self.fit_intercept else np.zeros(n_targets, dtype)
            u, s, vt = thin_svd(X[train] - xm)
            xv = ((X[val] - xm) @ vt.T.astype(dtype)).astype(dtype)  # (m, r)
            shrink = (s[None, :] / (s[None, :] ** 2 + alphas[:, None])).astype(dtype)  # (a, r)
            stacked = (shrink[:, None, :] * xv[None, :, :]).reshape(-1, len(s))  # (a*m, r)
            ut = u.T.astype(dtype)
            for start in range(0, n_targets, self.chunk_size):
                sl = slice(start, start + self.chunk_size)
                uty = ut @ (Y[train, sl] - ym[sl])  # (r, c)
                resid_val = Y[val, sl] - ym[sl]
                pred = (stacked @ uty).reshape(len(alphas), len(val), -1)
                pred -= resid_val[None]
                sq_err[:, sl] += np.einsum("amc,amc->ac", pred, pred)
                sq_tot[sl] += np.einsum("mc,mc->c", resid_val, resid_val)
        sq_tot = np.where(sq_tot > 0, sq_tot, 1.0)
        self.cv_scores_ = (1.0 - sq_err / sq_tot).astype(np.float32)
        if self.alpha_per_target:
            best = np.argmax(self.cv_scores_, axis=0)
        else:
            best = np.full(n_targets, np.argmax(self.cv_scores_.mean(axis=1)))
        self.alpha_ = alphas[best]
        self.best_cv_score_ = self.cv_scores_[best, np.arange(n_targets)]
        self._fit_full(X, Y, alphas, best, dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_full(self, X, Y, alphas, best, dtype):
        self.x_mean_ = X.mean(0) if self.fit_intercept else np.zeros(X.shape[1], dtype)
        y_mean = Y.mean(0) if self.fit_intercept else np.zeros(Y.shape[1], dtype)
        u, s, vt = thin_svd(X - self.x_mean_)
        v = vt.T.astype(dtype)
        coef = np.empty((X.shape[1], Y.shape[1]), dtype=dtype)
        ut = u.T.astype(dtype)
        for a in np.unique(best):
            cols = np.flatnonzero(best == a)
            shrink = (s / (s**2 + alphas[a])).astype(dtype)
            for start in range(0, cols.size, self.chunk_size):
                c = cols[start : start + self.chunk_size]
                coef[:, c] = v @ (shrink[:, None] * (ut @ (Y[:, c] - y_mean[c])))
        self.coef_ = coef
        self.intercept_ = (y_mean - self.x_mean_ @ coef).astype(dtype)

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
