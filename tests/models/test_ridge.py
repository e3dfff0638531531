import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold, cross_val_predict

from b2m.models import DEFAULT_ALPHAS, RidgeCV, thin_svd

GROUPS = np.repeat(np.arange(12), 40)


def _data(n=480, p=60, t=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = X @ rng.standard_normal((p, t)) * 0.2 + rng.standard_normal((n, t)) * np.linspace(0.2, 8, t)
    return X, Y


@pytest.mark.parametrize("shape", [(50, 20), (20, 50)])
def test_thin_svd_reconstructs(shape):
    x = np.random.default_rng(1).standard_normal(shape)
    u, s, vt = thin_svd(x)
    np.testing.assert_allclose((u * s) @ vt, x, atol=1e-8)


def test_alpha_per_target_matches_sklearn_cv_choice():
    X, Y = _data()
    model = RidgeCV(dtype="float64").fit(X, Y, GROUPS)
    for j in (0, 6, 11):
        errs = [
            (
                (
                    Y[:, j]
                    - cross_val_predict(Ridge(alpha=a), X, Y[:, j], groups=GROUPS, cv=GroupKFold(5))
                )
                ** 2
            ).sum()
            for a in DEFAULT_ALPHAS
        ]
        assert model.alpha_[j] == DEFAULT_ALPHAS[int(np.argmin(errs))]
        ref = Ridge(alpha=model.alpha_[j]).fit(X, Y[:, j])
        np.testing.assert_allclose(model.coef_[:, j], ref.coef_, atol=1e-9)
        np.testing.assert_allclose(model.predict(X)[:, j], ref.predict(X), atol=1e-8)
    # Noisier targets get stronger regularisation.
    assert model.alpha_[-1] > model.alpha_[0]


def test_more_features_than_samples_float32():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((480, 2000)).astype(np.float32)
    Y = X[:, :5] + 0.5 * rng.standard_normal((480, 5)).astype(np.float32)
    model = RidgeCV().fit(X, Y, GROUPS)
    assert model.coef_.dtype == np.float32
    ref = Ridge(alpha=model.alpha_[2]).fit(X.astype(np.float64), Y[:, 2].astype(np.float64))
    np.testing.assert_allclose(model.coef_[:, 2], ref.coef_, atol=2e-4 * np.abs(ref.coef_).max())


def test_chunking_does_not_change_results():
    X, Y = _data(t=30)
    a = RidgeCV(chunk_size=7, dtype="float64").fit(X, Y, GROUPS)
    b = RidgeCV(chunk_size=1000, dtype="float64").fit(X, Y, GROUPS)
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    np.testing.assert_allclose(a.coef_, b.coef_)


def test_single_alpha_mode_and_1d_target():
    X, Y = _data()
    m = RidgeCV(alpha_per_target=False).fit(X, Y, GROUPS)
    assert len(set(m.alpha_)) == 1
    m1 = RidgeCV().fit(X, Y[:, 0], GROUPS)
    assert m1.predict(X).shape == (480,)


@pytest.mark.parametrize(
    ("kwargs", "call", "match"),
    [
        (
            {"alphas": [1.0, -1.0]},
            "fit",
            "alphas must be a non-empty 1-D array of positive numbers",
        ),
        ({"dtype": "float16"}, "fit", "dtype must be 'float32' or 'float64'; received 'float16'"),
        ({"n_splits": 1}, "fit", "n_splits must be an integer ≥ 2"),
    ],
)
def test_bad_parameters(kwargs, call, match):
    X, Y = _data()
    with pytest.raises(ValueError, match=match):
        RidgeCV(**kwargs).fit(X, Y, GROUPS)


def test_bad_inputs():
    X, Y = _data()
    with pytest.raises(ValueError, match="Inconsistent numbers of samples: X has 480, y has 479"):
        RidgeCV().fit(X, Y[:-1], GROUPS)
    Xn = X.copy()
    Xn[3, 4] = np.nan
    with pytest.raises(ValueError, match="X must be finite; received 1 NaN"):
        RidgeCV().fit(Xn, Y, GROUPS)
    with pytest.raises(ValueError, match="at least n_splits=5 distinct runs; received 3"):
        RidgeCV().fit(X, Y, np.repeat([0, 1, 2], 160))
    m = RidgeCV().fit(X, Y, GROUPS)
    with pytest.raises(ValueError, match="X must have 60 features"):
        m.predict(X[:, :10])
