"""Decoding (brain → embedding) and encoding (embedding → brain) estimators on the ridge engine."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from b2m._utils._validation import check_array, check_consistent_length
from b2m.models._identification import IdentificationResult, identify
from b2m.models._ridge import RidgeCV

__all__ = ["Decoder", "Encoder", "pearson_columns"]


def pearson_columns(a, b) -> np.ndarray:
    """Pearson correlation between matching columns of ``a`` and ``b``.

    Parameters
    ----------
    a, b : arrays of shape (n_samples, n_columns)

    Returns
    -------
    ndarray of shape (n_columns,)
        0 where a column is constant.
    """
    a = check_array(a, "a", ndim=2)
    b = check_array(b, "b", ndim=2)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; received {a.shape} and {b.shape}.")
    a = a - a.mean(0)
    b = b - b.mean(0)
    den = np.sqrt((a * a).sum(0) * (b * b).sum(0))
    return np.where(den > 0, (a * b).sum(0) / np.where(den > 0, den, 1), 0.0)


class _Standardizer:
    def fit(self, x):
        self.mean_ = x.mean(0)
        sd = x.std(0)
        self.scale_ = np.where(sd > 0, sd, 1.0).astype(x.dtype)
        return self

    def transform(self, x):
        return (x - self.mean_) / self.scale_

    def inverse_transform(self, x):
        return x * self.scale_ + self.mean_


class Decoder(RegressorMixin, BaseEstimator):
    """Decode an embedding from brain responses (one ridge per embedding dimension).

    Targets are z-scored with training statistics, so every dimension counts equally in
    the per-dimension α choice and in identification; :meth:`predict` returns embeddings in
    the original units, :meth:`transform_embeddings` maps embeddings to the standardised
    space that identification uses.

    Parameters
    ----------
    alphas : array-like, optional
        Candidate strengths (default ``np.logspace(-2, 6, 17)``).
    n_splits : int, default 5
        Run-grouped folds for choosing α.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    ridge_ : RidgeCV
        The fitted engine (``alpha_`` per embedding dimension, ``cv_scores_``).
    """

    def __init__(self, alphas=None, *, n_splits: int = 5, dtype: str = "float32"):
        self.alphas = alphas
        self.n_splits = n_splits
        self.dtype = dtype

    def fit(self, responses, embeddings, runs):
        """Fit.

        Parameters
        ----------
        responses : array of shape (n_clips, n_vertices)
        embeddings : array of shape (n_clips, n_dims)
        runs : array of shape (n_clips,)
            Run of each clip (CV groups).

        Returns
        -------
        self
        """
        responses = check_array(responses, "responses", ndim=2, dtype=np.float32)
        embeddings = check_array(embeddings, "embeddings", ndim=2, dtype=np.float32)
        check_consistent_length(responses=responses, embeddings=embeddings, runs=runs)
        self.target_scaler_ = _Standardizer().fit(embeddings)
        self.ridge_ = RidgeCV(self.alphas, n_splits=self.n_splits, dtype=self.dtype)
        self.ridge_.fit(responses, self.target_scaler_.transform(embeddings), runs)
        self.n_features_in_ = responses.shape[1]
        return self

    def transform_embeddings(self, embeddings) -> np.ndarray:
        """Standardise embeddings with the training statistics, shape (n, n_dims)."""
        return self.target_scaler_.transform(
            check_array(embeddings, "embeddings", ndim=2, dtype=np.float32)
        )

    def predict(self, responses) -> np.ndarray:
        """Decoded embeddings of shape (n_clips, n_dims), in the embedding's units."""
        return self.target_scaler_.inverse_transform(self.ridge_.predict(responses))

    def identify(self, responses, embeddings, clip_ids=None) -> IdentificationResult:
        """Decode ``responses`` and identify them among ``embeddings`` (standardised space)."""
        decoded = self.ridge_.predict(responses)
        return identify(decoded, self.transform_embeddings(embeddings), clip_ids)


class Encoder(RegressorMixin, BaseEstimator):
    """Predict each vertex's response from an embedding (one ridge per vertex).

    Features are z-scored with training statistics.

    Parameters
    ----------
    alphas : array-like, optional
    n_splits : int, default 5
    dtype : {"float32", "float64"}, default "float32"
    chunk_size : int or None, default None
        Vertices processed at once; ``None`` lets the engine's memory budget decide.

    Attributes
    ----------
    ridge_ : RidgeCV
        ``alpha_`` per vertex, ``best_cv_score_`` (cross-validated R² on training data).
    """

    def __init__(
        self,
        alphas=None,
        *,
        n_splits: int = 5,
        dtype: str = "float32",
        chunk_size: int | None = None,
    ):
        self.alphas = alphas
        self.n_splits = n_splits
        self.dtype = dtype
        self.chunk_size = chunk_size

    def fit(self, embeddings, responses, runs):
        """Fit.

        Parameters
        ----------
        embeddings : array of shape (n_clips, n_dims)
        responses : array of shape (n_clips, n_vertices)
        runs : array of shape (n_clips,)

        Returns
        -------
        self
        """
        embeddings = check_array(embeddings, "embeddings", ndim=2, dtype=np.float32)
        responses = check_array(responses, "responses", ndim=2, dtype=np.float32)
        check_consistent_length(embeddings=embeddings, responses=responses, runs=runs)
        self.feature_scaler_ = _Standardizer().fit(embeddings)
        self.ridge_ = RidgeCV(
            self.alphas, n_splits=self.n_splits, dtype=self.dtype, chunk_size=self.chunk_size
        )
        self.ridge_.fit(self.feature_scaler_.transform(embeddings), responses, runs)
        self.n_features_in_ = embeddings.shape[1]
        return self

    def predict(self, embeddings) -> np.ndarray:
        """Predicted responses of shape (n_clips, n_vertices)."""
        x = check_array(embeddings, "embeddings", ndim=2, dtype=np.float32)
        return self.ridge_.predict(self.feature_scaler_.transform(x))

    def score_vertices(self, embeddings, responses) -> np.ndarray:
        """Pearson r between predicted and measured responses per vertex, shape (n_vertices,)."""
        responses = check_array(responses, "responses", ndim=2, dtype=np.float32)
        return pearson_columns(self.predict(embeddings), responses).astype(np.float32)
