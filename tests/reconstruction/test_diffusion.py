"""AudioLDM / MusicLDM conditioned on the decoded CLAP embedding, end to end on tiny random
pipelines (no weights fetched)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from _tiny_diffusion import TINY_SR, TINY_WIDTH, make_tiny_audioldm, make_tiny_musicldm

from b2m.reconstruction import (
    BACKENDS,
    DEFAULT_AUDIOLDM,
    CLAPDiffusionReconstructor,
    make_reconstructor,
    reconstruct_study,
)

SR = 22050
#: Short, cheap generations: 2 steps, 0.1 s of audio, 10 ms fades.
FAST = {"num_inference_steps": 2, "duration_s": 0.1, "fade_seconds": 0.01, "sr": SR}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture(scope="module")
def tiny_audioldm(tmp_path_factory):
    return make_tiny_audioldm(tmp_path_factory.mktemp("tiny_audioldm"))


@pytest.fixture(scope="module")
def tiny_musicldm(tmp_path_factory):
    return make_tiny_musicldm(tmp_path_factory.mktemp("tiny_musicldm"))


@pytest.fixture(scope="module")
def stats():
    """Decoder-like standardisation statistics of an 8-d CLAP space, and decoded rows."""
    rng = np.random.default_rng(0)
    mean = rng.normal(size=TINY_WIDTH) * 0.3
    scale = rng.uniform(0.05, 0.2, TINY_WIDTH)
    decoded = rng.normal(size=(3, TINY_WIDTH))
    return mean, scale, decoded


def _rec(model_dir, **kw) -> CLAPDiffusionReconstructor:
    return CLAPDiffusionReconstructor(model_dir=model_dir, **{**FAST, **kw})


def _differ(a, b) -> bool:
    """Audibly different clips (RMS 0.1): beyond the float noise of another batch size."""
    return float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))) > 1e-3


# --------------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "device",
    ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not _cuda_available(), reason="no GPU"))],
)
def test_audioldm_end_to_end(tiny_audioldm, stats, device):
    mean, scale, decoded = stats
    rec = _rec(tiny_audioldm, seed=3, batch_size=2, device=device).fit(mean, scale)
    out = rec.reconstruct(decoded, ["a", "b", "c"], k=2)
    assert [len(row) for row in out] == [2, 2, 2]
    n_out = round(FAST["duration_s"] * SR)
    for i, row in enumerate(out):
        for r, clip in enumerate(row):
            assert (clip.target_clip_id, clip.rank, clip.backend) == ("abc"[i], r, "diffusion")
            assert clip.sr == SR and clip.audio.shape == (n_out,)
            assert clip.audio.dtype == np.float32 and np.isfinite(clip.audio).all()
            # the stimulus treatment: silent ends (linear fades) and an RMS of 0.1
            assert clip.audio[0] == 0 and clip.audio[-1] == 0
            assert np.sqrt(np.mean(clip.audio.astype(np.float64) ** 2)) == pytest.approx(0.1)
    first = out[0][0]
    p = first.provenance
    assert p["conditioning"] == "decoded clap audio embedding"
    assert p["model"] == DEFAULT_AUDIOLDM and p["revision"] is None  # a model_dir, no revision
    assert p["weights"].startswith("sha256:") and p["origin"] == "model_dir"
    assert p["pipeline"] == "AudioLDMPipeline" and p["device"] == device
    assert (p["seed"], p["steps"], p["guidance_scale"]) == (3, 2, 2.5)
    assert p["conditioning_dim"] == TINY_WIDTH and p["unstandardised"] is True
    assert p["model_sr"] == TINY_SR and p["negative_prompt"] == ""
    assert p["params"]["model_dir"] == str(tiny_audioldm)
    assert p["clap_norm"] == pytest.approx(np.linalg.norm(decoded[0] * scale + mean))
    assert first.label.startswith("AudioLDM from the decoded CLAP embedding")
    # every clip starts from its own noise
    assert len({c.provenance["clip_seed"] for row in out for c in row}) == 6
    assert _differ(out[0][0].audio, out[0][1].audio)
    # deterministic given the seed, whatever the batch size
    again = _rec(tiny_audioldm, seed=3, batch_size=2, device=device).fit(mean, scale)
    np.testing.assert_array_equal(again.reconstruct(decoded, ["a", "b", "c"], k=2)[0][0].audio,
                                  first.audio)  # fmt: skip
    one = _rec(tiny_audioldm, seed=3, batch_size=1, device=device).fit(mean, scale)
    np.testing.assert_allclose(
        one.reconstruct(decoded[:1], ["a"])[0][0].audio, first.audio, rtol=1e-4, atol=1e-5
    )
    other_seed = _rec(tiny_audioldm, seed=4, batch_size=1, device=device).fit(mean, scale)
    assert _differ(other_seed.reconstruct(decoded[:1], ["a"])[0][0].audio, first.audio)


def test_the_embedding_drives_the_audio(tiny_audioldm, stats):
    mean, scale, decoded = stats
    rec = _rec(tiny_audioldm).fit(mean, scale)
    # the same position (the same noise) with another embedding gives other audio
    a = rec.reconstruct(decoded[[0]], ["t"])[0][0].audio
    b = rec.reconstruct(decoded[[1]], ["t"])[0][0].audio
    assert _differ(a, b)
    # ...and the same embedding the same audio
    np.testing.assert_array_equal(rec.reconstruct(decoded[[0]], ["t"])[0][0].audio, a)
    # the decoded row is un-standardised, then scaled to unit length before conditioning
    clap = decoded[[0]] * scale + mean
    raw = _rec(tiny_audioldm).fit()  # rows in CLAP units already
    np.testing.assert_allclose(raw.reconstruct(3.0 * clap, ["t"])[0][0].audio, a, atol=1e-5)
    assert raw.reconstruct(3.0 * clap, ["t"])[0][0].provenance["unstandardised"] is False
    expected = clap / np.linalg.norm(clap)
    np.testing.assert_allclose(rec.conditioning(decoded[[0]]), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(rec.conditioning(decoded), axis=1), 1.0, rtol=1e-6)
    # guidance uses the unconditional (empty-text) branch: without it the audio changes
    unguided = _rec(tiny_audioldm, guidance_scale=1.0).fit(mean, scale)
    assert _differ(unguided.reconstruct(decoded[[0]], ["t"])[0][0].audio, a)


def test_resampled_and_faded_as_the_stimuli(tiny_audioldm, stats):
    from b2m._utils._audio import resample

    mean, scale, decoded = stats

    def generate(**kw):
        rec = _rec(tiny_audioldm, **kw).fit(mean, scale)
        return rec.reconstruct(decoded[:1], ["t"])[0][0].audio.astype(np.float64)

    faded, plain = generate(), generate(fade_seconds=0.0)
    # the vocoder's 16 kHz output resampled to the stimuli's rate (no padding, no cut)
    native = generate(fade_seconds=0.0, sr=TINY_SR)
    expected = resample(native, TINY_SR, SR)
    assert native.size == round(FAST["duration_s"] * TINY_SR) and expected.size == plain.size
    np.testing.assert_allclose(plain, expected * np.sqrt(np.mean(plain**2) / np.mean(expected**2)),
                               rtol=1e-4, atol=1e-6)  # fmt: skip
    n = round(FAST["fade_seconds"] * SR)
    gain = np.median(faded[n:-n] / plain[n:-n])  # the two RMS normalisations differ by a gain
    np.testing.assert_allclose(faded[n:-n], gain * plain[n:-n], rtol=1e-4, atol=1e-6)
    ramp = np.linspace(0.0, 1.0, n)
    np.testing.assert_allclose(faded[:n], gain * plain[:n] * ramp, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(faded[-n:], gain * plain[-n:] * ramp[::-1], rtol=1e-4, atol=1e-6)


def test_musicldm_end_to_end(tiny_musicldm, stats):
    mean, scale, decoded = stats
    rec = _rec(tiny_musicldm, model="ucsd-reach/musicldm").fit(mean, scale)
    (row,) = rec.reconstruct(decoded[:1], ["t"])
    clip = row[0]
    assert clip.provenance["pipeline"] == "MusicLDMPipeline" and clip.label.startswith("MusicLDM")
    assert clip.audio.shape == (round(FAST["duration_s"] * SR),) and np.isfinite(clip.audio).all()
    # the unconditional branch is the pipeline's own unit-length CLAP text embedding of ""
    assert rec.negative_.shape == (1, TINY_WIDTH)
    assert float(rec.negative_.norm()) == pytest.approx(1.0)


def test_progress_bar_shows_seconds_per_clip(tiny_audioldm, stats, monkeypatch, capsys):
    mean, scale, decoded = stats
    monkeypatch.setenv("B2M_PROGRESS", "1")
    _rec(tiny_audioldm).fit(mean, scale).reconstruct(decoded[:2], ["a", "b"])
    err = capsys.readouterr().err
    assert "Generating (AudioLDM)" in err and "s/clip" in err


# --------------------------------------------------------------------------------------------
# Where the weights come from
# --------------------------------------------------------------------------------------------
def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch, stats):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    rec = CLAPDiffusionReconstructor(**FAST).fit(*stats[:2])
    with pytest.raises(FileNotFoundError) as info:
        rec.reconstruct(stats[2], ["a", "b", "c"])
    msg = str(info.value)
    assert "cvssp/audioldm-s-full-v2" in msg and "revision 'main'" in msg
    assert "huggingface-cli download cvssp/audioldm-s-full-v2 --revision main" in msg
    assert "hf download cvssp/audioldm-s-full-v2" in msg and "never downloads" in msg
    assert "models/audioldm_s_full_v2" in msg and "model_dir" in msg and "[generate]" in msg
    other = CLAPDiffusionReconstructor("ucsd-reach/musicldm", revision="v1").fit()
    with pytest.raises(FileNotFoundError, match=r"ucsd-reach/musicldm --revision v1"):
        other.load()


def test_weights_from_the_cache_and_the_data_home(tmp_path, monkeypatch, _isolated_data_home):
    from _tiny_models import make_hf_cache

    cache = tmp_path / "hub"
    make_hf_cache(cache, DEFAULT_AUDIOLDM, COMMIT, make_tiny_audioldm)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    rec = CLAPDiffusionReconstructor(**FAST).fit()
    rec.load()
    assert (rec.source_.origin, rec.source_.revision) == ("hf_cache", COMMIT)
    assert rec.source_.fingerprint == f"{DEFAULT_AUDIOLDM}@{COMMIT}"
    with pytest.raises(FileNotFoundError, match="revision 'v2'"):
        CLAPDiffusionReconstructor(revision="v2", **FAST).fit().load()
    make_tiny_audioldm(_isolated_data_home / "models" / "audioldm_s_full_v2")
    home = CLAPDiffusionReconstructor(**FAST).fit()
    home.load()
    assert home.source_.origin == "data_home" and home.source_.revision is None


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"num_inference_steps": 0}, r"num_inference_steps must be a positive integer; .* 0"),
        ({"num_inference_steps": -3}, r"num_inference_steps must be a positive integer"),
        ({"num_inference_steps": 2.5}, r"num_inference_steps must be a positive integer"),
        ({"num_inference_steps": True}, r"num_inference_steps must be a positive integer"),
        ({"duration_s": 0}, r"duration_s must be a positive number of seconds; received 0"),
        ({"duration_s": -1.0}, r"duration_s must be a positive number of seconds"),
        ({"duration_s": float("nan")}, r"duration_s must be a positive number of seconds"),
        ({"duration_s": "10"}, r"duration_s must be a positive number of seconds"),
        ({"guidance_scale": -0.5}, r"guidance_scale must be a finite number >= 0; .* -0.5"),
        ({"guidance_scale": float("nan")}, r"guidance_scale must be a finite number >= 0"),
        ({"guidance_scale": float("inf")}, r"guidance_scale must be a finite number >= 0"),
        ({"guidance_scale": "2.5"}, r"guidance_scale must be a finite number >= 0; .*'2.5'"),
        ({"guidance_scale": None}, r"guidance_scale must be a finite number >= 0"),
        ({"guidance_scale": True}, r"guidance_scale must be a finite number >= 0"),
        ({"fade_seconds": 0.05}, r"duration_s must be longer than two fades"),
        ({"fade_seconds": -1}, r"fade_seconds must be a number of seconds >= 0"),
        ({"target_rms": 0}, r"target_rms must be a positive number"),
        ({"batch_size": 0}, r"batch_size must be a positive integer"),
        ({"seed": -1}, r"seed must be a non-negative integer"),
        ({"sr": 0}, r"sr must be a positive integer"),
        ({"device": "tpu"}, r"device must be one of \['cpu', 'cuda'\]; received 'tpu'"),
        ({"model": "not a repo"}, r"model must be a Hugging Face repository id"),
        ({"revision": "../x"}, r"revision must be a branch, tag or commit name"),
    ],
)
def test_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        CLAPDiffusionReconstructor(**{**FAST, **kw})


def test_bad_model_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model_dir must be a folder .* does not exist"):
        CLAPDiffusionReconstructor(model_dir=tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"has no model_index\.json"):
        CLAPDiffusionReconstructor(model_dir=tmp_path)
    with pytest.raises(TypeError, match=r"negative_prompt must be a str"):
        CLAPDiffusionReconstructor(negative_prompt=None)


def test_bad_embeddings(tiny_audioldm, stats):
    mean, scale, decoded = stats
    with pytest.raises(RuntimeError, match=r"not fitted; call fit\(mean, scale\)"):
        _rec(tiny_audioldm).reconstruct(decoded, ["a", "b", "c"])
    with pytest.raises(ValueError, match="mean and scale must be given together"):
        _rec(tiny_audioldm).fit(mean)
    with pytest.raises(ValueError, match=r"scale must be positive"):
        _rec(tiny_audioldm).fit(mean, np.where(np.arange(TINY_WIDTH) == 2, 0.0, scale))
    with pytest.raises(ValueError, match=r"scale must have shape \(8\)"):
        _rec(tiny_audioldm).fit(mean, scale[:5])
    # a width other than the pipeline's conditioning width: both widths named
    with pytest.raises(ValueError, match=r"decoded embeddings are 5-d .* conditioned on 8-d"):
        _rec(tiny_audioldm).fit(mean[:5], scale[:5]).reconstruct(decoded[:, :5], ["a"] * 3)
    with pytest.raises(ValueError, match=r"decoded_embeddings are 12-d .* conditioned on 8-d"):
        _rec(tiny_audioldm).fit().reconstruct(np.ones((1, 12)), ["a"])
    rec = _rec(tiny_audioldm).fit(mean, scale)
    with pytest.raises(ValueError, match=r"must have 8 columns"):
        rec.reconstruct(decoded[:, :6], ["a", "b", "c"])
    bad = decoded.copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match=r"decoded_embeddings must be finite; received 1 NaN"):
        rec.reconstruct(bad, ["a", "b", "c"])
    bad[1, 3] = np.inf
    with pytest.raises(ValueError, match=r"decoded_embeddings must be finite"):
        rec.conditioning(bad)
    zero = (-mean / scale)[None]  # un-standardises to the zero vector: no direction
    with pytest.raises(ValueError, match=r"finite, non-zero length .* rows \[0\]"):
        rec.reconstruct(zero, ["a"])


# --------------------------------------------------------------------------------------------
# Through make_reconstructor / reconstruct_study (stub study and decoding: no CLAP weights)
# --------------------------------------------------------------------------------------------
def _stub_decoding(space: str, width: int, n: int = 2):
    rng = np.random.default_rng(1)
    scaler = SimpleNamespace(mean_=rng.normal(size=width) * 0.3, scale_=np.full(width, 0.1))
    return SimpleNamespace(
        space=space,
        decoder=SimpleNamespace(target_scaler_=scaler, transform_embeddings=None),
        decoded=rng.normal(size=(n, width)),
        test_ids=np.array([f"test{i}" for i in range(n)]),
    )


STUDY = SimpleNamespace(sample_rate=16000)


def test_make_reconstructor_for_a_clap_decoding(tiny_audioldm):
    assert "diffusion" in BACKENDS
    decoding = _stub_decoding("clap", TINY_WIDTH)
    params = {**FAST, "model_dir": tiny_audioldm}
    params.pop("sr")
    rec = make_reconstructor("diffusion", STUDY, decoding, **params)
    assert isinstance(rec, CLAPDiffusionReconstructor)
    assert rec.params["sr"] == STUDY.sample_rate  # the stimuli's rate
    np.testing.assert_array_equal(rec.mean_, decoding.decoder.target_scaler_.mean_)
    out = reconstruct_study(STUDY, decoding, "diffusion", params={"diffusion": params})
    clips = [row[0] for row in out["diffusion"]]
    assert [c.target_clip_id for c in clips] == ["test0", "test1"]
    assert all(c.sr == 16000 and c.provenance["unstandardised"] for c in clips)
    direct = rec.reconstruct(decoding.decoded[[1]], ["test1"])[0][0].audio  # alone: same noise
    np.testing.assert_allclose(direct, clips[1].audio, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="library applies to the retrieval backend only"):
        make_reconstructor("diffusion", STUDY, decoding, library="train", **params)


def test_make_reconstructor_checks_the_space(tiny_audioldm, tmp_path, monkeypatch):
    params = {**FAST, "model_dir": tiny_audioldm}
    with pytest.raises(ValueError) as info:
        make_reconstructor("diffusion", STUDY, _stub_decoding("acoustic", 5), **params)
    msg = str(info.value)
    assert "decoding must be of the 'clap' feature space" in msg and "'acoustic'" in msg
    assert "5-d" in msg and "8-d" in msg
    # another space of the pipeline's width is accepted, with a warning
    with pytest.warns(UserWarning, match=r"conditions on CLAP audio embeddings.*'genre'"):
        rec = make_reconstructor("diffusion", STUDY, _stub_decoding("genre", TINY_WIDTH), **params)
    assert rec.conditioning_dim_ == TINY_WIDTH
    # no weights: the space is still named first
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    with pytest.raises(ValueError, match=r"must be of the 'clap' feature space.*could not be"):
        make_reconstructor("diffusion", STUDY, _stub_decoding("acoustic", 5), **FAST)
