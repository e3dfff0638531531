import numpy as np
import pytest

from b2m.models import correlation_matrix, identification_accuracy, identify, top_k_accuracy


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
