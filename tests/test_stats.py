"""Permutation tests, FDR, noise ceilings and per-column scores on synthetic data."""

import time

import numpy as np
import pytest

from b2m.stats import (
    PERMUTATION_TOL,
    NoiseCeiling,
    PooledNull,
    fdr_bh,
    noise_ceiling,
    normalised_r,
    permutation_test_correlation,
    pooled_pvalues,
    r2_score_columns,
    split_half_reliability,
)


def _signal_and_noise(n_clips=60, n_targets=300, n_signal=100, strength=1.0, seed=0):
    rng = np.random.default_rng(seed)
    observed = rng.standard_normal((n_clips, n_targets))
    predicted = rng.standard_normal((n_clips, n_targets))
    predicted[:, :n_signal] += strength * observed[:, :n_signal]
    return predicted, observed


# -- FDR ------------------------------------------------------------------------------


def test_fdr_bh_matches_hand_computed_example():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.005])
    rejected, q = fdr_bh(p, alpha=0.05)
    # sorted: .005 .01 .03 .04 .2 → ×5/rank: .025 .025 .05 .05 .2 (monotone from the top)
    np.testing.assert_allclose(q, [0.025, 0.05, 0.05, 0.2, 0.025])
    np.testing.assert_array_equal(rejected, [True, True, True, False, True])


def test_fdr_bh_keeps_shape_and_ignores_nan():
    p = np.array([[0.001, np.nan], [0.5, 0.002]])
    rejected, q = fdr_bh(p)
    assert rejected.shape == q.shape == (2, 2)
    assert np.isnan(q[0, 1]) and not rejected[0, 1]
    # Three tests (NaN does not count): 0.001 * 3 / 1 = 0.003
    assert q[0, 0] == pytest.approx(0.003)
    assert q.max() <= 1 or np.isnan(q).any()


def test_fdr_bh_is_monotone_and_bounded():
    p = np.random.default_rng(0).uniform(size=500) ** 3
    rejected, q = fdr_bh(p, alpha=0.1)
    order = np.argsort(p)
    assert np.all(np.diff(q[order]) >= -1e-12)
    assert np.all((q >= p) & (q <= 1))
    np.testing.assert_array_equal(rejected, q <= 0.1)


@pytest.mark.parametrize(
    ("pvalues", "alpha", "match"),
    [
        ([0.1, 1.2], 0.05, "pvalues must lie in \\[0, 1\\]"),
        ([-0.1, 0.5], 0.05, "pvalues must lie in \\[0, 1\\]"),
        ([0.1, np.inf], 0.05, "infinite"),
        ([0.1, 0.2], 1.5, "alpha must be a number in \\(0, 1\\)"),
    ],
)
def test_fdr_bh_rejects_bad_input(pvalues, alpha, match):
    with pytest.raises(ValueError, match=match):
        fdr_bh(pvalues, alpha)


# -- permutation test -----------------------------------------------------------------


def test_permutation_test_finds_signal_and_controls_fdr():
    predicted, observed = _signal_and_noise()
    res = permutation_test_correlation(predicted, observed, n_permutations=500, seed=1)
    expected_r = [np.corrcoef(predicted[:, j], observed[:, j])[0, 1] for j in range(300)]
    np.testing.assert_allclose(res.r, expected_r, atol=1e-5)
    assert res.pvalues.shape == res.pvalues_pooled.shape == (300,)
    assert res.pvalues.min() >= 1 / 501
    assert res.null is None and res.null_max.shape == (500,)
    rejected, _ = fdr_bh(res.pvalues_pooled)
    assert rejected[:100].mean() > 0.9
    assert rejected[100:].mean() < 0.05
    # Per-target nulls are centred on 0 with sd ~ 1 / sqrt(n - 1).
    assert abs(res.null_mean.mean()) < 0.01
    assert res.null_sd.mean() == pytest.approx(1 / np.sqrt(59), rel=0.05)


