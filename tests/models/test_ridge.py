import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.linear_model import RidgeCV as SkRidgeCV
from sklearn.model_selection import GroupKFold, cross_val_predict

from b2m.models import DEFAULT_ALPHAS, RidgeCV, thin_svd
from b2m.models._ridge import run_folds

GROUPS = np.repeat(np.arange(12), 40)
ALPHAS = np.logspace(-2, 6, 20)


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
    np.testing.assert_allclose(u.T @ u, np.eye(s.size), atol=1e-8)


def test_run_folds_never_split_a_run():
    folds = run_folds(GROUPS, 5)
    assert len(folds) == 5
    seen = np.concatenate([val for _, val in folds])
    np.testing.assert_array_equal(np.sort(seen), np.arange(GROUPS.size))
    for train, val in folds:
        assert not set(GROUPS[train]) & set(GROUPS[val])


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    ("p", "rank_tol", "kind"),
    [(60, None, "factored"), (900, None, "direct"), (900, 1e-12, "alphas")],
)
def test_fold_operator_forms(fit_intercept, p, rank_tol, kind):
    # Every form of a fold's operator gives the validation residuals of ridge and of the mean.
    from b2m.models._ridge import _fold_operator

    rng = np.random.default_rng(8)
    train, val = run_folds(GROUPS, 5)[0]
    y = rng.standard_normal(GROUPS.size)
    X = rng.standard_normal((GROUPS.size, p))
    got_kind, mats = _fold_operator(X, train, val, ALPHAS, fit_intercept, rank_tol)
    assert got_kind == kind
    if kind == "alphas":
        g, q = mats
        k = q.shape[1] - 1
        z = g @ y[train]
        z = np.concatenate([z[: k * len(val)], y[val] - z[-1]])
        resid = (q @ z.reshape(k + 1, -1)).ravel()
    else:
        resid = np.linalg.multi_dot([*mats, y[train]]) - np.tile(y[val], ALPHAS.size + 1)
    resid = resid.reshape(ALPHAS.size + 1, len(val))
    for j, alpha in enumerate(ALPHAS):
        ref = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X[train], y[train])
        np.testing.assert_allclose(resid[j], ref.predict(X[val]) - y[val], atol=1e-8)
    mean = y[train].mean() if fit_intercept else 0.0
    np.testing.assert_allclose(resid[-1], mean - y[val], atol=1e-12)


def test_alpha_rank_shortcut_matches_direct_products():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((480, 700)).astype(np.float32)
    Y = (X[:, :40] @ rng.standard_normal((40, 60)) * np.logspace(-2, 0, 60)).astype(np.float32)
    Y += rng.standard_normal(Y.shape).astype(np.float32)
    a = RidgeCV(ALPHAS).fit(X, Y, GROUPS)
    b = RidgeCV(ALPHAS, alpha_rank=False).fit(X, Y, GROUPS)
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    np.testing.assert_allclose(a.cv_scores_, b.cv_scores_, atol=2e-6)


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


def test_cv_scores_are_pooled_r2():
    X, Y = _data(t=3)
    model = RidgeCV(ALPHAS, dtype="float64").fit(X, Y, GROUPS)
    j, k = 1, 7
    pred = cross_val_predict(Ridge(alpha=ALPHAS[k]), X, Y[:, j], groups=GROUPS, cv=GroupKFold(5))
    mean_pred = np.empty(len(Y))
    for train, val in run_folds(GROUPS, 5):
        mean_pred[val] = Y[train, j].mean()
    r2 = 1 - ((Y[:, j] - pred) ** 2).sum() / ((Y[:, j] - mean_pred) ** 2).sum()
    np.testing.assert_allclose(model.cv_scores_[k, j], r2, rtol=1e-5)
    np.testing.assert_array_equal(model.best_cv_score_, model.cv_scores_.max(axis=0))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_per_target_matches_sklearn_ridgecv_with_same_splits(dtype):
    # scikit-learn's grid search averages each fold's MSE: cv_average="folds" is that criterion.
    X, Y = _data(t=8, seed=3)
    Xtest = np.random.default_rng(9).standard_normal((30, X.shape[1]))
    folds = run_folds(GROUPS, 5)
    model = RidgeCV(ALPHAS, cv_average="folds", dtype=dtype).fit(X, Y, GROUPS)
    for j in range(Y.shape[1]):
        ref = SkRidgeCV(ALPHAS, cv=folds, scoring="neg_mean_squared_error").fit(X, Y[:, j])
        assert model.alpha_[j] == ref.alpha_
        tol = 1e-8 if dtype == "float64" else 2e-4
        np.testing.assert_allclose(
            model.predict(Xtest)[:, j],
            ref.predict(Xtest),
            atol=tol * np.abs(ref.predict(Xtest)).max(),
        )


