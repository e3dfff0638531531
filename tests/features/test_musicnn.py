"""musicnn: the PyTorch port and NumPy front-end against the original TensorFlow model.

``b2m/features/data/musicnn/reference_outputs.npz`` (written by ``tools/convert_musicnn.py``)
holds librosa's log-mel of three synthetic signals and the outputs of musicnn's ORIGINAL
TensorFlow graph for every 3-s patch of that log-mel. Tolerances (absolute):

- front-end vs librosa's log-mel (values 0-6): 1e-4 (measured ~1.5e-6);
- network vs TensorFlow given the same log-mel: tag logits 2e-4, tag probabilities 1e-4
  (measured ~1.6e-5 and ~2.5e-6), 200-d penultimate 1e-4 x its largest magnitude (~3;
  measured ~1.3e-5 absolute);
- the whole pipeline (waveform -> clip embedding) vs the mean of TensorFlow's patch outputs:
  the same bounds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from b2m.features import (
    MusicnnFeatures,
    MusicnnMSDFeatures,
    MusicnnMSDTagFeatures,
    MusicnnTagFeatures,
    _musicnn,
    cached_features,
    get_feature_space,
)
from b2m.features._musicnn import musicnn_logmel, musicnn_tags, slaney_mel_filterbank

requires_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="needs the [musicnn] extra (torch)"
)
DATA = _musicnn._DATA_DIR
MODELS = {"MTT_musicnn": (MusicnnFeatures, MusicnnTagFeatures),
          "MSD_musicnn": (MusicnnMSDFeatures, MusicnnMSDTagFeatures)}  # fmt: skip
TOL_LOGMEL, TOL_LOGITS, TOL_PROBS, TOL_PEN_REL = 1e-4, 2e-4, 1e-4, 1e-4


def _tool_module():
    """tools/convert_musicnn.py (which made the references), loaded from its file: its
    module level needs only NumPy, so the test signals have one definition."""
    path = Path(__file__).resolve().parents[2] / "tools" / "convert_musicnn.py"
    spec = importlib.util.spec_from_file_location("_convert_musicnn", path)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ):  # it sets TensorFlow's variables: not kept here
        spec.loader.exec_module(module)
    return module


def reference_signals() -> list[np.ndarray]:
    """The tool's three test signals: a 6-s chord, a noise burst, a click train."""
    return _tool_module().reference_signals()


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA / "reference_outputs.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.fixture(scope="module")
def signals(ref):
    sig = reference_signals()
    for i, y in enumerate(sig):  # the formulas still give the signals the references used
        np.testing.assert_allclose(y[:512], ref[f"signal{i}_head"], atol=1e-6)
        np.testing.assert_allclose(np.sum(y.astype(np.float64) ** 2), ref[f"signal{i}_sumsq"],
                                   rtol=1e-6)  # fmt: skip
    return sig


def patches(logmel):
    n = logmel.shape[0] // 187
    return logmel[: n * 187].reshape(n, 187, 96)


