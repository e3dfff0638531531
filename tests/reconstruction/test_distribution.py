"""Fréchet distances, per-clip neighbourhoods, bootstrap intervals and top-k identification."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.reconstruction import (
    Reconstruction,
    bootstrap_frechet,
    evaluate_reconstructions,
    frechet_distance,
    gaussian_frechet,
    local_frechet,
)
from b2m.reconstruction._distribution import (
    DistributionMetrics,
    FrechetSpace,
    gaussian_fit,
    top_k_rows,
)

# -- closed form --------------------------------------------------------------------------------


def test_identical_gaussians_are_at_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 6))
    cov = np.cov(a, rowvar=False)
    assert gaussian_frechet(a.mean(0), cov, a.mean(0), cov) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_mean_shift_and_scale_follow_the_closed_form():
    d = 5
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    eye = np.eye(d)
    # equal covariances: only the squared distance between the means remains
    assert gaussian_frechet(np.zeros(d), eye, shift, eye) == pytest.approx(shift @ shift)
    # isotropic scales a and b: d (a - b)^2
    assert gaussian_frechet(np.zeros(d), 4 * eye, np.zeros(d), 9 * eye) == pytest.approx(d * 1.0)
    # diagonal covariances: sum of (sqrt(s1) - sqrt(s2))^2
    s1, s2 = np.array([1.0, 2, 3, 4, 5]), np.array([5.0, 1, 1, 2, 9])
    expected = shift @ shift + ((np.sqrt(s1) - np.sqrt(s2)) ** 2).sum()
    got = gaussian_frechet(np.zeros(d), np.diag(s1), shift, np.diag(s2))
    assert got == pytest.approx(expected)
    # samples shifted by a vector: the same covariance, exactly |shift|^2, growing with it
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, d))
    distances = [frechet_distance(x, x + t * shift) for t in (0.5, 1.0, 2.0)]
    np.testing.assert_allclose(distances, [(t**2) * (shift @ shift) for t in (0.5, 1.0, 2.0)])


def test_large_samples_approach_the_population_value():
    rng = np.random.default_rng(2)
    d, shift = 4, np.array([1.0, 0.0, 0.0, 2.0])
    a = rng.normal(size=(20000, d))
    b = shift + 2.0 * rng.normal(size=(20000, d))
    # |shift|^2 + d (1 - 2)^2 = 5 + 4
    assert frechet_distance(a, b) == pytest.approx(9.0, rel=0.03)


def test_frechet_is_symmetric():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(40, 6)), 0.5 + 2 * rng.normal(size=(30, 6))
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    small_a, small_b = a[:5], b[:4]  # fewer samples than dimensions: shrinkage
    assert frechet_distance(small_a, small_b) == pytest.approx(
        frechet_distance(small_b, small_a), rel=1e-9
    )


def test_shrinkage_when_samples_do_not_exceed_dimensions():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 20))
    _, plain = gaussian_fit(x, shrinkage=False)
    _, shrunk = gaussian_fit(x)  # "auto": n <= d
    assert np.linalg.matrix_rank(plain) < 20
    assert np.linalg.eigvalsh(shrunk).min() > 0
    _, forced = gaussian_fit(rng.normal(size=(100, 3)), shrinkage=True)
    assert forced.shape == (3, 3)
    value = frechet_distance(x, x + 1.0)
    assert np.isfinite(value) and value == pytest.approx(20.0, rel=1e-6)


# -- bootstrap and per clip ---------------------------------------------------------------------


def test_bootstrap_interval_contains_the_point_estimate():
    rng = np.random.default_rng(5)
    stimuli = rng.normal(size=(60, 8))
    recs = 0.6 * stimuli + 0.8 * rng.normal(size=(60, 8)) + 0.3
    point, low, high = bootstrap_frechet(recs, stimuli, n_boot=300, seed=1)
    assert point == pytest.approx(frechet_distance(recs, stimuli))
    assert low < point < high
    # seeded
    assert bootstrap_frechet(recs, stimuli, n_boot=50, seed=2) == bootstrap_frechet(
        recs, stimuli, n_boot=50, seed=2
    )
    narrow = bootstrap_frechet(recs, stimuli, n_boot=300, seed=1, level=0.5)
    assert low < narrow[1] < narrow[2] < high
    assert np.isnan(bootstrap_frechet(recs, stimuli, n_boot=0)[1:]).all()
    # two samples of one distribution: resampling repeats clips, which inflates the distance
    # (a plain percentile interval lies entirely above the estimate here); the shifted one
    # is centred on it
    a, b = rng.normal(size=(60, 16)), rng.normal(size=(60, 16))
    point, low, high = bootstrap_frechet(a, b, n_boot=200)
    assert low < point < high
    # identical pairs: every resample is at 0
    assert bootstrap_frechet(stimuli, stimuli, n_boot=20) == pytest.approx((0, 0, 0), abs=1e-9)


def test_local_frechet_neighbourhoods():
    rng = np.random.default_rng(6)
    pool = rng.normal(size=(100, 3))
    targets = rng.normal(size=(5, 3))
    # a perfect reconstruction is at 0, a farther one is farther away
    assert local_frechet(targets, targets, pool, n_neighbours=8) == pytest.approx(0, abs=1e-9)
    near = local_frechet(targets + 0.1, targets, pool, n_neighbours=8)
    far = local_frechet(targets + 3.0, targets, pool, n_neighbours=8)
    assert (far > near).all() and (near > 0).all()
    # by hand: each point with its 8 nearest pool rows (a pool row equal to it counts once)
    a = np.vstack([pool[:1], targets[:1]])  # pool[0] is in the pool itself
    b = targets[:2]
    got = local_frechet(a, b, pool, n_neighbours=8)

    def hood(x):
        dist = np.linalg.norm(pool - x, axis=1)
        rows = [i for i in np.argsort(dist) if dist[i] > 0][:8]
        return gaussian_fit(np.vstack([x, pool[rows]]))

    expected = [gaussian_frechet(*hood(a[i]), *hood(b[i])) for i in range(2)]
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_frechet_space_projects_on_training_axes():
    rng = np.random.default_rng(7)
    train = rng.normal(size=(200, 10)) * np.arange(10, 0, -1)
    space = FrechetSpace(train, n_components=3)
    assert space.train_.shape == (200, 3) and space.n_components == 3
    assert 0 < space.explained_variance_ratio < 1
    # the kept axes are those of the largest variances (the first columns here)
    assert np.abs(space.components_[:, :3]).sum(1).min() > 0.9
    full = FrechetSpace(train, n_components=10)
    assert full.explained_variance_ratio == pytest.approx(1.0)
    x = rng.normal(size=(7, 10))
    np.testing.assert_allclose(
        np.linalg.norm(full.transform(x) - full.transform(train[:1]), axis=1),
        np.linalg.norm(x - train[:1], axis=1),
    )


# -- top-k --------------------------------------------------------------------------------------


def test_top_k_rows_against_a_brute_force_count():
    rng = np.random.default_rng(8)
    stimuli = rng.normal(size=(30, 12))
    target = rng.integers(30, size=40)
    emb = stimuli[target] + 4.0 * rng.normal(size=(40, 12))
    got = top_k_rows(emb, stimuli, target, (1, 5, 10))
    for i in range(40):
        corr = [np.corrcoef(emb[i], s)[0, 1] for s in stimuli]
        better = sum(c > corr[target[i]] for c in corr)  # stimuli ranked above the target
        for k in (1, 5, 10):
            assert got[k][i] == float(better < k), (i, k, better)
    assert 0 < got[1].mean() < got[5].mean() < got[10].mean() < 1
    assert top_k_rows(stimuli, stimuli, np.arange(30), 1)[1].tolist() == [1.0] * 30


# -- bad input ----------------------------------------------------------------------------------


def test_bad_input():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(10, 3)), rng.normal(size=(12, 3))
    nan = a.copy()
    nan[2, 1] = np.nan
    with pytest.raises(ValueError, match="a must be finite; received 1 NaN"):
        frechet_distance(nan, b)
    with pytest.raises(
        ValueError, match=r"a and b must have the same number of columns; .*3 and 4"
    ):
        frechet_distance(a, rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match=r"b needs at least 2 sample\(s\)"):
        frechet_distance(a, b[:1])
    with pytest.raises(ValueError, match="a must be a 2-D array"):
        frechet_distance(a[0], b)
    with pytest.raises(ValueError, match="shrinkage must be 'auto', True or False; received 'x'"):
        frechet_distance(a, b, shrinkage="x")
    with pytest.raises(ValueError, match=r"a and b must be paired .*received 10 and 12"):
        bootstrap_frechet(a, b)
    with pytest.raises(ValueError, match="n_boot must be an integer >= 0; received -1"):
        bootstrap_frechet(a, a, n_boot=-1)
    with pytest.raises(ValueError, match="level must be a number in"):
        bootstrap_frechet(a, a, level=1.5)
    with pytest.raises(ValueError, match=r"n_neighbours must be an integer in \[1, 12\)"):
        local_frechet(a, a, b, n_neighbours=12)
    with pytest.raises(ValueError, match="pool must have 3 columns"):
        local_frechet(a, a, rng.normal(size=(20, 2)))
    with pytest.raises(ValueError, match=r"cov_b must have shape \(3, 3\)"):
        gaussian_frechet(np.zeros(3), np.eye(3), np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match=r"n_components must be an integer in \[1, 3\]"):
        FrechetSpace(b, n_components=4)
    with pytest.raises(ValueError, match=r"k must be integers in \[1, 12\]; received 13"):
        top_k_rows(a, b, np.zeros(10, dtype=int), (1, 13))
    with pytest.raises(ValueError, match=r"target_index must be 10 integers in \[0, 12\)"):
        top_k_rows(a, b, np.full(10, 12))
    with pytest.raises(ValueError, match="n_components must be a positive integer; received 0"):
        DistributionMetrics(b, b, n_components=0)


# -- in the evaluation --------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluation_reports_distribution_metrics(study):
    test_ids = [str(c) for c in study.responses.test_ids]
    train_ids = [str(c) for c in study.responses.train_ids]
    rng = np.random.default_rng(0)
    random_sources = [train_ids[i] for i in rng.choice(len(train_ids), 60, replace=False)]
    recs = []
    for backend, sources in (("perfect", test_ids), ("random", random_sources)):
        for t, s in zip(test_ids, sources, strict=True):
            wave, sr = study.load_audio(s)
            recs.append(Reconstruction(t, backend, 0, wave, sr, f"clip {s}"))
    ev = evaluate_reconstructions(recs, study, "acoustic", n_chance=10, n_boot=50)
    frame = ev.to_frame().set_index("backend")
    new = ["top1", "top5", "top10", "frechet_clip", "frechet", "frechet_low", "frechet_high"]
    assert {*new, "frechet_components"} <= set(frame.columns)
    perfect, random = frame.loc["perfect"], frame.loc["random"]
    chance = frame.loc["random training clip"]
    assert perfect[["top1", "top5", "top10"]].tolist() == [1.0, 1.0, 1.0]
    assert perfect["frechet"] == pytest.approx(0, abs=1e-6)
    assert perfect["frechet_clip"] == pytest.approx(0, abs=1e-6)
    assert perfect["frechet_components"] == 16
    # random clips: top-k near k/60, far from their targets' neighbourhoods
    for row in (random, chance):
        assert row["top1"] < 0.1 and row["top5"] < 0.25 and row["top10"] < 0.35
        assert row["frechet_clip"] > 1.0
    assert random["frechet_low"] <= random["frechet"] <= random["frechet_high"]
    assert chance["frechet_low"] <= chance["frechet"] <= chance["frechet_high"]
    records = {r["backend"]: r for r in ev.to_records()}
    assert records["perfect"]["top5"] == 1.0 and "frechet" in records["random"]
    assert set(ev.clips.columns) >= {"top1", "top5", "top10", "frechet_clip"}
    with pytest.raises(ValueError, match="n_components must be a positive integer"):
        evaluate_reconstructions(recs[:2], study, n_components=0)