def test_shared_alpha_matches_sklearn_ridgecv():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((480, 40))
    Y = X @ rng.standard_normal((40, 5)) * 0.3 + rng.standard_normal((480, 5))
    folds = run_folds(GROUPS, 6)  # equal folds: pooled and fold-averaged criteria agree
    model = RidgeCV(ALPHAS, n_splits=6, alpha_per_target=False, dtype="float64").fit(X, Y, GROUPS)
    ref = SkRidgeCV(ALPHAS, cv=folds, scoring="neg_mean_squared_error").fit(X, Y)
    np.testing.assert_array_equal(model.alpha_, np.full(5, ref.alpha_))
    np.testing.assert_allclose(model.predict(X), ref.predict(X), atol=1e-8)


def test_no_intercept_and_offset_targets():
    X, Y = _data(t=4, seed=5)
    Y = Y + 1000.0
    model = RidgeCV(ALPHAS, dtype="float64").fit(X, Y, GROUPS)
    ref = Ridge(alpha=model.alpha_[0]).fit(X, Y[:, 0])
    np.testing.assert_allclose(model.predict(X)[:, 0], ref.predict(X), rtol=1e-10)
    model = RidgeCV(ALPHAS, fit_intercept=False, dtype="float64").fit(X, Y, GROUPS)
    ref = Ridge(alpha=model.alpha_[2], fit_intercept=False).fit(X, Y[:, 2])
    np.testing.assert_allclose(model.coef_[:, 2], ref.coef_, atol=1e-9)
    np.testing.assert_array_equal(model.intercept_, 0.0)


def test_more_features_than_samples_float32():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((480, 2000)).astype(np.float32)
    Y = X[:, :5] + 0.5 * rng.standard_normal((480, 5)).astype(np.float32)
    model = RidgeCV().fit(X, Y, GROUPS)
    assert model.coef_.dtype == np.float32
    ref = Ridge(alpha=model.alpha_[2]).fit(X.astype(np.float64), Y[:, 2].astype(np.float64))
    np.testing.assert_allclose(model.coef_[:, 2], ref.coef_, atol=2e-4 * np.abs(ref.coef_).max())


# Offsets of 100× the spread with an intercept (raw BOLD); without one, offsets this large
# leave the centred directions below the rank tolerance (``thin_svd``'s ``rtol``), as before.
@pytest.mark.parametrize(("fit_intercept", "offset"), [(True, 100.0), (False, 3.0)])
def test_wide_design_through_the_gram_matrix_matches_sklearn(monkeypatch, fit_intercept, offset):
    """A wide design (decoding from vertices) is decomposed from ``X Xᵀ`` built by blocks of
    columns, with the centring done on the Gram matrix: it must cost no precision."""
    from b2m.models import _ridge

    monkeypatch.setattr(_ridge, "_BLOCK_BYTES", 8 * 480 * 64)  # 64 columns a block: 10 blocks
    rng = np.random.default_rng(11)
    X = rng.standard_normal((480, 600)) + offset * rng.uniform(1, 2, 600)
    Y = (X - X.mean(0))[:, :8] @ rng.standard_normal((8, 2)) + 3 * rng.standard_normal((480, 2))
    folds = run_folds(GROUPS, 5)
    model = RidgeCV(ALPHAS, cv_average="folds", dtype="float64", fit_intercept=fit_intercept).fit(
        X, Y, GROUPS
    )
    for j in range(Y.shape[1]):
        ref = SkRidgeCV(
            ALPHAS, cv=folds, scoring="neg_mean_squared_error", fit_intercept=fit_intercept
        ).fit(X, Y[:, j])
        assert model.alpha_[j] == ref.alpha_
        np.testing.assert_allclose(
            model.coef_[:, j], ref.coef_, atol=1e-8 * np.abs(ref.coef_).max()
        )
        np.testing.assert_allclose(model.predict(X)[:, j], ref.predict(X), atol=1e-7)