def _chord(sr: int, seconds: float = 6.0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return sum(0.2 / k * np.sin(2 * np.pi * k * f * t) for f in (196.0, 246.94, 293.66)
               for k in (1, 2, 3))  # fmt: skip


# --- shipped files --------------------------------------------------------------------------


def test_weight_files_are_float32_npz_with_tags_and_checksums():
    sums = dict(reversed(line.split()) for line in (DATA / "SHA256SUMS").read_text().splitlines())
    for model, (space, _) in MODELS.items():
        path = DATA / f"{model}.npz"
        assert sums[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert path.stat().st_size < 4_000_000
        with np.load(path, allow_pickle=False) as npz:
            tags = npz["tag_names"]
            assert tags.dtype.kind == "U" and tags.shape == (50,)
            assert all(npz[k].dtype == np.float32 for k in npz.files if k != "tag_names")
        assert space().tag_names == [str(t) for t in tags]
    assert "classical" in MusicnnFeatures().tag_names
    assert "classical" not in MusicnnMSDFeatures().tag_names
    assert (DATA / "reference_outputs.npz").stat().st_size < 300_000
    licence = (DATA / "LICENSE").read_text()
    for phrase in ("Universitat Pompeu Fabra", "Permission to use, copy, modify", "converted",
                   "optimiser state"):  # fmt: skip
        assert phrase in licence


# --- front-end ------------------------------------------------------------------------------


def test_mel_filterbank_is_slaney():
    fb = slaney_mel_filterbank(16000, 512, 96)
    assert fb.shape == (96, 257) and (fb >= 0).all()
    # Slaney area normalisation: each triangle has unit area in Hz (to 1e-4 on the linear
    # part of the scale, below 1 kHz, where all triangles have the same width in Hz).
    areas = np.trapezoid(fb, np.linspace(0, 8000, 257), axis=1)
    np.testing.assert_allclose(areas[:30], 1.0, rtol=1e-4)
    np.testing.assert_allclose(areas, 1.0, rtol=0.1)
    assert np.argmax(fb[0]) == 1 and np.argmax(fb[-1]) >= 240


def test_frontend_matches_librosa(ref, signals):
    for i, y in enumerate(signals):
        ours, theirs = musicnn_logmel(y), ref[f"signal{i}_logmel"]
        assert ours.dtype == np.float32 and ours.shape == theirs.shape == (1 + y.size // 256, 96)
        assert np.abs(ours - theirs).max() <= TOL_LOGMEL, i
    # The edges are sensitive to the padding: zero padding (librosa >= 0.10's default) would
    # change the first frame of the chord by far more than the tolerance.
    y = signals[0].astype(np.float64)
    zero_padded = musicnn_logmel(np.concatenate([np.zeros(256), y[256:]]))[0]
    assert np.abs(zero_padded - ref["signal0_logmel"][0]).max() > 100 * TOL_LOGMEL


# --- network vs TensorFlow ------------------------------------------------------------------


def _assert_float32_close(got, expected, squares, n_terms):
    """``got`` (float32 sums of ``n_terms`` terms) equals the float64 ``expected`` within
    10 times the rounding of a float32 sum, ``√n·ε·‖terms‖`` per output.

    ``squares``: the sum of the squared terms of each output (``‖terms‖²``, float64). The
    summation order is the library's (oneDNN, OpenBLAS) and differs between CPUs, so the
    reference is float64, not float32 ``conv``'s own rounding. A wrong tap or band errs by
    about ``‖terms‖``: 10⁴ times this bound for the shapes below.
    """
    import torch

    tolerance = 10 * torch.finfo(torch.float32).eps * n_terms**0.5 * squares.sqrt()
    err = (got.double() - expected).abs()
    worst = (err - tolerance).flatten().argmax()
    assert (err <= tolerance).all(), (
        f"{int((err > tolerance).sum())} of {err.numel()} outputs beyond float32 rounding; "
        f"worst: error {err.flatten()[worst]:.3g} > tolerance {tolerance.flatten()[worst]:.3g}"
    )


@requires_torch
@pytest.mark.parametrize(
    ("n_time", "n_freq", "kt", "kf", "block"),
    [
        (193, 96, 7, 38, 6),  # a timbral kernel: frequency in blocks
        (20, 11, 3, 5, 4),  # outputs (7) not a multiple of the block
        (40, 9, 17, 2, 6),  # a temporal-like kernel: time in blocks, 2 bands as channels
        (12, 6, 1, 6, 32),  # one output per row, block larger than the outputs
        (9, 9, 9, 9, 6),  # kernel as large as the input
    ],
)
def test_banded_products_equal_the_convolution(n_time, n_freq, kt, kf, block, monkeypatch):
    torch = pytest.importorskip("torch")
    from torch.nn.functional import conv1d, conv2d

    from b2m.features import _musicnn_model

    monkeypatch.setattr(_musicnn_model, "_BLOCK", block)
    gen = torch.Generator().manual_seed(kt * 100 + kf)
    x = torch.randn(3, n_time, n_freq, generator=gen)
    w = torch.randn(5, kt, kf, generator=gen)
    got = _musicnn_model._max_over_frequency(x, w)
    assert got.shape == (3, n_time - kt + 1, 5)
    x64, w64 = x[:, None].double(), w[:, None].double()
    expected = conv2d(x64, w64).amax(dim=3).transpose(1, 2)  # (B, C, T, F) → (B, T, C)
    # |max a − max b| ≤ max |a − b|: the largest bound over frequency holds for the maximum
    squares = conv2d(x64**2, w64**2).amax(dim=3).transpose(1, 2)
    _assert_float32_close(got, expected, squares, kt * kf)
    # ...and the 1-D correlation it is made of, with several input channels (taps)
    w1 = torch.randn(5, n_time, kf, generator=gen)
    got = _musicnn_model._correlate_blocked(x, w1)
    assert got.shape == (3, n_freq - kf + 1, 5)
    expected = conv1d(x.double(), w1.double()).transpose(1, 2)
    squares = conv1d(x.double() ** 2, w1.double() ** 2).transpose(1, 2)
    _assert_float32_close(got, expected, squares, n_time * kf)


@requires_torch
@pytest.mark.parametrize("model", list(MODELS))
def test_network_matches_tensorflow_on_the_same_logmel(ref, model):
    torch = pytest.importorskip("torch")
    space = MODELS[model][0]()
    net = _musicnn._load_net(str(space._path), space._sha, "cpu")
    for i in range(3):
        x = patches(ref[f"signal{i}_logmel"])
        with torch.inference_mode():
            pen, logits = (t.numpy() for t in net(torch.from_numpy(np.ascontiguousarray(x))))
        tf_pen = ref[f"signal{i}_{model}_penultimate"]
        assert pen.shape == tf_pen.shape == (len(x), 200)
        assert np.abs(pen - tf_pen).max() <= TOL_PEN_REL * np.abs(tf_pen).max()
        assert np.abs(logits - ref[f"signal{i}_{model}_logits"]).max() <= TOL_LOGITS
        probs = 1 / (1 + np.exp(-logits.astype(np.float64)))
        assert np.abs(probs - ref[f"signal{i}_{model}_probs"]).max() <= TOL_PROBS


@requires_torch
@pytest.mark.parametrize("model", list(MODELS))
def test_pipeline_matches_tensorflow_means(ref, signals, model):
    emb_space, tag_space = (cls() for cls in MODELS[model])
    emb, logits = emb_space.embed_audio(signals, 16000), tag_space.embed_audio(signals, 16000)
    assert emb.shape == (3, 200) and logits.shape == (3, 50) and emb.dtype == np.float32
    for i in range(3):
        tf_pen = ref[f"signal{i}_{model}_penultimate"]
        assert np.abs(emb[i] - tf_pen.mean(0)).max() <= TOL_PEN_REL * np.abs(tf_pen).max()
        assert np.abs(logits[i] - ref[f"signal{i}_{model}_logits"].mean(0)).max() <= TOL_LOGITS
    table = musicnn_tags(signals, 16000, model=model[:3])
    assert list(table.columns) == emb_space.tag_names and table.shape == (3, 50)
    for i in range(3):
        expected = ref[f"signal{i}_{model}_probs"].mean(0)
        assert np.abs(table.iloc[i].to_numpy() - expected).max() <= TOL_PROBS


@requires_torch
@pytest.mark.parametrize("model", list(MODELS))
def test_mean_logits_equal_tag_layer_of_mean_embedding(signals, model):
    emb_space, tag_space = (cls() for cls in MODELS[model])
    emb = emb_space.embed_audio(signals, 16000)
    np.testing.assert_allclose(emb_space.tags_from_embedding(emb),
                               tag_space.embed_audio(signals, 16000), atol=2e-5)  # fmt: skip
    # ...and per patch: the 200-d vector feeds the affine tag layer with nothing in between.
    pen = emb_space.embed_audio_patches(signals[:1], 16000)[0]
    np.testing.assert_allclose(emb_space.tags_from_embedding(pen),
                               tag_space.embed_audio_patches(signals[:1], 16000)[0], atol=2e-5)  # fmt: skip
    probs = emb_space.tag_probabilities(emb)
    assert ((probs > 0) & (probs < 1)).all() and probs.shape == (3, 50)


# --- batching, resampling, patches ------------------------------------------------------------


@requires_torch
def test_batching_and_input_forms_do_not_change_results(signals):
    alone = MusicnnFeatures(batch_size=1).embed_audio(signals[2:], 16000)
    mixed = MusicnnFeatures(batch_size=2).embed_audio(signals, 16000)
    np.testing.assert_allclose(mixed[2:], alone, atol=1e-5)
    equal_length = np.stack([signals[1], signals[2]])
    np.testing.assert_allclose(MusicnnFeatures().embed_audio(equal_length, 16000), mixed[1:],
                               atol=1e-5)  # fmt: skip


@requires_torch
def test_resampled_input_gives_nearly_the_same_embedding():
    space = MusicnnFeatures()
    at_16k = space.embed_audio([_chord(16000)], 16000)[0]
    at_22k = space.embed_audio([_chord(22050)], 22050)[0]
    assert np.linalg.norm(at_22k - at_16k) / np.linalg.norm(at_16k) < 0.01  # measured 0.0016
    assert np.corrcoef(at_22k, at_16k)[0, 1] > 0.999


@requires_torch
def test_hop_seconds_overlaps_patches(signals):
    plain = MusicnnFeatures().embed_audio_patches(signals[:1], 16000)[0]
    overlapping = MusicnnFeatures(hop_seconds=1.0).embed_audio_patches(signals[:1], 16000)[0]
    assert plain.shape == (2, 200) and overlapping.shape == (4, 200)  # 376 frames, 62-frame hop
    np.testing.assert_allclose(overlapping[0], plain[0], atol=1e-5)
    assert MusicnnFeatures(hop_seconds=1.0).cache_key != MusicnnFeatures().cache_key


# --- bad input ------------------------------------------------------------------------------


@requires_torch
def test_bad_inputs_raise_clear_errors(signals):
    space = MusicnnFeatures()
    short = np.zeros(2 * 22050)
    with pytest.raises(ValueError, match=r"waveforms\[1\] lasts 2\.000 s.*2\.976 s"):
        space.embed_audio([_chord(22050), short], 22050)
    with pytest.raises(ValueError, match=r"waveforms\[0\] lasts 2\.970 s"):
        space.embed_audio([np.zeros(47520)], 16000)
    for sr in (0, -16000, 16000.5, "16000", True):
        with pytest.raises(ValueError, match="sr must be a positive integer"):
            space.embed_audio(signals[:1], sr)
    bad = signals[1].copy()
    bad[100] = np.nan
    with pytest.raises(ValueError, match=r"waveforms\[1\] must be finite"):
        space.embed_audio([signals[2], bad], 16000)
    with pytest.raises(ValueError, match="at least one clip"):
        space.embed_audio([], 16000)
    with pytest.raises(ValueError, match="hop_seconds"):
        MusicnnFeatures(hop_seconds=0)
    with pytest.raises(ValueError, match="batch_size"):
        MusicnnFeatures(batch_size=0)
    with pytest.raises(ValueError, match="embeddings must have shape"):
        space.tags_from_embedding(np.zeros((2, 50)))
    with pytest.raises(ValueError, match="model must be one of"):
        musicnn_tags(signals[:1], 16000, model="GTZAN")


@requires_torch
def test_minimum_length_is_one_patch_and_silence_embeds():
    space = MusicnnFeatures()
    out = space.embed_audio([np.zeros(47616), np.zeros(4 * 16000)], 16000)  # 2.976 s: 1 patch
    assert out.shape == (2, 200) and np.isfinite(out).all()
    np.testing.assert_allclose(out[0], out[1], atol=1e-5)  # silence is silence, whatever its length
    assert np.abs(out[0]).max() > 0  # the model's response to silence, not zeros or NaN


def test_missing_torch_names_the_extra(monkeypatch, signals):
    monkeypatch.setitem(sys.modules, "torch", None)
    space = MusicnnFeatures()  # building and the tag layer need no torch
    assert space.tags_from_embedding(np.zeros((1, 200))).shape == (1, 50)
    with pytest.raises(ImportError, match=r"b2m-explorer\[musicnn\]"):
        space.embed_audio(signals[:1], 16000)


# --- weight integrity and cache keys ----------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    copy = tmp_path / "musicnn"
    shutil.copytree(DATA, copy)
    monkeypatch.setattr(_musicnn, "_DATA_DIR", copy)
    return copy


def test_corrupt_weight_file_raises_naming_file_and_fix(data_copy):
    path = data_copy / "MTT_musicnn.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 8] = bytes(
        b ^ 0xFF for b in raw[len(raw) // 2 : len(raw) // 2 + 8]
    )
    path.write_bytes(bytes(raw))
    with pytest.raises(OSError, match=r"MTT_musicnn\.npz is corrupt.*convert_musicnn\.py"):
        MusicnnFeatures()
    with pytest.raises(OSError, match="corrupt"):
        get_feature_space("musicnn-tags")
    MusicnnMSDFeatures()  # the other model is intact


def test_missing_weight_file_or_checksums_raise(data_copy):
    (data_copy / "MSD_musicnn.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"MSD_musicnn\.npz is missing.*[Rr]einstall"):
        MusicnnMSDFeatures()
    (data_copy / "SHA256SUMS").unlink()
    with pytest.raises(FileNotFoundError, match="SHA256SUMS"):
        MusicnnFeatures()


def test_cache_key_follows_the_weights(data_copy, tmp_path):
    before = MusicnnFeatures()
    emb = np.zeros((1, 200))
    logits_before = before.tags_from_embedding(emb)
    path = data_copy / "MTT_musicnn.npz"
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["classifier.bias"] = arrays["classifier.bias"] + np.float32(1.0)
    np.savez_compressed(path, **arrays)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = (data_copy / "SHA256SUMS").read_text().splitlines()
    sums = [f"{digest}  {path.name}" if line.endswith(path.name) else line for line in sums]
    (data_copy / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    after = MusicnnFeatures()
    assert after.version == f"1-{digest[:12]}" and before.version != after.version
    assert before.cache_key != after.cache_key
    assert MusicnnMSDFeatures().cache_key == MusicnnMSDFeatures().cache_key
    np.testing.assert_allclose(after.tags_from_embedding(emb), logits_before + 1.0, atol=1e-6)
    _musicnn._load_weights.cache_clear()
    with pytest.raises(OSError, match="changed on disk"):  # the old space never reads new weights
        before.tags_from_embedding(emb)
    calls = []
    for space in (before, after):
        cached_features(space, dataset_key="t", clip_ids=["a"], data_home=tmp_path,
                        compute=lambda: calls.append(1) or np.zeros((1, 200)))  # fmt: skip
    assert len(calls) == 2  # a new file for the new weights, not the old cache


# --- registry -------------------------------------------------------------------------------


def test_registry_builds_the_four_spaces():
    for name, cls in (("musicnn", MusicnnFeatures), ("musicnn-tags", MusicnnTagFeatures),
                      ("musicnn-msd", MusicnnMSDFeatures),
                      ("musicnn-msd-tags", MusicnnMSDTagFeatures)):  # fmt: skip
        space = get_feature_space(name, batch_size=4)
        assert type(space) is cls and space.modality == "audio"
        assert len(space.feature_names) == space.n_features
    assert get_feature_space("musicnn-tags").feature_names == MusicnnTagFeatures().tag_names
    assert MusicnnFeatures(device="cpu", batch_size=3) == MusicnnFeatures()  # not in the key
    with pytest.raises(TypeError, match="musicnn"):
        get_feature_space("musicnn", window_seconds=3)
