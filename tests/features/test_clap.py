"""CLAP feature space: the real code path on a tiny random ClapModel saved to a folder."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest
from _tiny_models import CAPTIONS, broadband, make_hf_cache, make_tiny_clap, seed_global_rngs
from scipy.signal import resample_poly

from b2m.datasets import load_manifest
from b2m.features import ClapFeatures, ClapTextFeatures, cached_features, get_feature_space
from b2m.features._clap import _load_clap

pytest.importorskip("transformers", reason="needs the [clap] extra")

SR = 22050
# The manifest pins the revision a default ClapFeatures() loads.
COMMIT_A = load_manifest().dataset("clap_music").revision
COMMIT_B = "b" * 40


@pytest.fixture(scope="module")
def clap_dir(tmp_path_factory):
    return make_tiny_clap(tmp_path_factory.mktemp("clap") / "tiny")


@pytest.fixture(scope="module")
def clips():
    """Three clips at 22050 Hz: 15 s, 12 s and 4 s."""
    return [broadband(SR, 15.0, seed=1), broadband(SR, 12.0, seed=2), broadband(SR, 4.0, seed=3)]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_shapes_norms_and_one_space_for_audio_and_text(clap_dir, clips):
    space = ClapFeatures(model_dir=clap_dir)
    assert (space.name, space.modality, space.n_features, space.sample_rate) == (
        "clap", "audio", 16, 48000,
    )  # fmt: skip
    audio = space.embed_audio(clips, SR)
    text = space.embed_text(CAPTIONS)
    assert audio.shape == (3, 16) and text.shape == (5, 16)
    assert audio.dtype == text.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(audio, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(text, axis=1), 1.0, atol=1e-5)
    assert len(space.feature_names) == 16
    assert np.ptp(audio, axis=0).max() > 1e-3  # clips are told apart
    assert np.ptp(text, axis=0).max() > 1e-3
    scores = audio @ text.T  # cosine similarities between the two modalities
    assert scores.shape == (3, 5) and np.all(np.abs(scores) <= 1 + 1e-5)
    text_space = get_feature_space("clap-text", model_dir=clap_dir)
    assert isinstance(text_space, ClapTextFeatures) and text_space.modality == "text"
    np.testing.assert_allclose(text_space.embed_text(CAPTIONS), text, atol=1e-6)
    assert text_space.cache_key != space.cache_key


def test_windows_cover_the_clip(clap_dir):
    space = ClapFeatures(model_dir=clap_dir)
    np.testing.assert_allclose(space.windows(15 * SR, SR), [[0, 10], [5, 15]])
    np.testing.assert_allclose(space.windows(30 * 48000, 48000), [[0, 10], [10, 20], [20, 30]])
    np.testing.assert_allclose(space.windows(4 * SR, SR), [[0, 4]])
    hop = ClapFeatures(model_dir=clap_dir, hop_seconds=1.5)  # Brain2Music's MuLan windows
    np.testing.assert_allclose(hop.windows(15 * SR, SR)[:, 0], [0, 1.5, 3.0, 4.5])
    short = ClapFeatures(model_dir=clap_dir, window_seconds=5.0)
    np.testing.assert_allclose(short.windows(15 * SR, SR), [[0, 5], [5, 10], [10, 15]])


def test_window_embeddings_and_pooling(clap_dir, clips):
    space = ClapFeatures(model_dir=clap_dir)
    windows = space.embed_audio_windows(clips, SR)
    assert [w.shape for w in windows] == [(2, 16), (2, 16), (1, 16)]
    np.testing.assert_allclose(np.linalg.norm(windows[0], axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(windows[0][0] - windows[0][1]) > 1e-4  # 0-10 s differs from 5-15 s
    mean = space.embed_audio(clips, SR)
    expected = _unit(np.stack([w.astype(np.float64).mean(0) for w in windows]))
    np.testing.assert_allclose(mean, expected, atol=1e-6)
    maxed = ClapFeatures(model_dir=clap_dir, pooling="max").embed_audio(clips, SR)
    expected = _unit(np.stack([w.astype(np.float64).max(0) for w in windows]))
    np.testing.assert_allclose(maxed, expected, atol=1e-6)
    assert np.abs(maxed[:2] - mean[:2]).max() > 1e-4
    np.testing.assert_allclose(maxed[2], mean[2], atol=1e-6)  # one window: nothing to pool
    hop = ClapFeatures(model_dir=clap_dir, hop_seconds=1.5).embed_audio_windows(clips[:1], SR)
    assert hop[0].shape == (4, 16)


def test_short_clip_is_repeat_padded(clap_dir):
    space = ClapFeatures(model_dir=clap_dir)
    x = broadband(48000, 4.0, seed=4)
    tiled = np.concatenate([x, x, np.zeros(2 * 48000)])  # CLAP's "repeatpad" to 10 s
    np.testing.assert_allclose(
        space.embed_audio([x], 48000), space.embed_audio([tiled], 48000), atol=1e-6
    )
    tiny = space.embed_audio([np.array([0.1]), np.zeros(100), x[:2400]], 48000)
    assert tiny.shape == (3, 16) and np.isfinite(tiny).all()


def test_deterministic_although_the_extractor_crops_at_random(clap_dir, clips):
    space = ClapFeatures(model_dir=clap_dir)
    seed_global_rngs(1)
    first = space.embed_audio(clips, SR)
    seed_global_rngs(2)
    np.testing.assert_array_equal(space.embed_audio(clips, SR), first)
    # What the windowing avoids: given more than 10 s, rand_trunc crops at random.
    _, processor = _load_clap(str(space.source.path), space.source.fingerprint, "cpu")
    long = broadband(48000, 14.0, seed=5)
    seed_global_rngs(1)
    a = processor.feature_extractor([long], sampling_rate=48000, truncation="rand_trunc")
    seed_global_rngs(2)
    b = processor.feature_extractor([long], sampling_rate=48000, truncation="rand_trunc")
    assert not np.allclose(a["input_features"], b["input_features"])


def test_fusion_model_is_deterministic_and_batch_independent(tmp_path):
    """The extractor flags one short input per batch as "longer" at random in fusion mode."""
    folder = make_tiny_clap(tmp_path / "fused", fusion=True)
    x = [broadband(48000, 10.0, seed=s) for s in range(3)]
    _, processor = _load_clap(str(folder), "fused", "cpu")
    flags = set()
    for seed in (0, 1):  # seeds fixed: the outcome is deterministic
        seed_global_rngs(seed)
        feats = processor.feature_extractor(x, sampling_rate=48000, truncation="fusion")
        flags.add(tuple(np.ravel(feats["is_longer"])))
    assert len(flags) > 1  # what the space must not inherit
    one = ClapFeatures(model_dir=folder, batch_size=1)
    three = ClapFeatures(model_dir=folder, batch_size=3)
    seed_global_rngs(0)
    first = three.embed_audio(x, 48000)
    seed_global_rngs(1)
    np.testing.assert_array_equal(three.embed_audio(x, 48000), first)
    np.testing.assert_allclose(one.embed_audio(x, 48000), first, atol=1e-5)


def test_batch_size_does_not_change_results(clap_dir, clips):
    one = ClapFeatures(model_dir=clap_dir, batch_size=1)
    four = ClapFeatures(model_dir=clap_dir, batch_size=4)
    assert one.cache_key == four.cache_key
    np.testing.assert_allclose(one.embed_audio(clips, SR), four.embed_audio(clips, SR), atol=1e-5)
    np.testing.assert_allclose(one.embed_text(CAPTIONS), four.embed_text(CAPTIONS), atol=1e-5)


def test_resampling_to_48_khz(clap_dir):
    space = ClapFeatures(model_dir=clap_dir)
    at_22k = broadband(SR, 15.0, seed=6)
    same = space.embed_audio([at_22k], SR)
    # Exactly the polyphase resampling a caller could do themselves...
    np.testing.assert_allclose(
        same, space.embed_audio([resample_poly(at_22k, 320, 147)], 48000), atol=1e-6
    )
    # ...and the same continuous signal sampled at 48 kHz lands in (almost) the same place,
    # far closer than another signal, or than the 22050 Hz samples declared as 48 kHz.
    native = space.embed_audio([broadband(48000, 15.0, seed=6)], 48000)
    other = space.embed_audio([broadband(48000, 15.0, seed=7)], 48000)
    mislabelled = space.embed_audio([at_22k], 48000)
    d_same = np.linalg.norm(same - native)
    assert d_same < 0.2 * min(np.linalg.norm(same - other), np.linalg.norm(same - mislabelled))


def test_cache_key_tracks_parameters_and_revision(clap_dir, tmp_path, monkeypatch):
    base = ClapFeatures(model_dir=clap_dir)
    assert base.cache_key == ClapFeatures(model_dir=clap_dir, device="cpu").cache_key
    variants = [
        ClapFeatures(model_dir=clap_dir, pooling="max"),
        ClapFeatures(model_dir=clap_dir, window_seconds=5.0),
        ClapFeatures(model_dir=clap_dir, hop_seconds=1.5),
        ClapFeatures(model_dir=clap_dir, max_text_tokens=32),
    ]
    assert len({base.cache_key, *(v.cache_key for v in variants)}) == 5
    assert base.params["weights"].startswith("sha256:") and base.params["revision"] is None

    cache = tmp_path / "hub"
    make_hf_cache(cache, "laion/larger_clap_music", COMMIT_A, make_tiny_clap)
    make_hf_cache(cache, "laion/larger_clap_music", COMMIT_B, make_tiny_clap, branch="v2")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    main = ClapFeatures()
    pinned_b = ClapFeatures(revision=COMMIT_B)
    assert main.source.origin == "hf_cache" and main.params["revision"] == COMMIT_A
    assert main.params["weights"] == f"laion/larger_clap_music@{COMMIT_A}"
    assert pinned_b.params["revision"] == COMMIT_B
    assert ClapFeatures(revision="v2").cache_key == pinned_b.cache_key
    assert main.cache_key != pinned_b.cache_key  # same weights, another commit: not reused
    assert main.cache_key == ClapFeatures(revision=COMMIT_A).cache_key
    snapshot = ClapFeatures(model_dir=main.source.path)  # a snapshot folder given directly
    assert snapshot.params["weights"] == main.params["weights"]
    # The cached snapshot holds the same model as the tiny folder (same seed).
    x = [broadband(SR, 12.0, seed=8)]
    np.testing.assert_allclose(main.embed_audio(x, SR), base.embed_audio(x, SR), atol=1e-6)


def test_model_in_the_data_home_folder(tmp_path, monkeypatch, _isolated_data_home, no_network):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    make_tiny_clap(_isolated_data_home / "models" / "clap_music")
    space = ClapFeatures()
    assert space.source.origin == "data_home" and space.params["weights"].startswith("sha256:")
    assert space.embed_audio([broadband(SR, 3.0)], SR).shape == (1, 16)


def test_cached_features_never_serves_a_stale_array(tmp_path, clips):
    folder = make_tiny_clap(tmp_path / "model", seed=0)
    calls = []

    def run(space):
        def compute():
            calls.append(space.params["pooling"])
            return space.embed_audio(clips, SR)

        return cached_features(
            space, dataset_key="toy", clip_ids=["a", "b", "c"], compute=compute,
            data_home=tmp_path / "home",
        )  # fmt: skip

    first = run(ClapFeatures(model_dir=folder))
    np.testing.assert_array_equal(run(ClapFeatures(model_dir=folder, batch_size=2)), first)
    assert len(calls) == 1  # a hit
    maxed = run(ClapFeatures(model_dir=folder, pooling="max"))
    assert len(calls) == 2 and np.abs(maxed - first).max() > 1e-4
    make_tiny_clap(folder, seed=1)  # new weights in the same folder
    retrained = run(ClapFeatures(model_dir=folder))
    assert len(calls) == 3 and np.abs(retrained - first).max() > 1e-3
    np.testing.assert_allclose(
        retrained, ClapFeatures(model_dir=folder).embed_audio(clips, SR), atol=1e-6
    )


def test_missing_model_says_how_to_get_it(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(FileNotFoundError) as info:
        ClapFeatures()
    msg = str(info.value)
    assert f"hf download laion/larger_clap_music --revision {COMMIT_A}" in msg
    assert "huggingface-cli download" in msg and "model_dir=" in msg
    assert "never downloads" in msg and "models/clap_music" in msg
    with pytest.raises(FileNotFoundError, match="--revision 1234abc"):
        get_feature_space("clap", revision="1234abc")
    make_hf_cache(tmp_path / "hub", "laion/larger_clap_music", COMMIT_A, make_tiny_clap)
    with pytest.raises(FileNotFoundError, match="but not its revision 'v9'"):
        ClapFeatures(revision="v9")
    with pytest.raises(FileNotFoundError, match=r"model_dir must be a folder .* does not exist"):
        ClapFeatures(model_dir=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"has no config\.json"):
        ClapFeatures(model_dir=tmp_path / "empty")


def test_missing_extra_names_it(clap_dir, monkeypatch):
    space = ClapFeatures(model_dir=clap_dir)  # finding the weights needs no torch
    _load_clap.cache_clear()
    monkeypatch.setitem(sys.modules, "transformers", None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'b2m-explorer\[clap\]'"):
            space.embed_audio([np.zeros(SR)], SR)
    finally:
        _load_clap.cache_clear()


def test_bad_inputs(clap_dir):
    space = ClapFeatures(model_dir=clap_dir)
    bad = np.ones(SR)
    bad[5] = np.nan
    with pytest.raises(ValueError, match=r"waveforms\[1\] must be finite; received 1 NaN"):
        space.embed_audio([np.ones(SR), bad], SR)
    for sr in (0, -1, 22050.5, "22050", True):
        with pytest.raises(ValueError, match="sr must be a positive integer sampling rate"):
            space.embed_audio([np.ones(SR)], sr)
    with pytest.raises(ValueError, match="waveforms must contain at least one clip; received 0"):
        space.embed_audio([], SR)
    with pytest.raises(ValueError, match=r"received an array of shape \(22050,\)"):
        space.embed_audio(np.ones(SR), SR)
    with pytest.raises(TypeError, match="received a single str"):
        space.embed_text("a caption")
    with pytest.raises(ValueError, match="texts must contain at least one text"):
        space.embed_text([])
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str; received int"):
        space.embed_text(["ok", 3])
    cases = {
        "pooling must be one of \\['mean', 'max'\\]; received 'median'": {"pooling": "median"},
        "window_seconds must be at most the model's input length, 10 s": {"window_seconds": 12},
        "window_seconds must be a positive number of seconds; received 0": {"window_seconds": 0},
        "hop_seconds must be a positive number of seconds or None": {"hop_seconds": -1.5},
        "batch_size must be a positive integer; received 0": {"batch_size": 0},
        "max_text_tokens must be a positive integer; received 2.5": {"max_text_tokens": 2.5},
        "device must be a str": {"device": 0},
        "model must be a Hugging Face repository id": {"model": "not a repo id!"},
        "revision must be a branch, tag or commit name": {"revision": "../../etc"},
    }
    for message, kwargs in cases.items():
        with pytest.raises(ValueError, match=message):
            ClapFeatures(model_dir=clap_dir, **kwargs)
    with pytest.raises(TypeError, match="Invalid parameters for feature space 'clap'"):
        get_feature_space("clap", model_dir=clap_dir, layers=3)
