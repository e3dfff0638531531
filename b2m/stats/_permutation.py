"""Permutation tests vectorised over targets, and the null pooled over targets.

Clip permutations of encoding correlations (one model, or several sharing one pass of
permutations), sign flips of paired loss differences, and exact p-values against a null
pooled over all tested targets (:class:`PooledNull`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m._utils._validation import check_array

__all__ = [
    "PERMUTATION_TOL",
    "PermutationResult",
    "PooledNull",
    "permutation_test_correlation",
    "pooled_pvalues",
]


@dataclass
class PermutationResult:
    """A one-sided permutation test of column-wise Pearson correlations.

    Attributes
    ----------
    r : ndarray of shape (n_targets,)
        Observed Pearson r per target.
    pvalues : ndarray of shape (n_targets,)
        Per-target p-values ``(1 + #{null >= r}) / (1 + n_permutations)``; their floor is
        ``1 / (1 + n_permutations)``. NaN for untested targets.
    pvalues_pooled : ndarray of shape (n_targets,)
        p-values against the null pooled over all tested targets (the same permutations),
        ``(1 + #{null_all >= r}) / (1 + n_permutations * n_tested)``: valid when targets
        share one null distribution (true for correlations of standardised columns up to
        their tails) and fine-grained enough to survive FDR over many targets. Null values
        are binned at a resolution of ``2 / 2**15`` in r, bins that hold ``r`` counting as
        exceedances (conservative). NaN for untested targets, whose r ≡ 0 under every
        permutation would otherwise narrow the pooled null (with half the targets constant
        the false-positive rate at p < .05 doubles).
    n_permutations : int
    null_mean, null_sd : ndarray of shape (n_targets,)
        Mean and standard deviation of the null correlations per target.
    null_max : ndarray of shape (n_permutations,)
        Largest null correlation over tested targets in each permutation (for max-statistic
        family-wise error control: ``(1 + (null_max >= r).sum()) / (1 + n)``); NaN when no
        target is tested.
    null : ndarray of shape (n_permutations, n_targets) or None
        The full null distribution, only when asked for (``keep_null=True``).
    tested : ndarray of bool, shape (n_targets,) or None
        False where the observed or the predicted column is constant (zero variance): r is
        undefined there (reported as 0), there is nothing to test, and the p-values are NaN.
        None (every target tested) for results made before this attribute existed.
    """

    r: np.ndarray = field(repr=False)
    pvalues: np.ndarray = field(repr=False)
    pvalues_pooled: np.ndarray = field(repr=False)
    n_permutations: int
    null_mean: np.ndarray = field(repr=False)
    null_sd: np.ndarray = field(repr=False)
    null_max: np.ndarray = field(repr=False)
    null: np.ndarray | None = field(default=None, repr=False)
    tested: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_untested(self) -> int:
        """Number of targets left untested (constant observed or predicted column)."""
        return 0 if self.tested is None else int((~self.tested).sum())

    @property
    def pvalues_fwer(self) -> np.ndarray:
        """Max-statistic (family-wise) p-values, shape (n_targets,); NaN where untested."""
        exceed = (self.null_max[:, None] >= self.r[None, :]).sum(0)
        p = (1.0 + exceed) / (1.0 + self.n_permutations)
        return p if self.tested is None else np.where(self.tested, p, np.nan)

    def to_frame(self) -> pd.DataFrame:
        """One row per target: ``r``, ``p``, ``p_pooled``, ``null_mean``, ``null_sd``,
        ``tested``."""
        tested = np.ones(self.r.shape, bool) if self.tested is None else self.tested
        return pd.DataFrame(
            {
                "r": self.r,
                "p": self.pvalues,
                "p_pooled": self.pvalues_pooled,
                "null_mean": self.null_mean,
                "null_sd": self.null_sd,
                "tested": tested,
            }
        )


def _constant_columns(x: np.ndarray) -> np.ndarray:
    """True for columns with zero variance (every value equal), shape (n_columns,)."""
    return x.max(0) == x.min(0)


def _standardise(x: np.ndarray) -> np.ndarray:
    """Centre columns and scale them to unit norm (so dot products are Pearson r).

    Constant columns become exactly zero (not rounding noise of ``x - mean`` blown up).
    """
    constant = _constant_columns(x)
    x = x - x.mean(0)
    x[:, constant] = 0.0
    norm = np.sqrt((x * x).sum(0))
    return x / np.where(norm > 0, norm, 1.0)


#: How close a permuted statistic must come to the observed one to count as reaching it.
#: Correlations and studentised statistics are computed in float32 (relative rounding
#: ~1e-7 at unit scale): an identity permutation must count as reaching its own value.
PERMUTATION_TOL = 1e-5


def _at_least(threshold: np.ndarray, dtype) -> np.ndarray:
    """The smallest value of ``dtype`` at or above each float64 ``threshold``.

    For values ``v`` of ``dtype``, ``v ≥ t`` exactly when ``v ≥ _at_least(t, dtype)``.
    """
    if np.dtype(dtype) == np.float64:
        return threshold
    with np.errstate(over="ignore"):
        rounded = threshold.astype(dtype)
    below = rounded < threshold  # compared in float64, exactly
    rounded[below] = np.nextafter(rounded[below], np.array(np.inf, dtype=dtype))
    return rounded


class PooledNull:
    """Exact counts of a null pooled over targets, accumulated batch by batch.

    With 1000 permutations a per-target p-value cannot go below 1/1001, too coarse for FDR
    over 20,484 vertices; when the statistic has the same null distribution at every target
    (a correlation of permuted clips, a studentised gain) the permutations of all tested
    targets form one null sample of ``n_permutations × n_tested`` values. Untested targets
    — a constant response, whose statistic is 0 under every permutation — are left out of
    the pool: their point mass at 0 would narrow it and inflate the false-positive rate of
    every other target.

    Memory is that of the targets and one copy of a batch's tested columns (float32 stays
    float32): the copy is sorted in place, the thresholds ``statistic − PERMUTATION_TOL``
    are located in it, and it is dropped.

    Parameters
    ----------
    statistic : array of shape (n_targets,)
        Observed statistics; NaN marks an untested target.
    tested : array of bool, shape (n_targets,), optional
        Targets to test and pool (default: those with a finite statistic).

    Examples
    --------
    >>> pool = PooledNull(np.array([2.0, 0.0]))
    >>> pool.add(np.array([[1.0, -1.0], [3.0, 0.5]]))
    >>> pool.pvalues()
    array([0.4, 0.8])
    """

    def __init__(self, statistic, tested=None):
        stat = check_array(statistic, "statistic", ndim=1, allow_nan=True)
        finite = np.isfinite(stat)
        if tested is None:
            tested = finite
        else:
            tested = check_array(tested, "tested", shape=stat.shape, dtype=bool) & finite
        self.tested = tested
        self._threshold = stat[tested].astype(np.float64) - PERMUTATION_TOL
        self._exceed = np.zeros(self._threshold.size, np.int64)
        self.size = 0

    def add(self, null) -> None:
        """Count a batch of null statistics of shape (n_permutations, n_targets).

        A float32 batch stays float32: its tested columns are copied once and sorted in
        place, and each threshold is rounded up to the next float32, so the counts are
        those of the exact float64 comparison.
        """
        null = check_array(null, "null", ndim=2, shape=(None, self.tested.size), dtype=None)
        if null.dtype not in (np.float32, np.float64):
            null = null.astype(np.float64)
        # One copy of the tested columns, gathered by blocks of rows (a boolean index of the
        # whole batch would allocate a second, temporary copy), then sorted in place.
        values = np.empty((null.shape[0], int(self.tested.sum())), dtype=null.dtype)
        for start in range(0, null.shape[0], 64):
            values[start : start + 64] = null[start : start + 64, self.tested]
        values = values.ravel()
        values.sort()
        threshold = _at_least(self._threshold, values.dtype)
        self._exceed += values.size - np.searchsorted(values, threshold, side="left")
        self.size += values.size

    def pvalues(self) -> np.ndarray:
        """``(1 + #{pooled null ≥ statistic − tol}) / (1 + pool size)``; NaN where untested."""
        out = np.full(self.tested.shape, np.nan)
        out[self.tested] = (1.0 + self._exceed) / (1.0 + self.size)
        return out


def pooled_pvalues(statistic, null, *, tested=None) -> np.ndarray:
    """One-sided p-values against a null pooled over targets (see :class:`PooledNull`).

    Parameters
    ----------
    statistic : array of shape (n_targets,)
        NaN marks an untested target.
    null : array of shape (n_permutations, n_targets)
    tested : array of bool, shape (n_targets,), optional
        Targets to test and pool (default: those with a finite statistic). E.g.
        :attr:`PermutationResult.tested`.

    Returns
    -------
    ndarray of shape (n_targets,)
        ``(1 + #{pooled null ≥ statistic − PERMUTATION_TOL}) / (1 + n_permutations ×
        n_tested)``; NaN for untested targets.
    """
    pool = PooledNull(statistic, tested)
    pool.add(null)
    return pool.pvalues()


def _permutations(rng, n_perm: int, codes: np.ndarray | None, n: int) -> np.ndarray:
    """Row permutations of shape (n_perm, n), within blocks of equal ``codes`` if given."""
    keys = rng.random((n_perm, n))
    if codes is None:
        return np.argsort(keys, axis=1)
    # Sorting by (group, random key) shuffles within groups; map back to group-sorted slots.
    order = np.argsort(codes[None, :] + keys, axis=1)
    slots = np.argsort(codes, kind="stable")
    perm = np.empty_like(order)
    perm[:, slots] = order
    return perm


def permutation_test_correlation(
    predicted,
    observed,
    *,
    n_permutations: int = 1000,
    groups=None,
    seed: int | None = 0,
    batch_size: int = 100,
    keep_null: bool = False,
    chunk_size: int = 1024,
) -> PermutationResult:
    """One-sided permutation test of the Pearson r between matching columns.

    The null permutes the rows (whole clips) of ``predicted`` against ``observed``, the same
    permutation for every target, so spatial correlation between targets is preserved (and
    ``null_max`` supports family-wise control). With ``groups``, rows are only exchanged
    within a group (e.g. a genre or a run block).

    Vectorised: per batch of permutations the standardised predictions are gathered in
    permuted order (the permutation-matrix product ``P @ z_pred`` done as a row gather) and
    contracted with the standardised observations in one ``einsum`` per block of targets.

    Parameters
    ----------
    predicted : array of shape (n_samples, n_targets)
    observed : array of shape (n_samples, n_targets)
    n_permutations : int, default 1000
    groups : array-like of shape (n_samples,), optional
        Exchangeability blocks: rows are permuted within equal labels only.
    seed : int or None, default 0
    batch_size : int, default 100
        Permutations processed at once.
    keep_null : bool, default False
        Keep the full (n_permutations, n_targets) null (memory!).
    chunk_size : int, default 1024
        Targets processed at once (bounds memory to ``batch_size * n_samples * chunk_size``).

    Returns
    -------
    PermutationResult
        Per-target ``pvalues`` and ``pvalues_pooled`` (null pooled over targets; use these
        for FDR over thousands of targets, where per-target p-values are floored at
        ``1 / (1 + n_permutations)``), null summaries, and the full null if kept. Targets
        whose observed or predicted column is constant are untested (``tested`` False,
        NaN p-values) and left out of the pooled null and of ``null_max``.

    Raises
    ------
    ValueError
        If shapes differ, values are not finite, fewer than 3 samples are given, or the
        counts are not positive.
    """
    predicted = check_array(predicted, "predicted", ndim=2, min_samples=3)
    observed = check_array(observed, "observed", ndim=2, min_samples=3)
    if predicted.shape != observed.shape:
        raise ValueError(
            "predicted and observed must have the same shape (n_samples, n_targets); "
            f"received {predicted.shape} and {observed.shape}."
        )
    for name, value in (("n_permutations", n_permutations), ("batch_size", batch_size)):
        if not (isinstance(value, int | np.integer) and value > 0):
            raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    n, n_targets = observed.shape
    codes = None
    if groups is not None:
        labels = np.asarray(groups)
        if labels.shape != (n,):
            raise ValueError(
                f"groups must have shape ({n},) (one label per sample); received {labels.shape}."
            )
        codes = np.unique(labels, return_inverse=True)[1].astype(np.float64)
    tested = ~(_constant_columns(predicted) | _constant_columns(observed))
    zp = _standardise(predicted).astype(np.float32)
    zo = _standardise(observed).astype(np.float32)
    r = np.einsum("nt,nt->t", zp, zo, dtype=np.float64)
    pooled_cols = None if tested.all() else np.flatnonzero(tested)
    rng = np.random.default_rng(seed)
    exceed = np.zeros(n_targets, np.int64)
    s1 = np.zeros(n_targets)
    s2 = np.zeros(n_targets)
    null_max = np.empty(n_permutations)
    pool = PooledNull(np.where(tested, r, np.nan))
    null = np.empty((n_permutations, n_targets), np.float32) if keep_null else None
    for start in range(0, n_permutations, batch_size):
        stop = min(start + batch_size, n_permutations)
        perm = _permutations(rng, stop - start, codes, n)
        batch = np.empty((stop - start, n_targets), np.float32)
        for c0 in range(0, n_targets, chunk_size):
            c1 = min(c0 + chunk_size, n_targets)
            gathered = zp[perm, c0:c1]  # (batch, n, chunk): P @ z_pred, rows gathered
            batch[:, c0:c1] = np.einsum("bnt,nt->bt", gathered, zo[:, c0:c1])
        exceed += (batch >= r[None, :] - PERMUTATION_TOL).sum(0)
        s1 += batch.sum(0, dtype=np.float64)
        s2 += np.square(batch, dtype=np.float64).sum(0)
        kept = batch if pooled_cols is None else batch[:, pooled_cols]
        null_max[start:stop] = kept.max(1) if kept.shape[1] else np.nan
        pool.add(batch)
        if keep_null:
            null[start:stop] = batch
    mean = s1 / n_permutations
    sd = np.sqrt(np.maximum(s2 / n_permutations - mean**2, 0.0))
    return PermutationResult(
        r=r,
        pvalues=np.where(tested, (1.0 + exceed) / (1.0 + n_permutations), np.nan),
        pvalues_pooled=pool.pvalues(),
        n_permutations=int(n_permutations),
        null_mean=mean,
        null_sd=sd,
        null_max=null_max,
        null=null,
        tested=tested,
    )