def test_wide_design_is_never_copied_to_float64():
    """Decoding from 20,484 vertices: no float64 copy of the responses (twice their size)."""
    import tracemalloc

    rng = np.random.default_rng(12)
    X = rng.standard_normal((480, 20_000), dtype=np.float32)
    Y = X[:, :6] + rng.standard_normal((480, 6), dtype=np.float32)
    tracemalloc.start()
    try:
        model = RidgeCV(ALPHAS).fit(X, Y, GROUPS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Kept: coef_ (X.nbytes / 80 here) and the refit's V in float32 (X.nbytes); transient:
    # blocks of 8 MiB. The old path held X in float64 and a centred copy (4 × X.nbytes).
    assert peak < 2.5 * X.nbytes, peak / X.nbytes
    assert model.coef_.shape == (20_000, 6)


@pytest.mark.parametrize("kwargs", [{"chunk_size": 7}, {"memory_mb": 0.01}])
def test_chunking_does_not_change_results(kwargs):
    X, Y = _data(t=30)
    a = RidgeCV(dtype="float64", **kwargs).fit(X, Y, GROUPS)
    b = RidgeCV(chunk_size=1000, dtype="float64").fit(X, Y, GROUPS)
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    np.testing.assert_allclose(a.coef_, b.coef_)
    np.testing.assert_allclose(a.cv_scores_, b.cv_scores_)


def test_memory_budget_sets_the_chunk():
    model = RidgeCV(memory_mb=1.0)
    assert model._chunk(per_target_bytes=1024, n_targets=10**6) == 1024
    assert model._chunk(per_target_bytes=1024, n_targets=100) == 100
    assert RidgeCV(memory_mb=1e-6)._chunk(per_target_bytes=1024, n_targets=100) == 1
    assert RidgeCV(chunk_size=5)._chunk(per_target_bytes=1024, n_targets=100) == 5


def test_single_alpha_mode_and_1d_target():
    X, Y = _data()
    m = RidgeCV(alpha_per_target=False).fit(X, Y, GROUPS)
    assert len(set(m.alpha_)) == 1
    m1 = RidgeCV().fit(X, Y[:, 0], GROUPS)
    assert m1.predict(X).shape == (480,)
    assert m1.backend_ == "numpy:cpu"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alphas": [1.0, -1.0]}, "alphas must be a non-empty 1-D array of positive numbers"),
        ({"alphas": []}, "alphas must be a non-empty 1-D array of positive numbers"),
        ({"dtype": "float16"}, "dtype must be 'float32' or 'float64'; received 'float16'"),
        ({"n_splits": 1}, "n_splits must be an integer ≥ 2"),
        ({"chunk_size": 0}, "chunk_size must be None or a positive integer; received 0"),
        ({"memory_mb": -1}, "memory_mb must be a positive number; received -1"),
        ({"cv_average": "mean"}, "cv_average must be 'pooled' or 'folds'; received 'mean'"),
        ({"backend": "jax"}, "backend must be one of .*; received 'jax'"),
    ],
)
def test_bad_parameters(kwargs, match):
    X, Y = _data()
    with pytest.raises(ValueError, match=match):
        RidgeCV(**kwargs).fit(X, Y, GROUPS)


def test_bad_inputs():
    X, Y = _data()
    with pytest.raises(ValueError, match="Inconsistent numbers of samples: X has 480, y has 479"):
        RidgeCV().fit(X, Y[:-1], GROUPS)
    with pytest.raises(ValueError, match="groups has 479"):
        RidgeCV().fit(X, Y, GROUPS[:-1])
    Xn = X.copy()
    Xn[3, 4] = np.nan
    with pytest.raises(ValueError, match="X must be finite; received 1 NaN"):
        RidgeCV().fit(Xn, Y, GROUPS)
    Yn = Y.copy()
    Yn[0, 0] = np.inf
    with pytest.raises(ValueError, match="y must be finite; received 1 NaN or infinite"):
        RidgeCV().fit(X, Yn, GROUPS)
    with pytest.raises(ValueError, match="at least n_splits=5 distinct runs; received 3"):
        RidgeCV().fit(X, Y, np.repeat([0, 1, 2], 160))
    m = RidgeCV().fit(X, Y, GROUPS)
    with pytest.raises(ValueError, match="X must have 60 features"):
        m.predict(X[:, :10])


