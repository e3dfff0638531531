"""Audio helpers shared by the stimulus loaders and the feature spaces."""

from __future__ import annotations

from math import gcd

import numpy as np

__all__ = ["resample"]


def resample(x: np.ndarray, sr: int, target: int) -> np.ndarray:
    """Resample a signal from ``sr`` to ``target`` Hz along its first axis.

    Polyphase filtering (:func:`scipy.signal.resample_poly`) by the reduced ratio
    ``target / sr``; the input is returned unchanged when the rates are equal.

    Parameters
    ----------
    x : ndarray of shape (n_samples, ...)
    sr, target : int
        Sampling rates in Hz.

    Returns
    -------
    ndarray of shape (ceil(n_samples * target / sr), ...)
    """
    if sr == target:
        return x
    from scipy.signal import resample_poly

    g = gcd(int(sr), int(target))
    return resample_poly(x, target // g, sr // g, axis=0)