def test_permutation_pvalues_follow_the_formula():
    predicted, observed = _signal_and_noise(n_targets=20, n_signal=5)
    res = permutation_test_correlation(
        predicted, observed, n_permutations=200, seed=3, keep_null=True, batch_size=64
    )
    assert res.null.shape == (200, 20)
    expected = (1 + (res.null >= res.r - PERMUTATION_TOL).sum(0)) / 201
    np.testing.assert_allclose(res.pvalues, expected)
    np.testing.assert_allclose(res.null_max, res.null.max(1), atol=1e-6)
    np.testing.assert_allclose(res.null_mean, res.null.mean(0), atol=1e-6)
    # the pooled p-values are exact: the same count over every target's null
    pooled = (1 + (res.null.ravel()[None, :] >= res.r[:, None] - PERMUTATION_TOL).sum(1)) / (
        1 + 200 * 20
    )
    np.testing.assert_allclose(res.pvalues_pooled, pooled, rtol=1e-12)
    assert set(res.to_frame().columns) >= {"r", "p", "p_pooled"}
    assert res.pvalues_fwer.shape == (20,)


def test_permutation_test_is_uniform_under_the_null():
    rng = np.random.default_rng(5)
    predicted = rng.standard_normal((60, 4000))
    observed = rng.standard_normal((60, 4000))
    res = permutation_test_correlation(predicted, observed, n_permutations=200, seed=0)
    for p in (res.pvalues, res.pvalues_pooled):
        counts = np.histogram(p, bins=10, range=(0, 1))[0]
        assert counts.min() > 300 and counts.max() < 500
        assert fdr_bh(p)[0].sum() <= 2


def test_constant_targets_are_left_out_of_the_pooled_null():
    # A null dataset where half the targets never vary (e.g. vertices outside the brain):
    # their r ≡ 0 under every permutation must not enter the pooled null, which would narrow
    # it and double the false-positive rate of the others (0.045 → 0.097 at p < .05).
    rng = np.random.default_rng(11)
    n_clips, n_targets = 60, 4000
    predicted = rng.standard_normal((n_clips, n_targets))
    observed = rng.standard_normal((n_clips, n_targets))
    constant = np.zeros(n_targets, bool)
    constant[::2] = True
    observed[:, constant] = 0.1  # constant, with a value whose mean has rounding error
    res = permutation_test_correlation(predicted, observed, n_permutations=200, seed=2)
    np.testing.assert_array_equal(res.tested, ~constant)
    assert res.n_untested == constant.sum()
    assert np.isnan(res.pvalues_pooled[constant]).all() and np.isnan(res.pvalues[constant]).all()
    assert np.isnan(res.pvalues_fwer[constant]).all()
    for p in (res.pvalues_pooled[~constant], res.pvalues[~constant]):
        assert 0.035 < np.mean(p < 0.05) < 0.065
    # Constant predictions are untested too; a fully constant problem tests nothing.
    flat = permutation_test_correlation(np.ones((10, 3)), observed[:10, :3], n_permutations=20)
    assert flat.n_untested == 3 and np.isnan(flat.pvalues_pooled).all()
    assert set(res.to_frame().columns) >= {"tested"}


def test_permutation_test_is_reproducible_and_seeded():
    predicted, observed = _signal_and_noise(n_targets=30)
    a = permutation_test_correlation(predicted, observed, n_permutations=100, seed=7)
    b = permutation_test_correlation(predicted, observed, n_permutations=100, seed=7)
    c = permutation_test_correlation(predicted, observed, n_permutations=100, seed=8)
    np.testing.assert_array_equal(a.pvalues, b.pvalues)
    assert not np.array_equal(a.null_max, c.null_max)


def test_permutation_within_groups_only_exchanges_inside_groups():
    # Observed = group means only: within-group shuffles cannot break the correlation.
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(6), 10)
    means = rng.standard_normal(6)
    observed = np.repeat(means, 10)[:, None] + np.zeros((60, 3))
    predicted = observed + 0.01 * rng.standard_normal((60, 3))
    free = permutation_test_correlation(predicted, observed, n_permutations=200)
    blocked = permutation_test_correlation(predicted, observed, n_permutations=200, groups=groups)
    assert np.all(free.pvalues < 0.05)
    assert np.all(blocked.pvalues > 0.5)  # the null reproduces r: no evidence beyond genre


