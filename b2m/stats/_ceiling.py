"""How much of a response is explainable: noise ceilings from test repeats, split-half
reliability, and correlations normalised by the ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m._utils._validation import check_array

__all__ = ["NoiseCeiling", "noise_ceiling", "normalised_r", "split_half_reliability"]


@dataclass
class NoiseCeiling:
    """Signal and noise power of repeated responses (Sahani & Linden 2003).

    Attributes
    ----------
    signal_power : ndarray of shape (n_targets,)
        ``SP = (Var(sum_k y_k) - sum_k Var(y_k)) / (n (n - 1))``, variances over clips.
    noise_power : ndarray of shape (n_targets,)
        ``NP = mean_k Var(y_k) - SP`` (noise variance of a single repeat).
    n_repeats : int
    explainable_variance : ndarray of shape (n_targets,)
        Share of the variance of the repeat-averaged response that is signal,
        ``SP / Var(mean_k y_k)``, clipped to [0, 1].
    max_r : ndarray of shape (n_targets,)
        ``sqrt(explainable_variance)``: the expected correlation between the noise-free
        signal and the repeat-averaged response, an upper bound on a model's test r
        (``CC_max`` of Schoppe et al. 2016).
    """

    signal_power: np.ndarray = field(repr=False)
    noise_power: np.ndarray = field(repr=False)
    n_repeats: int
    explainable_variance: np.ndarray = field(repr=False)
    max_r: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per target."""
        return pd.DataFrame(
            {
                "signal_power": self.signal_power,
                "noise_power": self.noise_power,
                "explainable_variance": self.explainable_variance,
                "max_r": self.max_r,
            }
        )


def noise_ceiling(test_repeats) -> NoiseCeiling:
    """Estimate the noise ceiling from repeated presentations of the same clips.

    Parameters
    ----------
    test_repeats : array of shape (n_repeats, n_clips, n_targets)
        Responses to the same clips (same order) in each repeat; at least 2 repeats and
        3 clips.

    Returns
    -------
    NoiseCeiling
        Targets without variance get ``explainable_variance = max_r = 0``.

    Notes
    -----
    The ceiling counts as signal everything the repeats share. In ds003720 (and in the
    simulated study, which copies its schedule) the four repeats of a test clip are played
    in one run and in a fixed cyclic order, so noise shared within the run (slow drift
    left after cleaning, arousal) and carry-over from the clip that always precedes it
    repeat with the clip and inflate the ceiling; the within-repeat variance cannot tell
    them apart. :func:`split_half_reliability` is an independent estimate of the same
    quantity (it agrees with ``explainable_variance`` when the noise is independent across
    repeats) but shares this bias: only repeats in different runs and orders could remove
    it. Read normalised scores against this ceiling as lower bounds.

    Raises
    ------
    ValueError
        If the array is not 3-D, has fewer than 2 repeats or 3 clips, or is not finite.
    """
    y = check_array(test_repeats, "test_repeats", ndim=3)
    n_rep, n_clips, _ = y.shape
    if n_rep < 2:
        raise ValueError(
            "test_repeats must have at least 2 repeats along axis 0 (shape (n_repeats, "
            f"n_clips, n_targets)); received shape {y.shape}."
        )
    if n_clips < 3:
        raise ValueError(f"test_repeats needs at least 3 clips along axis 1; received {y.shape}.")
    var_each = y.var(axis=1, ddof=1)  # (n_rep, n_targets)
    var_sum = y.sum(0).var(axis=0, ddof=1)
    sp = (var_sum - var_each.sum(0)) / (n_rep * (n_rep - 1))
    tp = var_each.mean(0)
    var_mean = var_sum / n_rep**2
    ev = np.divide(sp, var_mean, out=np.zeros_like(sp), where=var_mean > 0)
    ev = np.clip(ev, 0.0, 1.0)
    return NoiseCeiling(
        signal_power=sp,
        noise_power=tp - sp,
        n_repeats=int(n_rep),
        explainable_variance=ev,
        max_r=np.sqrt(ev),
    )


