import sys

import numpy as np
import pytest

from b2m.models import RidgeCV, _backend
from b2m.models._backend import NumpyBackend, get_backend

GROUPS = np.repeat(np.arange(10), 30)


def _data(n=300, p=400, t=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(np.float32)
    gain = np.logspace(-1.5, 0.5, t) / np.sqrt(p)
    Y = X @ (rng.standard_normal((p, t)) * gain) + rng.standard_normal((n, t))
    return X, Y.astype(np.float32)


def test_auto_is_numpy_without_cuda(monkeypatch):
    monkeypatch.setattr(_backend, "_torch_cuda_available", lambda: False)
    xp = get_backend("auto")
    assert isinstance(xp, NumpyBackend)
    assert xp.dtype == np.float32
    assert get_backend("auto", dtype="float64").dtype == np.float64


def test_auto_without_nvidia_driver_does_not_import_torch(monkeypatch):
    monkeypatch.setattr(_backend, "_cuda_may_exist", lambda: False)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert not _backend._torch_cuda_available()
    assert "torch" not in sys.modules


def test_bad_backend_and_device():
    with pytest.raises(ValueError, match=r"backend must be one of .*; received 'cupy'"):
        get_backend("cupy")
    with pytest.raises(ValueError, match="device must be None or 'cpu' with backend='numpy'"):
        get_backend("numpy", device="cuda")
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        get_backend("numpy", dtype="float16")


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r"b2m-explorer\[torch\]"):
        get_backend("torch")
    X, Y = _data(t=3)
    with pytest.raises(ImportError, match=r"b2m-explorer\[torch\]"):
        RidgeCV(backend="torch").fit(X, Y, GROUPS)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_cpu_matches_numpy(dtype):
    torch = pytest.importorskip("torch")
    X, Y = _data()
    ref = RidgeCV(backend="numpy", dtype=dtype, chunk_size=16).fit(X, Y, GROUPS)
    model = RidgeCV(backend="torch", device="cpu", dtype=dtype, chunk_size=16).fit(X, Y, GROUPS)
    assert model.backend_ == "torch:cpu"
    assert model.coef_.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(model.alpha_, ref.alpha_)
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(model.cv_scores_, ref.cv_scores_, atol=tol)
    pred, pred_ref = model.predict(X[:20]), ref.predict(X[:20])
    np.testing.assert_allclose(pred, pred_ref, atol=tol * np.abs(pred_ref).max())
    assert torch.get_default_dtype() == torch.float32  # no global state changed


def test_torch_cuda_request_falls_back_to_cpu_with_warning():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, Y = _data(t=4)
    with pytest.warns(UserWarning, match="no CUDA device; falling back to the CPU"):
        model = RidgeCV(backend="torch", device="cuda").fit(X, Y, GROUPS)
    assert model.backend_ == "torch:cpu"
    ref = RidgeCV(backend="numpy").fit(X, Y, GROUPS)
    np.testing.assert_array_equal(model.alpha_, ref.alpha_)


def test_torch_on_gpu_matches_numpy():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, Y = _data()
    ref = RidgeCV(backend="numpy").fit(X, Y, GROUPS)
    model = RidgeCV(backend="auto").fit(X, Y, GROUPS)
    assert model.backend_.startswith("torch:cuda")
    np.testing.assert_array_equal(model.alpha_, ref.alpha_)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-4 * np.abs(ref.coef_).max())