def test_permutation_test_is_fast_on_a_cortex():
    predicted, observed = _signal_and_noise(n_targets=20484, n_signal=1000)
    start = time.perf_counter()
    permutation_test_correlation(
        predicted.astype(np.float32), observed.astype(np.float32), n_permutations=1000
    )
    assert time.perf_counter() - start < 15  # ~1 s on 2 idle cores


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"predicted": np.zeros((60, 5)), "observed": np.zeros((60, 4))}, "same shape"),
        ({"predicted": np.full((60, 5), np.nan)}, "predicted must be finite"),
        ({"predicted": np.zeros(60)}, "predicted must be a 2-D array"),
        ({"n_permutations": 0}, "n_permutations must be a positive integer"),
        ({"batch_size": -1}, "batch_size must be a positive integer"),
        ({"groups": np.zeros(59)}, "groups must have shape \\(60,\\)"),
    ],
)
def test_permutation_test_rejects_bad_input(kwargs, match):
    args = {"predicted": np.ones((60, 5)), "observed": np.ones((60, 5)), **kwargs}
    with pytest.raises(ValueError, match=match):
        permutation_test_correlation(args.pop("predicted"), args.pop("observed"), **args)


# -- noise ceiling --------------------------------------------------------------------


def test_noise_ceiling_recovers_known_signal_and_noise():
    rng = np.random.default_rng(0)
    n_rep, n_clips, n_targets = 4, 2000, 50
    signal = rng.standard_normal((n_clips, n_targets))  # variance 1
    repeats = signal + np.sqrt(3.0) * rng.standard_normal((n_rep, n_clips, n_targets))
    nc = noise_ceiling(repeats)
    assert isinstance(nc, NoiseCeiling) and nc.n_repeats == 4
    assert nc.signal_power.mean() == pytest.approx(1.0, abs=0.05)
    assert nc.noise_power.mean() == pytest.approx(3.0, abs=0.1)
    # Averaged response: variance 1 + 3/4 of which 1 is signal.
    assert nc.explainable_variance.mean() == pytest.approx(1 / 1.75, abs=0.03)
    assert nc.max_r.mean() == pytest.approx(np.sqrt(1 / 1.75), abs=0.03)
    # max_r is what the noise-free signal itself achieves against the repeat average.
    mean = repeats.mean(0)
    perfect = np.array([np.corrcoef(signal[:, j], mean[:, j])[0, 1] for j in range(n_targets)])
    assert np.abs(perfect - nc.max_r).mean() < 0.03
    assert set(nc.to_frame().columns) == {
        "signal_power",
        "noise_power",
        "explainable_variance",
        "max_r",
    }


def test_noise_ceiling_of_pure_noise_is_low_and_of_no_noise_is_one():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((4, 60, 500))
    assert noise_ceiling(noise).explainable_variance.mean() < 0.1
    clean = np.broadcast_to(rng.standard_normal((60, 5)), (3, 60, 5))
    np.testing.assert_allclose(noise_ceiling(clean).max_r, 1.0)
    flat = noise_ceiling(np.ones((2, 10, 3)))
    np.testing.assert_array_equal(flat.max_r, 0.0)


@pytest.mark.parametrize(
    ("repeats", "match"),
    [
        (np.zeros((60, 10)), "test_repeats must be a 3-D array"),
        (np.zeros((1, 60, 10)), "at least 2 repeats"),
        (np.zeros((4, 2, 10)), "at least 3 clips"),
        (np.full((4, 60, 10), np.nan), "test_repeats must be finite"),
    ],
)
def test_noise_ceiling_rejects_bad_input(repeats, match):
    with pytest.raises(ValueError, match=match):
        noise_ceiling(repeats)


