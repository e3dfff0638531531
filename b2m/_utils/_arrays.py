"""Small array helpers shared across b2m's layers (features, models, analysis, reconstruction)."""

from __future__ import annotations

import numpy as np

__all__ = ["unit_rows"]


def unit_rows(x) -> np.ndarray:
    """Scale each row (the last axis) to unit L2 norm; zero rows stay zero.

    The one row normalisation of b2m: cosine similarities, CLAP's unit-length embeddings,
    tag and phrase vectors. Floating inputs keep their dtype, integers become float64.
    (:class:`b2m.models.LibraryIndex` validates and normalises large libraries in float32
    chunks and rejects zero rows instead.)

    Parameters
    ----------
    x : array-like of shape (..., d)

    Returns
    -------
    ndarray of the same shape

    Examples
    --------
    >>> unit_rows([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x)
    if x.dtype.kind not in "f":
        x = x.astype(np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norm > 0, norm, 1).astype(x.dtype)
