"""Text vs music: variance partitioning, overlap statistics, and recovery of the planted truth."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.analysis._text_music import (
    TextMusicResult,
    compare_text_music,
    partition_encoding,
    planted_recovery,
)
from b2m.stats import (
    PERMUTATION_TOL,
    correlation_permutation_test,
    dice_coefficient,
    pooled_pvalues,
    sign_flip_test,
    variance_partition,
)

# -- variance_partition ---------------------------------------------------------------------


def test_partition_identities_without_correction():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-0.1, 0.5, (2, 50))
    u = np.maximum(a, b) + rng.uniform(-0.05, 0.2, 50)
    p = variance_partition(a, b, u, correction="none")
    np.testing.assert_allclose(p["unique_a"] + p["shared"], a)
    np.testing.assert_allclose(p["unique_b"] + p["shared"], b)
    np.testing.assert_allclose(p["unique_a"] + p["unique_b"] + p["shared"], u)


def test_clip_correction_sets_negative_parts_to_zero():
    # union below the better single model → negative unique part
    p = variance_partition([0.3], [0.2], [0.25], correction="clip")
    assert p["unique_b"][0] == 0.0
    assert p["unique_a"][0] == pytest.approx(0.05)
    assert p["shared"][0] == pytest.approx(0.25)


def test_project_correction_is_nonnegative_least_squares():
    from scipy.optimize import nnls

    rng = np.random.default_rng(1)
    a, b = rng.uniform(-0.2, 0.5, (2, 200))
    u = rng.uniform(-0.2, 0.6, 200)
    p = variance_partition(a, b, u, correction="project")
    got = np.stack([p["unique_a"], p["unique_b"], p["shared"]])
    assert (got >= -1e-12).all()
    m = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    for i in range(200):
        want, _ = nnls(m, np.array([a[i], b[i], u[i]]))
        np.testing.assert_allclose(got[:, i], want, atol=1e-9)


def test_project_correction_keeps_consistent_estimates():
    a, b, u = np.array([0.3, 0.0]), np.array([0.2, 0.1]), np.array([0.4, 0.1])
    raw = variance_partition(a, b, u, correction="none")
    proj = variance_partition(a, b, u, correction="project")
    for k in raw:
        np.testing.assert_allclose(proj[k], raw[k], atol=1e-12)


def test_partition_nan_and_bad_inputs():
    p = variance_partition([np.nan, 0.2], [0.1, 0.1], [0.2, 0.25])
    assert np.isnan(p["shared"][0]) and np.isfinite(p["shared"][1])
    with pytest.raises(ValueError, match="correction"):
        variance_partition([0.1], [0.1], [0.1], correction="renormalise")
    with pytest.raises(ValueError, match="r2_b"):
        variance_partition([0.1, 0.2], [0.1], [0.1, 0.2])


# -- dice, tests --------------------------------------------------------------------------


def test_dice_coefficient():
    a = np.array([1, 1, 0, 0], bool)
    b = np.array([1, 0, 1, 0], bool)
    assert dice_coefficient(a, b) == pytest.approx(0.5)
    assert dice_coefficient(a, a) == 1.0
    assert dice_coefficient(a, ~a) == 0.0
    assert np.isnan(dice_coefficient(np.zeros(3, bool), np.zeros(3, bool)))
    with pytest.raises(ValueError, match="same shape"):
        dice_coefficient(a, b[:3])
    with pytest.raises(TypeError, match="boolean"):
        dice_coefficient(a.astype(int), b)


def test_sign_flip_test_detects_a_real_gain_only():
    rng = np.random.default_rng(2)
    n, t = 60, 400
    signal = rng.standard_normal((n, t))
    observed = signal + rng.standard_normal((n, t))
    reduced = 0.1 * rng.standard_normal((n, t))
    better = signal  # a real gain everywhere
    noisier = reduced + 0.1 * rng.standard_normal((n, t))  # no gain
    gain, p, _, _ = sign_flip_test(better, reduced, observed, n_permutations=200)
    assert (gain > 0).all() and np.median(p) < 0.01
    _, p0, _, _ = sign_flip_test(noisier, reduced, observed, n_permutations=200)
    assert 0.3 < np.median(p0) < 0.8
    weights = np.full((t, 1), 1.0 / t)
    _, _, region_gain, region_p = sign_flip_test(
        better, reduced, observed, n_permutations=200, regions=weights
    )
    assert region_gain[0] == pytest.approx(gain.mean()) and region_p[0] < 0.01
    with pytest.raises(ValueError, match="predicted_reduced"):
        sign_flip_test(better, reduced[:, :3], observed)
    with pytest.raises(ValueError, match="n_permutations"):
        sign_flip_test(better, reduced, observed, n_permutations=0)


def test_constant_vertices_do_not_narrow_the_null():
    """A null dataset with half the vertices constant: the others keep the nominal level."""
    rng = np.random.default_rng(8)
    n_train, n_test, n_vertices = 120, 40, 2000
    music = rng.standard_normal((n_train + n_test, 4))
    text = rng.standard_normal((n_train + n_test, 3))
    responses = rng.standard_normal((n_train + n_test, n_vertices))
    constant = np.arange(n_vertices) % 2 == 0
    responses[:, constant] = 0.3
    runs = np.repeat(np.arange(12), n_train // 12)
    tr, te = slice(0, n_train), slice(n_train, None)
    result = partition_encoding(
        music[tr], text[tr], responses[tr], runs, music[te], text[te], responses[te],
        n_permutations=100, regions={}, evaluation="test",
    )  # fmt: skip
    np.testing.assert_array_equal(result.untested, constant)
    assert result.summary()["n_untested"] == constant.sum()
    for key in ("music", "text", "union", "unique_music", "unique_text"):
        assert np.isnan(result.pvalues[key][constant]).all(), key
    rates = [np.mean(result.pvalues[m][~constant] < 0.05) for m in ("music", "text", "union")]
    assert all(0.025 < rate < 0.075 for rate in rates), rates


# -- the batched permutation test against the straightforward one -------------------------


def _reference_correlation_test(predictions, observed, n_permutations, seed, regions):
    """The slow, straightforward path: one full permutation test per prediction (the
    implementation ``partition_encoding`` used before the batched test), null kept, pooled
    p-values by sorting, region means against the same permutations."""
    from b2m.stats import permutation_test_correlation

    out = []
    for pred in predictions:
        perm = permutation_test_correlation(
            pred, observed, n_permutations=n_permutations, seed=seed, keep_null=True
        )
        region_r = perm.r @ regions
        exceed = (perm.null @ regions.astype(np.float32) >= region_r - PERMUTATION_TOL).sum(0)
        p = pooled_pvalues(perm.r, perm.null, tested=perm.tested)
        out.append((perm.r, p, perm.tested, region_r, (1.0 + exceed) / (1.0 + n_permutations)))
    return out


@pytest.mark.parametrize("chunk_size", [7, 256])
def test_batched_correlation_test_matches_one_test_per_prediction(chunk_size):
    """Same permutations, same statistics: r and region p-values equal, pooled p-values
    equal up to a few null values that float32 rounding (another summation order) moves
    across a statistic."""
    rng = np.random.default_rng(12)
    n, t, n_perm = 45, 60, 130  # n_perm not a multiple of the permutation batch
    observed = rng.standard_normal((n, t))
    observed[:, 5] = 2.0  # constant response: untested everywhere
    signal = np.where(np.arange(t) < 20, 0.5, 0.0)  # regions 2 and 3: no signal
    predictions = [signal * observed + rng.standard_normal((n, t)) for _ in range(3)]
    predictions[1][:, 9] = -1.0  # constant prediction: untested for that model only
    regions = np.zeros((t, 3))
    for j, cols in enumerate((slice(0, 20), slice(20, 45), slice(45, 60))):
        regions[cols, j] = 1.0 / (cols.stop - cols.start)
    got = correlation_permutation_test(
        predictions, observed, n_permutations=n_perm, seed=3, regions=regions,
        chunk_size=chunk_size,
    )  # fmt: skip
    want = _reference_correlation_test(predictions, observed, n_perm, 3, regions)
    n_pooled = n_perm * t
    for j, (r, p, tested, region_r, region_p) in enumerate(want):
        np.testing.assert_allclose(got["r"][j], r, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(got["tested"][j], tested)
        np.testing.assert_array_equal(np.isnan(got["pvalues"][j]), ~tested)
        np.testing.assert_allclose(got["pvalues"][j], p, rtol=0, atol=3 / n_pooled)
        np.testing.assert_allclose(got["region_r"][j], region_r, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["region_pvalues"][j], region_p, rtol=0, atol=1.5 / n_perm)
    assert not got["tested"][1, 9] and got["tested"][0, 9] and not got["tested"][:, 5].any()
    # the comparison means something: the no-signal regions are not at the floor
    assert (got["region_pvalues"][:, 1:] > 3 / n_perm).all(), got["region_pvalues"]
    # a different seed draws other permutations
    other = correlation_permutation_test(predictions, observed, n_permutations=n_perm, seed=4)
    assert not np.array_equal(other["pvalues"], got["pvalues"], equal_nan=True)
    assert other["region_r"] is None and other["region_pvalues"] is None
    # Threads over blocks of targets change nothing, bit for bit.
    for n_jobs in (1, 3):
        again = correlation_permutation_test(
            predictions, observed, n_permutations=n_perm, seed=3, regions=regions,
            chunk_size=chunk_size, n_jobs=n_jobs,
        )  # fmt: skip
        for key in ("r", "pvalues", "tested", "region_r", "region_pvalues"):
            np.testing.assert_array_equal(again[key], got[key])
    with pytest.raises(ValueError, match="n_jobs must be a positive integer or None"):
        correlation_permutation_test(predictions, observed, n_jobs=0)


def test_batched_correlation_test_detects_signal_only():
    rng = np.random.default_rng(13)
    observed = rng.standard_normal((80, 200))
    good = observed + rng.standard_normal((80, 200))
    null = rng.standard_normal((80, 200))
    got = correlation_permutation_test([good, null], observed, n_permutations=200)
    assert (got["pvalues"][0] < 0.01).all()
    assert 0.3 < np.median(got["pvalues"][1]) < 0.7


def test_batched_correlation_test_bad_inputs():
    x = np.zeros((10, 4)) + np.arange(10)[:, None]
    with pytest.raises(ValueError, match=r"predictions\[1\]"):
        correlation_permutation_test([x, x[:, :3]], x)
    with pytest.raises(TypeError, match="sequence"):
        correlation_permutation_test(x, x)
    with pytest.raises(ValueError, match="at least one"):
        correlation_permutation_test([], x)
    with pytest.raises(ValueError, match="n_permutations"):
        correlation_permutation_test([x], x, n_permutations=0)
    with pytest.raises(ValueError, match="regions"):
        correlation_permutation_test([x], x, regions=np.ones((3, 1)))


def test_partition_encoding_matches_the_straightforward_path():
    """The whole text-vs-music result on small random data, against the slow reference:
    three encoders fitted one by one, one permutation test per model."""
    from b2m.models import Encoder, run_folds
    from b2m.stats import r2_score_columns

    rng = np.random.default_rng(14)
    n_train, n_test, n_vertices = 120, 30, 80
    latent = rng.standard_normal((n_train + n_test, 3))
    music = np.hstack([latent, rng.standard_normal((n_train + n_test, 3))])
    text = np.hstack([latent[:, :2] @ rng.standard_normal((2, 2)), rng.standard_normal((150, 2))])
    responses = latent @ rng.standard_normal((3, n_vertices)) + 2 * rng.standard_normal(
        (n_train + n_test, n_vertices)
    )
    runs = np.repeat(np.arange(12), n_train // 12)
    tr, te = slice(0, n_train), slice(n_train, None)
    regions = {"a": np.arange(n_vertices) < 30, "b": np.arange(n_vertices) >= 50}
    result = partition_encoding(
        music[tr], text[tr], responses[tr], runs, music[te], text[te], responses[te],
        n_permutations=150, regions=regions, seed=2,
    )  # fmt: skip

    def z(train, test):
        mean, sd = train.mean(0), train.std(0)
        return (train - mean) / sd, (test - mean) / sd

    zm, zt = z(music[tr], music[te]), z(text[tr], text[te])
    designs = {
        "music": zm,
        "text": zt,
        "union": tuple(np.hstack(p) for p in zip(zm, zt, strict=True)),
    }
    observed = np.vstack([responses[tr], responses[te]])
    preds = {}
    for model, (train, test) in designs.items():
        cv = np.empty((n_train, n_vertices))
        for fit_idx, held in run_folds(runs, 6):
            enc = Encoder(n_splits=5).fit(train[fit_idx], responses[tr][fit_idx], runs[fit_idx])
            cv[held] = enc.predict(train[held])
        test_pred = Encoder(n_splits=5).fit(train, responses[tr], runs).predict(test)
        preds[model] = np.vstack([cv, test_pred])
        np.testing.assert_allclose(
            result.r2[model], r2_score_columns(preds[model], observed), rtol=1e-6, atol=1e-7
        )
    weights = np.zeros((n_vertices, 2))
    for j, mask in enumerate(regions.values()):
        weights[mask, j] = 1.0 / mask.sum()
    want = _reference_correlation_test(list(preds.values()), observed, 150, 2, weights)
    for model, (r, p, _, region_r, region_p) in zip(preds, want, strict=True):
        np.testing.assert_allclose(result.r[model], r, atol=1e-6)
        np.testing.assert_allclose(result.pvalues[model], p, rtol=0, atol=3 / (150 * n_vertices))
        np.testing.assert_allclose(result.roi[f"mean r {model}"], region_r, atol=1e-6)
        np.testing.assert_allclose(result.roi[f"p {model}"], region_p, rtol=0, atol=1.5 / 150)
    for part, full, reduced in (
        ("unique_music", "union", "text"),
        ("unique_text", "union", "music"),
    ):
        _, p, _, region_p = sign_flip_test(
            preds[full], preds[reduced], observed, n_permutations=150, seed=2, regions=weights
        )
        np.testing.assert_allclose(result.pvalues[part], p, rtol=1e-6)
        np.testing.assert_allclose(result.roi[f"p {part}"], region_p)


def test_partition_encoding_gives_the_same_result_one_fit_or_several_at_a_time():
    """The 21 encoders fitted two or three at a time (one BLAS thread each) or one at a
    time: the same numbers, to the last bit; and n_jobs is checked."""
    rng = np.random.default_rng(15)
    music, text = rng.standard_normal((150, 5)), rng.standard_normal((150, 4))
    responses = music[:, :2] @ rng.standard_normal((2, 40)) + rng.standard_normal((150, 40))
    runs = np.repeat(np.arange(12), 10)
    args = (music[:120], text[:120], responses[:120], runs, music[120:], text[120:],
            responses[120:])  # fmt: skip
    one, several = (
        partition_encoding(*args, n_permutations=40, regions={}, n_jobs=n) for n in (1, 3)
    )
    for name in ("r2", "r", "pvalues", "partitions"):
        for key, value in getattr(one, name).items():
            np.testing.assert_array_equal(getattr(several, name)[key], value, err_msg=key)
    with pytest.raises(ValueError, match="n_jobs must be a positive integer or None; received 0"):
        partition_encoding(*args, n_permutations=10, regions={}, n_jobs=0)


# -- partition_encoding on synthetic data with known unique and shared variance -----------


@pytest.fixture(scope="module")
def synthetic():
    """Two spaces sharing a latent; vertices driven by unique music, unique text or shared."""
    rng = np.random.default_rng(4)
    n_train, n_test = 480, 240
    n = n_train + n_test
    shared, only_music, only_text = rng.standard_normal((3, n, 3))
    music = np.hstack([shared, only_music, rng.standard_normal((n, 4))])
    text = np.hstack([shared @ rng.standard_normal((3, 3)), only_text])
    latents = [
        z @ w
        for z, w in zip((shared, only_music, only_text), rng.standard_normal((3, 3)), strict=True)
    ]
    latents = [v / v.std() for v in latents]  # one unit-variance read-out per latent group
    drives = {  # vertex: weights on the (shared, music-only, text-only) read-outs
        "unique music": (0, 1, 0),
        "unique text": (0, 0, 1),
        "shared": (1, 0, 0),
        "mixed": (1, 1, 1),
        "silent": (0, 0, 0),
    }
    signal = np.stack(
        [sum(w * v for w, v in zip(ws, latents, strict=True)) for ws in drives.values()], 1
    )
    signal = signal / np.where(signal.std(0) > 0, signal.std(0), 1)
    noise = rng.standard_normal((n, len(drives)))
    responses = signal + noise  # explainable R² = 0.5 where driven
    runs = np.repeat(np.arange(12), n_train // 12)
    tr, te = slice(0, n_train), slice(n_train, n)
    result = partition_encoding(
        music[tr], text[tr], responses[tr], runs, music[te], text[te], responses[te],
        n_permutations=300, regions={},
    )  # fmt: skip
    return list(drives), result


def test_synthetic_partitions_match_the_truth(synthetic):
    names, result = synthetic
    assert isinstance(result, TextMusicResult)
    parts = {k: dict(zip(names, v, strict=True)) for k, v in result.partitions.items()}
    tol = 0.12
    assert parts["unique_music"]["unique music"] == pytest.approx(0.5, abs=tol)
    assert parts["unique_text"]["unique music"] == pytest.approx(0.0, abs=0.05)
    assert parts["shared"]["unique music"] == pytest.approx(0.0, abs=0.05)
    assert parts["unique_text"]["unique text"] == pytest.approx(0.5, abs=tol)
    assert parts["unique_music"]["unique text"] == pytest.approx(0.0, abs=0.05)
    assert parts["shared"]["shared"] == pytest.approx(0.5, abs=tol)
    assert parts["unique_music"]["shared"] == pytest.approx(0.0, abs=0.05)
    for k in ("unique_music", "unique_text", "shared"):
        assert parts[k]["mixed"] == pytest.approx(0.5 / 3, abs=0.08)
        assert parts[k]["silent"] == pytest.approx(0.0, abs=0.03)


def test_synthetic_significance(synthetic):
    names, result = synthetic
    sig = {k: dict(zip(names, v, strict=True)) for k, v in result.significant.items()}
    assert sig["unique_music"]["unique music"] and not sig["unique_music"]["unique text"]
    assert sig["unique_text"]["unique text"] and not sig["unique_text"]["unique music"]
    assert sig["shared"]["shared"] and not sig["shared"]["unique music"]
    assert not any(sig[k]["silent"] for k in sig)
    assert result.partition_map("unique_music", where="own")[names.index("unique text")] == 0.0
    assert result.partition_map("shared", where=None)[names.index("shared")] > 0.3
    assert result.roi.empty and result.regions.empty


def test_partition_encoding_bad_inputs():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((40, 2))
    runs = np.repeat(np.arange(5), 8)
    with pytest.raises(ValueError, match="text_train"):
        partition_encoding(x, x[:30], y, runs, x, x, y, regions={})
    with pytest.raises(ValueError, match="music_test"):
        partition_encoding(x, x, y, runs, x[:, :2], x, y, regions={})
    with pytest.raises(ValueError, match="responses_test"):
        partition_encoding(x, x, y, runs, x, x, y[:, :1], regions={})
    with pytest.raises(ValueError, match="correction"):
        partition_encoding(x, x, y, runs, x, x, y, regions={}, correction="zero")


# -- the simulated study: recovery of the planted overlap ---------------------------------


def test_compare_text_music_rejects_one_space_twice():
    # checked before the study is touched
    with pytest.raises(ValueError, match="music_space and text_space"):
        compare_text_music(None, "acoustic", "acoustic")


@pytest.fixture(scope="module")
def study_result(study):
    return compare_text_music(study, n_permutations=500)


@pytest.mark.slow
def test_planted_overlap_is_recovered(study_result):
    """The significant maps land on the planted regions; unique music dominates Heschl's gyrus.

    sub-001 at the default SNR (500 permutations), measured: region union Dice 0.80; vertex
    music Dice 0.57, union 0.47 (precision 0.58); the vertices where unique music is the
    largest partition against the planted acoustic component, Dice 0.70. Dominance of the
    *text-only* (STS) and *shared* (STG) components is not recovered by one subject (region
    Dice 0.4 and 0.0): the acoustic space also carries genre, instrument and mood, so the
    partition credits it with much of the shared and text signal. That is a property of
    variance partitioning at this SNR, documented in notebook 06; the partition arithmetic
    itself is checked on synthetic arrays above.
    """
    rec = study_result.recovery.set_index(["level", "map"])["dice"]
    assert rec["region", "union"] >= 0.7
    vertex = study_result.recovery.set_index(["level", "map"]).loc["vertex"]
    assert vertex.loc["music", "dice"] >= 0.5
    assert vertex.loc["union", "dice"] >= 0.4
    assert vertex.loc["union", "precision"] >= 0.5
    assert vertex.loc["dominant unique_music", "dice"] >= 0.6


@pytest.mark.slow
def test_result_tables_and_summary(study_result, study):
    res = study_result
    assert res.dice["music_vs_text"] > 0 and res.dice["music_vs_text_regions"] > 0.5
    summary = res.summary()
    assert summary["dice_planted_vertex_dominant_unique_music"] >= 0.6
    # In the planted acoustic region unique music explains far more than unique text
    # (sub-001 measured 0.038 vs 0.002 of the variance).
    assert (
        summary["mean_unique_music_in_planted_acoustic"]
        > 3 * summary["mean_unique_text_in_planted_acoustic"]
    )
    frame = res.to_frame()
    assert {"region", "mean unique_music", "significant union"} <= set(frame.columns)
    assert set(res.regions["map"]) >= {"unique_music", "unique_text", "shared", "R2 union"}
    for name in ("unique_music", "unique_text", "shared", "union"):
        shown = res.partition_map(name)
        assert shown.shape == (20484,) and (shown >= 0).all()
    with pytest.raises(ValueError, match="name"):
        res.partition_map("music only")
    with pytest.raises(ValueError, match="where"):
        res.partition_map("shared", where="planted")
    with pytest.raises(ValueError, match="gains"):
        planted_recovery(res, study.ground_truth["gains"][:2])