def test_split_half_reliability_recovers_a_known_reliability():
    rng = np.random.default_rng(2)
    n_clips = 3000
    # per target: signal variance 1, noise variance per repeat 0 (perfect), 3, 12, or pure noise
    noise_sd = np.array([0.0, np.sqrt(3.0), np.sqrt(12.0)])
    signal = rng.standard_normal((n_clips, 3))
    repeats = signal + noise_sd * rng.standard_normal((4, n_clips, 3))
    pure = rng.standard_normal((4, n_clips, 1))
    rel = split_half_reliability(np.concatenate([repeats, pure], axis=2))
    # reliability of the mean of 4 repeats: 1 / (1 + noise_var / 4)
    np.testing.assert_allclose(rel, [1.0, 1 / 1.75, 1 / 4.0, 0.0], atol=0.03)
    # the same quantity as the ceiling's explainable variance, by another route
    nc = noise_ceiling(repeats)
    np.testing.assert_allclose(rel[:3], nc.explainable_variance, atol=0.03)
    # two repeats: the plain correlation, stepped up once; constant targets give 0
    two = repeats[:2, :, 1:2]
    r = np.corrcoef(two[0, :, 0], two[1, :, 0])[0, 1]
    np.testing.assert_allclose(split_half_reliability(two), [2 * r / (1 + r)], rtol=1e-10)
    np.testing.assert_array_equal(split_half_reliability(np.ones((4, 10, 2))), 0.0)


def test_split_half_reliability_averages_every_split():
    # repeats 0 and 1 share one per-clip component, repeats 2 and 3 another: the
    # {0,1} vs {2,3} split sees r ≈ 0, the {0,2} vs {1,3} and {0,3} vs {1,2} splits r ≈ 1.
    rng = np.random.default_rng(3)
    first, second = rng.standard_normal((2, 2000, 1))
    repeats = 0.05 * rng.standard_normal((4, 2000, 1))
    repeats[[0, 1]] += first
    repeats[[2, 3]] += second
    # mean r ≈ 2/3, stepped up: 2 (2/3) / (5/3) = 0.8 (one split alone would give 0 or 1)
    assert split_half_reliability(repeats)[0] == pytest.approx(0.8, abs=0.02)


@pytest.mark.parametrize(
    ("repeats", "match"),
    [
        (np.zeros((60, 10)), "test_repeats must be a 3-D array"),
        (np.zeros((3, 60, 10)), r"even number \(>= 2\) of repeats.*received shape \(3, 60, 10\)"),
        (np.zeros((4, 2, 10)), "at least 3 clips"),
        (np.full((4, 60, 10), np.nan), "test_repeats must be finite"),
    ],
)
def test_split_half_reliability_rejects_bad_input(repeats, match):
    with pytest.raises(ValueError, match=match):
        split_half_reliability(repeats)


def test_normalised_r_divides_and_masks_low_ceilings():
    r = np.array([0.2, 0.3, 0.1])
    out = normalised_r(r, np.array([0.4, 0.05, 0.5]))
    np.testing.assert_allclose(out, [0.5, np.nan, 0.2])
    nc = noise_ceiling(np.random.default_rng(0).standard_normal((4, 30, 3)))
    assert normalised_r(r, nc, min_ceiling=1e-9).shape == (3,)
    with pytest.raises(ValueError, match="ceiling must have shape"):
        normalised_r(r, np.ones(4))
    with pytest.raises(ValueError, match="min_ceiling must be a positive number"):
        normalised_r(r, np.ones(3), min_ceiling=0)


# -- R² -------------------------------------------------------------------------------


def test_r2_score_columns_matches_definition():
    predicted, observed = _signal_and_noise(n_targets=10)
    r2 = r2_score_columns(predicted, observed)
    ss_res = ((observed - predicted) ** 2).sum(0)
    ss_tot = ((observed - observed.mean(0)) ** 2).sum(0)
    np.testing.assert_allclose(r2, 1 - ss_res / ss_tot)
    np.testing.assert_allclose(r2_score_columns(observed, observed), 1.0)
    constant = r2_score_columns(np.zeros((5, 2)), np.ones((5, 2)))
    assert np.isnan(constant).all()
    with pytest.raises(ValueError, match="same shape"):
        r2_score_columns(np.zeros((5, 2)), np.zeros((5, 3)))


# -- the pooled null (every permutation test that pools over targets uses it) -------------


def test_pooled_pvalues_are_uniform_under_the_null():
    rng = np.random.default_rng(3)
    null = rng.standard_normal((500, 300))
    p = pooled_pvalues(rng.standard_normal(300), null)
    assert 0.4 < p.mean() < 0.6 and p.min() > 0
    assert pooled_pvalues(np.array([10.0]), null[:, :1])[0] == pytest.approx(1 / 501)
    with pytest.raises(ValueError, match="null"):
        pooled_pvalues(np.zeros(3), null)