@pytest.mark.filterwarnings("ignore:Solving:UserWarning")
@pytest.mark.parametrize("kind", ["RidgeCV", "KernelRidgeCV"])
def test_matches_himalaya_with_same_splits(kind):
    himalaya_backend = pytest.importorskip("himalaya.backend")
    from himalaya.kernel_ridge import KernelRidgeCV
    from himalaya.ridge import RidgeCV as HRidgeCV

    himalaya_backend.set_backend("numpy")
    X, Y = _data(t=10, seed=6)
    Xtest = np.random.default_rng(7).standard_normal((25, X.shape[1]))
    folds = run_folds(GROUPS, 5)
    # himalaya averages each fold's mean squared error: cv_average="folds".
    model = RidgeCV(ALPHAS, cv_average="folds", dtype="float64").fit(X, Y, GROUPS)
    if kind == "RidgeCV":
        ref = HRidgeCV(alphas=ALPHAS, cv=folds, fit_intercept=True)
    else:
        ref = KernelRidgeCV(alphas=ALPHAS, kernel="linear", cv=folds, fit_intercept=True)
    ref.fit(X, Y)
    np.testing.assert_allclose(model.alpha_, np.asarray(ref.best_alphas_), rtol=1e-6)
    pred = np.asarray(ref.predict(Xtest))
    np.testing.assert_allclose(model.predict(Xtest), pred, atol=1e-6 * np.abs(pred).max())


def test_a_wide_design_is_decomposed_once_for_every_target_set(monkeypatch):
    """Decoding several spaces from one subject's responses reuses the fold decompositions."""
    from b2m.models import _ridge

    monkeypatch.setattr(_ridge, "_memo", type(_ridge._memo)())
    monkeypatch.setattr(_ridge, "_MEMO_MIN_SIZE", 1)  # small data stands for a wide design
    calls = []
    real = _ridge.thin_svd
    monkeypatch.setattr(_ridge, "thin_svd", lambda *a, **k: calls.append(1) or real(*a, **k))
    X, Y = _data()
    first = RidgeCV(ALPHAS).fit(X, Y[:, :6], GROUPS)
    assert len(calls) == 6  # five folds and the refit
    second = RidgeCV(ALPHAS).fit(X, Y[:, 6:], GROUPS)
    assert len(calls) == 7  # the same design: only the refit is decomposed again
    with monkeypatch.context() as m:
        m.setattr(_ridge, "_MEMO_MIN_SIZE", 10**12)  # kept nothing: computed from scratch
        fresh = RidgeCV(ALPHAS).fit(X, Y[:, 6:], GROUPS)
    np.testing.assert_array_equal(second.coef_, fresh.coef_)
    np.testing.assert_array_equal(second.cv_scores_, fresh.cv_scores_)
    np.testing.assert_array_equal(second.alpha_, fresh.alpha_)
    assert len(calls) == 13
    # Another design, other runs, other alphas or no intercept: the folds decomposed anew.
    for args, kwargs in (
        ((X + 1e-3, Y, GROUPS), {}),
        ((X, Y, np.roll(GROUPS, 40)), {}),
        ((X, Y, GROUPS), {"alphas": ALPHAS[:10]}),
        ((X, Y, GROUPS), {"fit_intercept": False}),
    ):
        before = len(calls)
        RidgeCV(**{"alphas": ALPHAS, **kwargs}).fit(*args)
        assert len(calls) - before == 6, kwargs
    assert all(not a.flags.writeable for v, _ in _ridge._memo.values() for a in _ridge._arrays(v))
    assert first.coef_.shape == (X.shape[1], 6)


def test_the_kept_decompositions_stay_within_their_budget(monkeypatch):
    from b2m.models import _ridge

    monkeypatch.setattr(_ridge, "_memo", type(_ridge._memo)())
    monkeypatch.setattr(_ridge, "_MEMO_MIN_SIZE", 1)
    X, Y = _data()
    RidgeCV(ALPHAS).fit(X, Y, GROUPS)
    ((_, one),) = _ridge._memo.values()  # bytes of one design's fold operators
    assert one > 0
    monkeypatch.setattr(_ridge, "_MEMO_MAX_BYTES", int(2.5 * one))
    for shift in range(1, 5):
        RidgeCV(ALPHAS).fit(X + shift, Y, GROUPS)
        assert sum(n for _, n in _ridge._memo.values()) <= 2.5 * one
    assert len(_ridge._memo) == 2  # the two most recent designs
    monkeypatch.setattr(_ridge, "_MEMO_MAX_BYTES", one // 2)
    RidgeCV(ALPHAS).fit(X - 1, Y, GROUPS)  # larger than the whole budget: not kept
    assert len(_ridge._memo) == 2
