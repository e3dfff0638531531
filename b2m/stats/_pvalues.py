"""Combining and correcting p-values: Benjamini-Hochberg FDR and Stouffer's method."""

from __future__ import annotations

import numpy as np

from b2m._utils._validation import check_array, check_choice

__all__ = ["EPS", "NAN_POLICIES", "fdr_bh", "stouffer_pvalues"]


def fdr_bh(pvalues, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg false discovery rate control over all entries.

    Parameters
    ----------
    pvalues : array-like of any shape
        p-values in [0, 1]; NaN entries are ignored (never rejected, q is NaN) and do not count
        towards the number of tests.
    alpha : float, default 0.05
        Target false discovery rate, in (0, 1).

    Returns
    -------
    rejected : ndarray of bool, same shape as ``pvalues``
        True where the null is rejected at FDR ``alpha``.
    qvalues : ndarray of float, same shape as ``pvalues``
        BH-adjusted p-values (``rejected == qvalues <= alpha``).

    Raises
    ------
    ValueError
        If ``alpha`` is not in (0, 1) or a p-value lies outside [0, 1].
    """
    if not (np.isscalar(alpha) and 0 < float(alpha) < 1):
        raise ValueError(f"alpha must be a number in (0, 1); received {alpha!r}.")
    p = check_array(pvalues, "pvalues", allow_nan=True, min_samples=0)
    if np.isinf(p).any():
        raise ValueError("pvalues must lie in [0, 1] (NaN allowed); received infinite value(s).")
    finite = ~np.isnan(p)
    bad = finite & ((p < 0) | (p > 1))
    if bad.any():
        raise ValueError(
            f"pvalues must lie in [0, 1] (NaN allowed); received {int(bad.sum())} value(s) "
            f"outside, e.g. {p[bad].flat[0]!r}."
        )
    q = np.full(p.shape, np.nan)
    values = p[finite]
    m = values.size
    if m:
        order = np.argsort(values, kind="stable")
        ranked = values[order] * m / np.arange(1, m + 1)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(ranked, 1.0)
        q[finite] = adjusted
    rejected = np.zeros(p.shape, bool)
    rejected[finite] = q[finite] <= alpha
    return rejected, q


#: p-values are clipped to ``[EPS, 1 - EPS]`` before Stouffer's combination.
EPS = 1e-12
NAN_POLICIES = ("raise", "omit")


def stouffer_pvalues(pvalues, *, nan_policy: str = "raise", eps: float = EPS) -> np.ndarray:
    """Combine one-sided p-values over the first axis with Stouffer's method.

    Parameters
    ----------
    pvalues : array of shape (n_subjects, ...)
        One-sided p-values in [0, 1]. They are clipped to ``[eps, 1 - eps]`` at both ends,
        so a subject with p = 1 (a statistic below its whole null) weighs as strong evidence
        against — ``Φ̄⁻¹(1 - eps)`` ≈ −7 for the default ``eps`` — not as an infinite veto
        (``Φ̄⁻¹(1) = −∞`` would make the group p = 1 whatever the other subjects show); p = 0
        weighs as much for.
    nan_policy : {"raise", "omit"}, default "raise"
        NaN marks an untested entry (e.g. a vertex with a constant response): ``"raise"``
        rejects it; ``"omit"`` combines, per entry, only the subjects that tested it
        (``n`` is their number) and gives NaN where none did.
    eps : float, default 1e-12
        Clipping margin, in (0, 0.5).

    Returns
    -------
    ndarray of shape (...)
        ``Φ̄(Σ_s Φ̄⁻¹(p_s) / √n)``.

    Raises
    ------
    ValueError
        If ``pvalues`` has no subject axis, holds values outside [0, 1] (or NaN with
        ``nan_policy="raise"``), or ``nan_policy`` / ``eps`` is invalid.
    """
    from scipy import stats

    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    if not (np.isscalar(eps) and 0 < float(eps) < 0.5):
        raise ValueError(f"eps must be a number in (0, 0.5); received {eps!r}.")
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim < 1 or len(p) == 0:
        raise ValueError(f"pvalues must have one row per subject; received shape {p.shape}.")
    missing = np.isnan(p)
    if nan_policy == "raise" and missing.any():
        raise ValueError(
            f"pvalues must lie in [0, 1] with no NaN (or pass nan_policy='omit'); received "
            f"{int(missing.sum())} NaN."
        )
    finite = p[~missing]
    if np.isinf(finite).any() or (finite < 0).any() or (finite > 1).any():
        raise ValueError("pvalues must lie in [0, 1]; received values outside.")
    p = np.where(missing, 0.5, p)
    # Φ̄⁻¹ of the smaller tail, signed: exactly symmetric (1 - p is exact near 1).
    z = stats.norm.isf(np.maximum(np.minimum(p, 1.0 - p), eps)) * np.where(p > 0.5, -1.0, 1.0)
    n = (~missing).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = stats.norm.sf(z.sum(0) / np.sqrt(n))
    return np.where(n > 0, out, np.nan)
