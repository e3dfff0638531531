"""Tests that share one pass of permutations across models: the paired sign-flip test of a
gain of one model over another, and the clip-permutation test of several models'
correlations at once (p-values against the pooled null of :mod:`b2m.stats._permutation`).
"""

from __future__ import annotations

import numpy as np

from b2m._utils._parallel import resolve_n_jobs, thread_map
from b2m._utils._validation import check_array
from b2m.stats._permutation import (
    PERMUTATION_TOL,
    _constant_columns,
    _permutations,
    _standardise,
    pooled_pvalues,
)

__all__ = ["correlation_permutation_test", "sign_flip_test"]


def sign_flip_test(
    predicted_full,
    predicted_reduced,
    observed,
    *,
    n_permutations: int = 1000,
    seed: int | None = 0,
    regions: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One-sided paired sign-flip test of an R² gain ``R²(full) − R²(reduced) > 0``.

    Per sample and target, ``d = (e_reduced² − e_full²) / SS_tot`` sums to the gain. Under
    the null that both models predict equally well, each sample's ``d`` is symmetric about
    zero; the null flips the signs of whole samples (the same flips for every target, so
    region means get a valid null too). Conservative when the full model only adds noise.

    Parameters
    ----------
    predicted_full, predicted_reduced, observed : arrays of shape (n_samples, n_targets)
    n_permutations : int, default 1000
    seed : int or None, default 0
    regions : array of shape (n_targets, n_regions), optional
        Averaging weights (columns sum to 1) for region-level tests.

    Returns
    -------
    gain : ndarray of shape (n_targets,)
    pvalues : ndarray of shape (n_targets,)
        Pooled-null p-values of the studentised gain; NaN for constant targets (left out of
        the pooled null).
    region_gain, region_pvalues : ndarray of shape (n_regions,) or None
        Mean gain per region and ``(1 + #{null ≥ gain}) / (1 + n_permutations)``.
    """
    full = check_array(predicted_full, "predicted_full", ndim=2, min_samples=2)
    obs = check_array(observed, "observed", shape=full.shape)
    red = check_array(predicted_reduced, "predicted_reduced", shape=full.shape)
    if not (isinstance(n_permutations, int | np.integer) and n_permutations > 0):
        raise ValueError(f"n_permutations must be a positive integer; received {n_permutations!r}.")
    ss_tot = np.square(obs - obs.mean(0)).sum(0)
    ok = obs.max(0) > obs.min(0)  # exact: a constant column's ss_tot is rounding noise
    d = (np.square(obs - red) - np.square(obs - full)) / np.where(ok, ss_tot, 1.0)
    d[:, ~ok] = 0.0
    gain = d.sum(0)
    # Studentised gain: its sign-flip null is ~N(0, 1) at every target, so nulls pool.
    scale = np.sqrt(np.square(d).sum(0))
    z = gain / np.where(scale > 0, scale, 1.0)
    rng = np.random.default_rng(seed)
    null_z = np.empty((n_permutations, d.shape[1]), np.float32)
    w = None
    if regions is not None:
        w = check_array(regions, "regions", ndim=2, shape=(full.shape[1], None))
        region_gain = gain @ w
        region_exceed = np.zeros(w.shape[1])
    for start in range(0, n_permutations, 100):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(min(100, n_permutations - start), len(d)))
        null = signs @ d
        null_z[start : start + len(signs)] = null / np.where(scale > 0, scale, 1.0)
        if w is not None:
            region_exceed += (null @ w >= region_gain - 1e-12).sum(0)
    pvalues = np.full(d.shape[1], np.nan)
    pvalues[ok] = pooled_pvalues(z[ok], null_z[:, ok])
    if w is None:
        return gain, pvalues, None, None
    return gain, pvalues, region_gain, (1.0 + region_exceed) / (1.0 + n_permutations)


def correlation_permutation_test(
    predictions,
    observed,
    *,
    n_permutations: int = 1000,
    seed: int | None = 0,
    regions: np.ndarray | None = None,
    batch_size: int = 100,
    chunk_size: int = 256,
    n_jobs: int | None = None,
) -> dict:
    """Permutation test of the Pearson r of several predictions of the same observations.

    The test of :func:`b2m.stats.permutation_test_correlation` (rows — whole clips —
    permuted, the same permutation for every target; the same permutations for the same
    ``seed``) with p-values against the null pooled over tested targets
    (:func:`b2m.stats.pooled_pvalues`) and, with ``regions``, region-mean r against the same
    permutations — for ``k`` predictions at once. The observed responses are gathered in
    permuted order once per permutation and block of targets and contracted with every
    prediction (``Σ_n ẑ[π(n)] z[n] = Σ_m ẑ[m] z[π⁻¹(m)]``), in blocks small enough to stay
    in cache (the single-prediction test gathers ``batch_size × n_samples × 1024`` values,
    hundreds of MB, per block). Memory: the null, ``4 · k · n_permutations · n_targets``
    bytes.

    Parameters
    ----------
    predictions : sequence of arrays of shape (n_samples, n_targets)
    observed : array of shape (n_samples, n_targets)
    n_permutations : int, default 1000
    seed : int or None, default 0
    regions : array of shape (n_targets, n_regions), optional
        Averaging weights (columns sum to 1) for region-level tests.
    batch_size : int, default 100
        Permutations drawn at once (as in :func:`b2m.stats.permutation_test_correlation`:
        the same ``seed`` and ``batch_size`` give the same permutations).
    chunk_size : int, default 256
        Targets processed at once.
    n_jobs : int, optional
        Threads over blocks of targets (the gathers, products and sorts release the GIL);
        default: the cores available, at most 8. The result does not depend on it.

    Returns
    -------
    dict
        ``"r"``: ndarray of shape (k, n_targets); ``"pvalues"``: pooled-null p-values,
        shape (k, n_targets), NaN where untested; ``"tested"``: bool, shape (k, n_targets)
        (neither the prediction nor the observation constant); ``"region_r"`` and
        ``"region_pvalues"``: shape (k, n_regions), ``(1 + #{null ≥ r}) / (1 +
        n_permutations)``, or None without ``regions``.
    """
    obs = check_array(observed, "observed", ndim=2, min_samples=3)
    if isinstance(predictions, np.ndarray) and predictions.ndim == 2:
        raise TypeError("predictions must be a sequence of 2-D arrays; received one 2-D array.")
    preds = [
        check_array(p, f"predictions[{i}]", shape=obs.shape) for i, p in enumerate(predictions)
    ]
    if not preds:
        raise ValueError("predictions must hold at least one array; received none.")
    for name, value in (
        ("n_permutations", n_permutations),
        ("batch_size", batch_size),
        ("chunk_size", chunk_size),
    ):
        if not (isinstance(value, int | np.integer) and value > 0):
            raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    n_jobs = resolve_n_jobs(n_jobs)
    n, n_targets = obs.shape
    w = None
    if regions is not None:
        w = check_array(regions, "regions", ndim=2, shape=(n_targets, None))
    zo = _standardise(obs).astype(np.float32)
    zp = np.empty((len(preds), n, n_targets), np.float32)
    r = np.empty((len(preds), n_targets))
    tested = np.empty((len(preds), n_targets), bool)
    constant_obs = _constant_columns(obs)
    for j, p in enumerate(preds):
        zp[j] = _standardise(p)
        r[j] = np.einsum("nt,nt->t", zp[j], zo, dtype=np.float64)
        tested[j] = ~(_constant_columns(p) | constant_obs)
    del preds
    rng = np.random.default_rng(seed)
    perms = np.vstack(
        [
            _permutations(rng, min(batch_size, n_permutations - start), None, n)
            for start in range(0, n_permutations, batch_size)
        ]
    )
    inverse = np.argsort(perms, axis=1)  # Σ_n ẑ[π(n)] z[n] = Σ_m ẑ[m] z[π⁻¹(m)]
    null = np.empty((len(r), n_permutations, n_targets), np.float32)
    sub = max(1, 4096 // max(1, min(chunk_size, n_targets)) // 4)  # ~2 MB gathered at once

    def null_block(c0: int) -> None:  # one block of targets: a disjoint slice of `null`
        c1 = min(c0 + chunk_size, n_targets)
        zo_c = np.ascontiguousarray(zo[:, c0:c1])
        zp_c = np.ascontiguousarray(zp[:, :, c0:c1])
        for b0 in range(0, n_permutations, sub):
            idx = inverse[b0 : b0 + sub]
            gathered = np.take(zo_c, idx.ravel(), axis=0).reshape(len(idx), n, c1 - c0)
            null[:, b0 : b0 + len(idx), c0:c1] = np.einsum("bnt,knt->kbt", gathered, zp_c)

    thread_map(null_block, range(0, n_targets, chunk_size), n_jobs)
    zp = None  # free the standardised predictions before the sorts
    out = {
        "r": r,
        "pvalues": np.stack(
            thread_map(
                lambda j: pooled_pvalues(r[j], null[j], tested=tested[j]), range(len(r)), n_jobs
            )
        ),
        "tested": tested,
        "region_r": None,
        "region_pvalues": None,
    }
    if w is not None:
        region_r = r @ w
        w32 = w.astype(np.float32)
        exceed = np.stack(
            [(null[j] @ w32 >= region_r[j] - PERMUTATION_TOL).sum(0) for j in range(len(r))]
        )
        out["region_r"] = region_r
        out["region_pvalues"] = (1.0 + exceed) / (1.0 + n_permutations)
    return out
