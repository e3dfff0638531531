"""On-disk embedding cache: hits, misses, clip-id checks, atomic writes, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.features import AcousticFeatures, FeatureSpace, GenreOneHot, cached_features
from b2m.features._cache import feature_cache_path

IDS = ["clip-a", "clip-b", "clip-c"]


class Counter:
    """A ``compute`` callable that counts its calls."""

    def __init__(self, value: float = 1.0, n: int = 3, d: int = 4):
        self.calls = 0
        self.value, self.n, self.d = value, n, d

    def __call__(self) -> np.ndarray:
        self.calls += 1
        return np.full((self.n, self.d), self.value, dtype=np.float32)


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_hit_and_path_layout(tmp_path):
    space = AcousticFeatures()
    compute = Counter()
    first = cached_features(
        space, dataset_key="sim-seed0", clip_ids=IDS, compute=compute, data_home=tmp_path
    )
    second = cached_features(
        space, dataset_key="sim-seed0", clip_ids=IDS, compute=compute, data_home=tmp_path
    )
    assert compute.calls == 1
    np.testing.assert_array_equal(first, second)
    assert second.dtype == np.float32
    path = tmp_path / "features" / "sim-seed0" / "acoustic" / f"{space.cache_key}.npz"
    assert path.exists()
    assert feature_cache_path(space, dataset_key="sim-seed0", data_home=tmp_path) == path.resolve()
    with np.load(path) as stored:
        assert stored["clip_ids"].tolist() == IDS
        assert '"name": "acoustic"' in str(stored["meta"])


def test_default_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("B2M_DATA", str(tmp_path / "home"))
    cached_features(GenreOneHot(), dataset_key="ds", clip_ids=IDS, compute=Counter())
    assert (tmp_path / "home" / "features" / "ds" / "genre").is_dir()


def test_miss_on_parameter_or_version_change(tmp_path):
    kw = dict(dataset_key="ds", clip_ids=IDS, data_home=tmp_path)
    c1, c2, c3 = Counter(1.0), Counter(2.0), Counter(3.0)
    a = cached_features(AcousticFeatures(), compute=c1, **kw)
    b = cached_features(AcousticFeatures(n_mels=24), compute=c2, **kw)

    class Newer(AcousticFeatures):
        version = "2-test"

    c = cached_features(Newer(), compute=c3, **kw)
    assert (c1.calls, c2.calls, c3.calls) == (1, 1, 1)
    assert a[0, 0] == 1.0 and b[0, 0] == 2.0 and c[0, 0] == 3.0
    assert len(_files(tmp_path / "features" / "ds" / "acoustic")) == 3
    again = cached_features(AcousticFeatures(), compute=Counter(9.0), **kw)
    assert again[0, 0] == 1.0  # the original entry is still served


def test_clip_id_mismatch_recomputes(tmp_path):
    space = GenreOneHot()
    kw = dict(dataset_key="ds", data_home=tmp_path)
    cached_features(space, clip_ids=IDS, compute=Counter(1.0), **kw)
    reordered = Counter(2.0)
    out = cached_features(space, clip_ids=IDS[::-1], compute=reordered, **kw)
    assert reordered.calls == 1 and out[0, 0] == 2.0
    fewer = Counter(3.0, n=2)
    out = cached_features(space, clip_ids=IDS[:2], compute=fewer, **kw)
    assert fewer.calls == 1 and out.shape == (2, 4)
    hit = Counter(4.0, n=2)
    assert cached_features(space, clip_ids=IDS[:2], compute=hit, **kw)[0, 0] == 3.0
    assert hit.calls == 0


def test_failed_compute_leaves_no_file(tmp_path):
    space = AcousticFeatures()
    kw = dict(dataset_key="ds", data_home=tmp_path)

    def boom():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        cached_features(space, clip_ids=IDS, compute=boom, **kw)
    assert _files(tmp_path) == []

    cached_features(space, clip_ids=IDS, compute=Counter(1.0), **kw)
    before = _files(tmp_path)
    with pytest.raises(RuntimeError, match="interrupted"):
        cached_features(space, clip_ids=["other"], compute=boom, **kw)
    assert _files(tmp_path) == before  # old entry intact, no partial file
    assert cached_features(space, clip_ids=IDS, compute=boom, **kw)[0, 0] == 1.0


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import b2m.features._cache as cache_module

    def failing_savez(fh, **arrays):
        fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.np, "savez", failing_savez, raising=True)
    with pytest.raises(KeyboardInterrupt):
        cached_features(
            GenreOneHot(), dataset_key="ds", clip_ids=IDS, compute=Counter(), data_home=tmp_path
        )
    assert _files(tmp_path) == []


def test_bad_compute_output_is_not_cached(tmp_path):
    kw = dict(dataset_key="ds", clip_ids=IDS, data_home=tmp_path)
    with pytest.raises(ValueError, match=r"shape \(n_clips=3, n_dims\); received shape \(2, 4\)"):
        cached_features(GenreOneHot(), compute=Counter(n=2), **kw)
    with pytest.raises(ValueError, match=r"shape \(n_clips=3, n_dims\); received shape \(3,\)"):
        cached_features(GenreOneHot(), compute=lambda: np.zeros(3), **kw)
    with pytest.raises(ValueError, match="NaN or infinite"):
        cached_features(GenreOneHot(), compute=Counter(np.nan), **kw)
    assert _files(tmp_path) == []


def test_corrupt_file_is_recomputed(tmp_path):
    space = GenreOneHot()
    path = feature_cache_path(space, dataset_key="ds", data_home=tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz")
    compute = Counter(5.0)
    with pytest.warns(RuntimeWarning, match="unreadable feature cache"):
        out = cached_features(
            space, dataset_key="ds", clip_ids=IDS, compute=compute, data_home=tmp_path
        )
    assert compute.calls == 1 and out[0, 0] == 5.0
    assert (
        cached_features(
            space, dataset_key="ds", clip_ids=IDS, compute=Counter(), data_home=tmp_path
        )[0, 0]
        == 5.0
    )


def test_bad_arguments(tmp_path):
    space = GenreOneHot()
    for key in ("", "../up", "a/b", "with space", None):
        with pytest.raises(ValueError, match="dataset_key must be"):
            cached_features(
                space, dataset_key=key, clip_ids=IDS, compute=Counter(), data_home=tmp_path
            )
    with pytest.raises(
        ValueError, match="clip_ids must be unique; received duplicates such as \\['x'\\]"
    ):
        cached_features(
            space, dataset_key="ds", clip_ids=["x", "x"], compute=Counter(n=2), data_home=tmp_path
        )
    with pytest.raises(ValueError, match="at least one id"):
        cached_features(space, dataset_key="ds", clip_ids=[], compute=Counter(), data_home=tmp_path)
    with pytest.raises(TypeError, match="clip_ids must be a list of str"):
        cached_features(
            space, dataset_key="ds", clip_ids="abc", compute=Counter(), data_home=tmp_path
        )
    with pytest.raises(TypeError, match="compute must be callable"):
        cached_features(
            space, dataset_key="ds", clip_ids=IDS, compute=np.zeros((3, 2)), data_home=tmp_path
        )
    with pytest.raises(TypeError, match="space must be a FeatureSpace"):
        cached_features(
            "acoustic", dataset_key="ds", clip_ids=IDS, compute=Counter(), data_home=tmp_path
        )
    assert isinstance(space, FeatureSpace)
