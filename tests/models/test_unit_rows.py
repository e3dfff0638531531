"""The one row normalisation (``b2m.models.unit_rows``), used by features, analysis,
reconstruction and the explorer."""

from __future__ import annotations

import numpy as np

from b2m.models import unit_rows


def test_rows_get_unit_norm_and_zero_rows_stay_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1e-3, 0.0]])
    out = unit_rows(x)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]])
    assert np.isfinite(out).all()


def test_dtype_and_shape():
    x32 = np.random.default_rng(0).standard_normal((2, 3, 5)).astype(np.float32)
    out = unit_rows(x32)
    assert out.dtype == np.float32 and out.shape == x32.shape
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-6)
    assert unit_rows([[1, 1]]).dtype == np.float64


def test_cosine_neighbours_use_it():
    """Cosine neighbours (the explorer's retrieval list) agree with unit rows' dot products."""
    from b2m.models import cosine_neighbours

    x = np.random.default_rng(1).standard_normal((6, 4))
    items = cosine_neighbours(x, 0, 2, ["a"] * 6, [f"c{i}" for i in range(6)])
    sims = unit_rows(x) @ unit_rows(x)[0]
    sims[0] = -np.inf
    assert [it["index"] for it in items] == list(np.argsort(-sims)[:2])
    np.testing.assert_allclose([it["score"] for it in items], np.sort(sims)[::-1][:2])
