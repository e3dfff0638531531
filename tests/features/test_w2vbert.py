"""w2v-BERT feature space: the real code path on a tiny random Wav2Vec2BertModel in a folder."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest
from _tiny_models import broadband, make_hf_cache, make_tiny_w2vbert, seed_global_rngs
from scipy.signal import resample_poly

from b2m.datasets import load_manifest
from b2m.features import W2VBertFeatures, cached_features, get_feature_space
from b2m.features._w2vbert import _load_w2vbert

pytest.importorskip("transformers", reason="needs the [w2v] extra")

SR = 22050
HIDDEN = 16


@pytest.fixture(scope="module")
def w2v_dir(tmp_path_factory):
    return make_tiny_w2vbert(tmp_path_factory.mktemp("w2v") / "tiny", num_hidden_layers=2)


@pytest.fixture(scope="module")
def clips():
    """Clips of 15 s, 7 s and 3 s at 22050 Hz (their windows differ in length)."""
    return [broadband(SR, 15.0, seed=1), broadband(SR, 7.0, seed=2), broadband(SR, 3.0, seed=3)]


def test_layers_shapes_and_concatenation(w2v_dir, clips):
    space = W2VBertFeatures(model_dir=w2v_dir)
    assert (space.name, space.modality, space.sample_rate) == ("w2v-bert", "audio", 16000)
    assert space.layers == (0, 1, 2) and space.n_features == 3 * HIDDEN
    per_layer = space.embed_audio_layers(clips, SR)
    assert list(per_layer) == [0, 1, 2]
    assert all(v.shape == (3, HIDDEN) and v.dtype == np.float32 for v in per_layer.values())
    assert np.abs(per_layer[2] - per_layer[1]).max() > 1e-3  # layers differ
    assert np.ptp(per_layer[2], axis=0).max() > 1e-3  # clips differ
    joined = space.embed_audio(clips, SR)
    assert joined.shape == (3, 3 * HIDDEN) and len(space.feature_names) == 3 * HIDDEN
    np.testing.assert_array_equal(joined, np.concatenate(list(per_layer.values()), axis=1))
    picked = W2VBertFeatures(model_dir=w2v_dir, layers=(2, 0))
    out = picked.embed_audio_layers(clips, SR)
    assert list(out) == [2, 0] and picked.feature_names[0] == "L02_mean_0000"
    np.testing.assert_allclose(out[2], per_layer[2], atol=1e-6)
    np.testing.assert_allclose(picked.embed_audio(clips, SR)[:, :HIDDEN], per_layer[2], atol=1e-6)
    assert W2VBertFeatures(model_dir=w2v_dir, layers=-1).layers == (2,)


def test_mean_and_std_pooling(w2v_dir, clips):
    mean = W2VBertFeatures(model_dir=w2v_dir, layers=[1]).embed_audio(clips, SR)
    both = W2VBertFeatures(model_dir=w2v_dir, layers=[1], pooling="mean+std")
    assert both.n_features == 2 * HIDDEN
    out = both.embed_audio(clips, SR)
    assert out.shape == (3, 2 * HIDDEN)
    np.testing.assert_allclose(out[:, :HIDDEN], mean, atol=1e-6)
    assert (out[:, HIDDEN:] > 0).all()  # standard deviations over frames


def test_windows_and_window_pooling(w2v_dir):
    space = W2VBertFeatures(model_dir=w2v_dir, layers=[2])
    np.testing.assert_allclose(space.windows(15 * SR, SR), [[0, 5], [5, 10], [10, 15]])
    hop = W2VBertFeatures(model_dir=w2v_dir, layers=[2], hop_seconds=1.5)
    assert len(hop.windows(15 * SR, SR)) == 7  # Brain2Music's 7 w2v-BERT windows per clip
    np.testing.assert_allclose(space.windows(3 * SR, SR), [[0, 3]])
    # The clip vector is the mean of its windows' vectors.
    x = broadband(16000, 15.0, seed=4)
    whole = space.embed_audio([x], 16000)
    parts = space.embed_audio([x[:80000], x[80000:160000], x[160000:]], 16000)
    np.testing.assert_allclose(whole[0], parts.mean(0), atol=1e-5)


def test_short_clips_are_padded_not_fatal(w2v_dir):
    space = W2VBertFeatures(model_dir=w2v_dir, layers=[2])
    out = space.embed_audio([np.array([0.1]), np.zeros(100), broadband(16000, 0.05)], 16000)
    assert out.shape == (3, HIDDEN) and np.isfinite(out).all()
    x = broadband(16000, 0.04, seed=5)  # shorter than 0.1 s: zero-padded to 0.1 s
    np.testing.assert_allclose(
        space.embed_audio([x], 16000), space.embed_audio([np.pad(x, (0, 960))], 16000), atol=1e-6
    )


def test_batching_with_padding_does_not_change_results(w2v_dir, clips):
    one = W2VBertFeatures(model_dir=w2v_dir, batch_size=1, pooling="mean+std")
    four = W2VBertFeatures(model_dir=w2v_dir, batch_size=4, pooling="mean+std")
    assert one.cache_key == four.cache_key
    # The 3 s clip is one 3 s window, batched beside 5 s ones (padded, then masked).
    np.testing.assert_allclose(one.embed_audio(clips, SR), four.embed_audio(clips, SR), atol=1e-5)


def test_deterministic(w2v_dir, clips):
    space = W2VBertFeatures(model_dir=w2v_dir)
    seed_global_rngs(1)
    first = space.embed_audio(clips, SR)
    seed_global_rngs(2)
    np.testing.assert_array_equal(space.embed_audio(clips, SR), first)


def test_resampling_to_16_khz(w2v_dir):
    space = W2VBertFeatures(model_dir=w2v_dir, layers=[1, 2])
    at_22k = broadband(SR, 6.0, seed=6)
    same = space.embed_audio([at_22k], SR)
    np.testing.assert_allclose(
        same, space.embed_audio([resample_poly(at_22k, 320, 441)], 16000), atol=1e-6
    )
    native = space.embed_audio([broadband(48000, 6.0, seed=6)], 48000)
    other = space.embed_audio([broadband(48000, 6.0, seed=7)], 48000)
    mislabelled = space.embed_audio([at_22k], 16000)
    d_same = np.linalg.norm(same - native)
    assert d_same < 0.2 * min(np.linalg.norm(same - other), np.linalg.norm(same - mislabelled))


def test_cache_key_and_cache_follow_layers_pooling_and_revision(
    w2v_dir, clips, tmp_path, monkeypatch
):
    base = W2VBertFeatures(model_dir=w2v_dir)
    assert base.cache_key == W2VBertFeatures(model_dir=w2v_dir, layers=(0, 1, 2)).cache_key
    assert base.params["layers"] == [0, 1, 2]
    keys = {
        base.cache_key,
        W2VBertFeatures(model_dir=w2v_dir, layers=-1).cache_key,
        W2VBertFeatures(model_dir=w2v_dir, layers=(1, 2)).cache_key,
        W2VBertFeatures(model_dir=w2v_dir, layers=(2, 1)).cache_key,
        W2VBertFeatures(model_dir=w2v_dir, pooling="mean+std").cache_key,
        W2VBertFeatures(model_dir=w2v_dir, window_seconds=3.0).cache_key,
    }
    assert len(keys) == 6
    assert W2VBertFeatures(model_dir=w2v_dir, layers=-1) == W2VBertFeatures(
        model_dir=w2v_dir, layers=[2]
    )

    cache = tmp_path / "hub"
    pinned = load_manifest().dataset("w2v_bert").revision  # what W2VBertFeatures() loads
    for commit, branch in ((pinned, "main"), ("d" * 40, "v2")):
        make_hf_cache(cache, "facebook/w2v-bert-2.0", commit, make_tiny_w2vbert, branch=branch)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    main, v2 = W2VBertFeatures(), W2VBertFeatures(revision="v2")
    assert (main.params["revision"], v2.params["revision"]) == (pinned, "d" * 40)
    assert main.cache_key != v2.cache_key

    calls = []

    def run(space):
        def compute():
            calls.append(1)
            return space.embed_audio(clips, SR)

        return cached_features(
            space, dataset_key="toy", clip_ids=["a", "b", "c"], compute=compute,
            data_home=tmp_path / "home",
        )  # fmt: skip

    first = run(W2VBertFeatures(model_dir=w2v_dir, layers=[1]))
    np.testing.assert_array_equal(run(W2VBertFeatures(model_dir=w2v_dir, layers=[1])), first)
    assert len(calls) == 1
    second = run(W2VBertFeatures(model_dir=w2v_dir, layers=[2]))
    assert len(calls) == 2 and np.abs(second - first).max() > 1e-3
    stats = run(W2VBertFeatures(model_dir=w2v_dir, layers=[1], pooling="mean+std"))
    assert len(calls) == 3 and stats.shape == (3, 2 * HIDDEN)


def test_missing_model_and_extra(tmp_path, monkeypatch, w2v_dir):
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(FileNotFoundError) as info:
        get_feature_space("w2v-bert")
    msg = str(info.value)
    pinned = load_manifest().dataset("w2v_bert").revision
    assert f"hf download facebook/w2v-bert-2.0 --revision {pinned}" in msg
    assert "models/w2v_bert" in msg and "pip install 'b2m-explorer[w2v]'" in msg
    space = W2VBertFeatures(model_dir=w2v_dir)
    _load_w2vbert.cache_clear()
    monkeypatch.setitem(sys.modules, "transformers", None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'b2m-explorer\[w2v\]'"):
            space.embed_audio([np.zeros(SR)], SR)
    finally:
        _load_w2vbert.cache_clear()


def test_bad_inputs(w2v_dir):
    space = W2VBertFeatures(model_dir=w2v_dir, layers=[2])
    bad = np.zeros(SR)
    bad[3] = np.inf
    with pytest.raises(ValueError, match=r"waveforms\[0\] must be finite; received 1 NaN"):
        space.embed_audio([bad], SR)
    with pytest.raises(ValueError, match="sr must be a positive integer sampling rate"):
        space.embed_audio([np.zeros(SR)], 0)
    with pytest.raises(ValueError, match="waveforms must contain at least one clip"):
        space.embed_audio([], SR)
    with pytest.raises(NotImplementedError, match="has no text embedding"):
        space.embed_text(["a caption"])
    valid = r"layers must be 'all' or indices in \[-3, 2\]"
    cases = {
        valid + r" \(the model has 2 blocks plus its input projection\); received 5": {
            "layers": (5,)
        },
        valid + r".*; received -4": {"layers": [-4]},
        valid + "; received an empty sequence": {"layers": ()},
        valid + "; received 'last'": {"layers": "last"},
        valid + "; received 1.5": {"layers": [1.5]},
        valid + "; received True": {"layers": [True]},
        r"layers must not repeat a layer; received \[1, -2\]": {"layers": [1, -2]},
        r"pooling must be one of \['mean', 'mean\+std'\]; received 'max'": {"pooling": "max"},
        "sample_rate must equal the model's feature-extractor rate, 16000 Hz; received 22050": {
            "sample_rate": 22050
        },
        "window_seconds must be a positive number of seconds; received inf": {
            "window_seconds": float("inf")
        },
        "batch_size must be a positive integer; received -2": {"batch_size": -2},
        "progressbar must be a bool or None": {"progressbar": "yes"},
    }
    for message, kwargs in cases.items():
        with pytest.raises(ValueError, match=message):
            W2VBertFeatures(model_dir=w2v_dir, **kwargs)
