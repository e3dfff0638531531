import numpy as np
import pytest

from b2m.models import correlation_matrix, identification_accuracy, identify, top_k_accuracy
from b2m.models._identification import identification_chance


def test_perfect_and_reversed():
    rng = np.random.default_rng(0)
    true = rng.standard_normal((60, 16))
    np.testing.assert_allclose(identification_accuracy(true, true), 1.0)
    res = identify(true, true)
    assert res.top_k(1) == 1.0 and res.mean_accuracy == 1.0
    np.testing.assert_allclose(identification_accuracy(-true, true), 0.0)


def test_definition_by_hand():
    true = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]])
    decoded = np.array([[1.0, 0.9, 0, 0], [1.0, 0.2, 0, 0], [0, 0, 1.0, 0.1]])
    c = correlation_matrix(decoded, true)
    want = [np.mean([c[i, i] > c[i, j] for j in range(3) if j != i]) for i in range(3)]
    np.testing.assert_allclose(identification_accuracy(decoded, true), want)
    assert want[1] < 1.0  # clip 1 is closer to clip 0


def test_random_is_chance():
    rng = np.random.default_rng(1)
    acc = [
        identification_accuracy(rng.standard_normal((60, 32)), rng.standard_normal((60, 32))).mean()
        for _ in range(50)
    ]
    assert abs(np.mean(acc) - 0.5) < 0.02


def test_top_k():
    rng = np.random.default_rng(2)
    lib = rng.standard_normal((100, 8))
    q = lib[[3, 7]] + 0.01 * rng.standard_normal((2, 8))
    assert top_k_accuracy(q, lib, [3, 7], k=(1, 5)) == {1: 1.0, 5: 1.0}
    assert top_k_accuracy(q, lib, [7, 3], k=1) == {1: 0.0}


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        identification_accuracy(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="decoded must be finite"):
        identification_accuracy(np.full((5, 3), np.nan), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2 clips"):
        identification_accuracy(np.zeros((1, 3)), np.zeros((1, 3)))


def test_ties_are_broken_at_random():
    # Three candidates share one embedding (like same-genre clips in the one-hot space).
    true = np.array([[1.0, 0, 0], [1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    decoded = true + 0.01 * np.array([[0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 0], [0, 1, 0]])
    res = identify(decoded, true)
    np.testing.assert_array_equal(res.ties, [2, 2, 2, 0, 0])
    assert res.top_k(1) == pytest.approx((3 * (1 / 3) + 2) / 5)
    assert res.top_k(3) == 1.0
    assert top_k_accuracy(decoded, true, np.arange(5), k=1)[1] == pytest.approx(res.top_k(1))
    # Tied clips count as failures in identification accuracy (strictly less correlated).
    np.testing.assert_allclose(res.accuracy[:3], 2 / 4)


# -- chance level where true embeddings tie ---------------------------------------------


def _monte_carlo_chance(true, n_draws, seed):
    """Mean identification accuracy of decoded vectors unrelated to the clips (N(0, 1))."""
    rng = np.random.default_rng(seed)
    acc = [identification_accuracy(rng.standard_normal(true.shape), true) for _ in range(n_draws)]
    return np.mean(acc, 0)


def test_chance_with_genre_ties_matches_monte_carlo():
    # The study's test set in the genre one-hot space: 60 clips, 10 genres of 6 each. A
    # clip's 5 genre-mates always tie with it (never strictly less correlated), so chance is
    # (59 - 5) / (2 * 59) ≈ 0.458, not 0.5.
    true = np.repeat(np.eye(10), 6, axis=0)
    chance = identification_chance(true)
    assert chance == pytest.approx(54 / 118)
    np.testing.assert_allclose(identification_chance(true, per_clip=True), 54 / 118)
    assert _monte_carlo_chance(true, 400, seed=0).mean() == pytest.approx(chance, abs=0.005)
    # identify() reports it with the result
    rng = np.random.default_rng(1)
    assert identify(rng.standard_normal(true.shape), true).chance == pytest.approx(chance)


def test_chance_per_clip_with_mixed_ties_matches_monte_carlo():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((12, 8))
    # clips 0-2 share one embedding, clips 3-4 another; clips 10 and 11 are constant (their
    # correlation with anything is 0: they tie with each other)
    true = base.copy()
    true[1], true[2] = true[0], true[0]
    true[4] = true[3]
    true[10] = 3.0
    true[11] = -1.0
    per_clip = identification_chance(true, per_clip=True)
    n = len(true)
    ties = np.array([2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_allclose(per_clip, (n - 1 - ties) / (2 * (n - 1)))
    np.testing.assert_allclose(_monte_carlo_chance(true, 3000, seed=3), per_clip, atol=0.02)
    # continuous embeddings without ties: exactly 0.5
    assert identification_chance(rng.standard_normal((20, 5))) == 0.5


def test_chance_bad_input():
    with pytest.raises(ValueError, match="at least 2 clips"):
        identification_chance(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="true must be a 2-D array"):
        identification_chance(np.zeros(3))


def test_identification_on_raw_embeddings():
    # Correlation across dimensions depends on the units: z-scoring the dimensions with
    # training statistics changes identification; `scaler` maps both back to raw units.
    rng = np.random.default_rng(4)
    raw_true = rng.standard_normal((30, 6)) * [100.0, 1, 1, 1, 1, 1] + 5.0
    raw_decoded = raw_true + rng.standard_normal((30, 6)) * 2.0
    mean, scale = raw_true.mean(0), raw_true.std(0)

    class Scaler:
        def inverse_transform(self, x):
            return x * scale + mean

    z_true, z_decoded = (raw_true - mean) / scale, (raw_decoded - mean) / scale
    standardised = identify(z_decoded, z_true)
    raw = identify(z_decoded, z_true, scaler=Scaler())
    np.testing.assert_allclose(raw.accuracy, identification_accuracy(raw_decoded, raw_true))
    np.testing.assert_allclose(raw.correlations, correlation_matrix(raw_decoded, raw_true))
    assert not np.allclose(raw.accuracy, standardised.accuracy)
    with pytest.raises(TypeError, match="scaler must have an inverse_transform method"):
        identify(z_decoded, z_true, scaler=object())