def split_half_reliability(test_repeats) -> np.ndarray:
    """Split-half reliability of the repeat-averaged response, Spearman–Brown corrected.

    For every split of the repeats into two halves of equal size (for 4 repeats: {0,1} vs
    {2,3}, {0,2} vs {1,3}, {0,3} vs {1,2}), the Pearson correlation over clips between the
    two half means; the correlations are averaged over splits and stepped up to the full
    number of repeats with the Spearman–Brown formula ``2 r / (1 + r)``. The result
    estimates the correlation between two independent means of all repeats, which is the
    quantity :func:`noise_ceiling` reports as ``explainable_variance`` (so its square root
    compares with ``max_r``), without its variance decomposition. It shares the ceiling's
    caveat: noise and carry-over shared by repeats of the same run count as signal (see
    :func:`noise_ceiling`).

    Parameters
    ----------
    test_repeats : array of shape (n_repeats, n_clips, n_targets)
        Responses to the same clips (same order) in each repeat; an even number of repeats
        (at least 2) and at least 3 clips.

    Returns
    -------
    ndarray of shape (n_targets,)
        In (-1, 1]; 0 for targets without variance. Negative values (halves
        anti-correlated, i.e. no reliable signal) are kept, not clipped.

    Raises
    ------
    ValueError
        If the array is not 3-D, has an odd number of repeats or fewer than 2, fewer than
        3 clips, or is not finite.
    """
    from itertools import combinations

    y = check_array(test_repeats, "test_repeats", ndim=3, dtype=np.float64)
    n_rep, n_clips, _ = y.shape
    if n_rep < 2 or n_rep % 2:
        raise ValueError(
            "test_repeats must have an even number (>= 2) of repeats along axis 0 (shape "
            f"(n_repeats, n_clips, n_targets)); received shape {y.shape}."
        )
    if n_clips < 3:
        raise ValueError(f"test_repeats needs at least 3 clips along axis 1; received {y.shape}.")
    rest = range(1, n_rep)  # repeat 0 always in the first half: each split counted once
    rs = []
    for others in combinations(rest, n_rep // 2 - 1):
        first = [0, *others]
        second = [k for k in range(n_rep) if k not in first]
        a = y[first].mean(0)
        b = y[second].mean(0)
        a = a - a.mean(0)
        b = b - b.mean(0)
        den = np.sqrt((a * a).sum(0) * (b * b).sum(0))
        rs.append(np.divide((a * b).sum(0), den, out=np.zeros(den.shape), where=den > 0))
    r = np.mean(rs, axis=0)
    return np.divide(2 * r, 1 + r, out=np.zeros_like(r), where=(1 + r) > 0)


def normalised_r(r, ceiling, min_ceiling: float = 0.1) -> np.ndarray:
    """Correlation divided by the noise ceiling.

    Parameters
    ----------
    r : array of shape (n_targets,)
        Test correlations (against the repeat-averaged response).
    ceiling : NoiseCeiling or array of shape (n_targets,)
        The ceiling, or its ``max_r``.
    min_ceiling : float, default 0.1
        Targets whose ``max_r`` is below this get NaN (the ratio would be noise).

    Returns
    -------
    ndarray of shape (n_targets,)
    """
    r = check_array(r, "r", ndim=1, allow_nan=True)
    max_r = ceiling.max_r if isinstance(ceiling, NoiseCeiling) else ceiling
    max_r = check_array(max_r, "ceiling", shape=r.shape, allow_nan=True)
    if not (np.isscalar(min_ceiling) and min_ceiling > 0):
        raise ValueError(f"min_ceiling must be a positive number; received {min_ceiling!r}.")
    ok = np.isfinite(max_r) & (max_r >= min_ceiling)
    return np.where(ok, r / np.where(ok, max_r, 1.0), np.nan)