def test_pooled_pvalues_leave_untested_targets_out():
    rng = np.random.default_rng(6)
    null = rng.standard_normal((200, 400)).astype(np.float32)
    null[:, 200:] = 0.0  # targets whose statistic is 0 under every permutation (constant)
    stat = rng.standard_normal(400)
    tested = np.arange(400) < 200
    p = pooled_pvalues(stat, null, tested=tested)
    assert np.isnan(p[~tested]).all()
    np.testing.assert_allclose(p[tested], pooled_pvalues(stat[:200], null[:, :200]))
    assert np.isnan(pooled_pvalues(np.array([np.nan, 1.0]), null[:, :2]))[0]
    with pytest.raises(ValueError, match="tested"):
        pooled_pvalues(stat, null, tested=tested[:3])


def _brute_force_pooled(stat, null, tested):
    """(1 + #{pooled ≥ statistic − tol}) / (1 + size), every pair compared."""
    pooled = null[:, tested].astype(np.float64).ravel()
    thr = stat[tested].astype(np.float64) - PERMUTATION_TOL
    out = np.full(stat.shape, np.nan)
    out[tested] = (1.0 + (pooled[None, :] >= thr[:, None]).sum(1)) / (1.0 + pooled.size)
    return out


def test_pooled_pvalues_equal_a_brute_force_count():
    rng = np.random.default_rng(11)
    null = rng.standard_normal((50, 40)).astype(np.float32)
    stat = rng.standard_normal(40)
    stat[3] = null[7, 5]  # a tie with a pooled value counts as reaching it
    tested = rng.random(40) < 0.8
    np.testing.assert_array_equal(
        pooled_pvalues(stat, null, tested=tested), _brute_force_pooled(stat, null, tested)
    )


def test_float32_null_counts_as_exactly_as_float64():
    """A float32 null is sorted as float32; thresholds between, on and beside float32 values
    must count exactly as the float64 comparison does."""
    rng = np.random.default_rng(13)
    null = rng.standard_normal((60, 30)).astype(np.float32)
    picked = null[rng.integers(0, 60, 30), np.arange(30)].astype(np.float64)
    spacing = np.spacing(picked.astype(np.float32)).astype(np.float64)
    # threshold = stat − TOL: exactly on a float32 value, a quarter-spacing above or below it,
    # and beyond float32's range
    stat = picked + PERMUTATION_TOL
    stat[10:20] += spacing[10:20] / 4
    stat[20:29] -= spacing[20:29] / 4
    stat[29] = 1e39
    got = pooled_pvalues(stat, null)
    np.testing.assert_array_equal(got, pooled_pvalues(stat, null.astype(np.float64)))
    np.testing.assert_array_equal(got, _brute_force_pooled(stat, null, np.ones(30, bool)))


def test_pooled_null_keeps_one_float32_copy_of_the_batch():
    import tracemalloc

    null = np.random.default_rng(14).standard_normal((200, 5000)).astype(np.float32)
    pool = PooledNull(np.zeros(5000))
    tracemalloc.start()
    try:
        pool.add(null)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one sorted copy (null.nbytes); a float64 copy, then a sorted copy and a cast, was 6×
    assert peak < 1.5 * null.nbytes, peak / null.nbytes


def test_pooled_null_in_batches_equals_all_at_once():
    rng = np.random.default_rng(12)
    null = rng.standard_normal((90, 25)).astype(np.float32)
    stat = rng.standard_normal(25)
    stat[[2, 9]] = stat[4]  # equal statistics share one count
    pool = PooledNull(stat)
    for start in range(0, 90, 40):
        pool.add(null[start : start + 40])
    assert pool.size == 90 * 25
    np.testing.assert_array_equal(pool.pvalues(), pooled_pvalues(stat, null))
    assert pool.pvalues()[2] == pool.pvalues()[4]
    with pytest.raises(ValueError, match="null"):
        pool.add(null[:, :3])
