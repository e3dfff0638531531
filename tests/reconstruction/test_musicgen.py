"""MusicGen generation end to end on a tiny randomly initialised model (no weights fetched)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from b2m.reconstruction import MusicGenReconstructor

CAPTIONS = [
    "a fast rock track with guitar and drums",
    "a slow jazz tune with piano and bass",
    "calm classical piece with strings",
    "energetic metal with guitar",
]


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture(scope="module")
def train():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 5)) * 3
    emb = np.repeat(centres, 5, axis=0) + 0.1 * rng.normal(size=(20, 5))
    captions = [c for c in CAPTIONS for _ in range(5)]
    return emb, captions, [f"train{i:02d}" for i in range(20)], centres


@pytest.mark.parametrize(
    "device",
    ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not _cuda_available(), reason="no GPU"))],
)
def test_tiny_musicgen_end_to_end(tiny_musicgen, train, device):
    emb, captions, ids, centres = train
    rec = MusicGenReconstructor(
        model_dir=tiny_musicgen, max_new_tokens=12, device=device, seed=7, batch_size=2
    ).fit(emb, captions=captions, clip_ids=ids)
    queries = centres[[1, 3, 0]] + 0.05
    out = rec.reconstruct(queries, ["q1", "q3", "q0"], k=2)
    assert [len(row) for row in out] == [2, 2, 2]
    first = out[0][0]
    assert first.backend == "musicgen" and first.sr == 8000
    assert first.audio.dtype == np.float32 and first.audio.ndim == 1 and first.audio.size > 0
    assert np.isfinite(first.audio).all() and np.abs(first.audio).max() > 0
    # the prompt is the caption of the nearest training clip
    assert first.provenance["prompt_text"] == CAPTIONS[1]
    assert out[1][0].provenance["prompt_text"] == CAPTIONS[3]
    assert first.provenance["source_clip_ids"][0] in ids[5:10]
    assert first.provenance["device"] == device
    assert first.provenance["params"]["model_dir"] == str(tiny_musicgen)
    assert first.label.startswith("MusicGen: a slow jazz")
    # deterministic for a seed; another rank (another sampling seed) differs
    again = MusicGenReconstructor(
        model_dir=tiny_musicgen, max_new_tokens=12, device=device, seed=7, batch_size=2
    ).fit(emb, captions=captions, clip_ids=ids)
    np.testing.assert_array_equal(
        again.reconstruct(queries, ["q1", "q3", "q0"], k=2)[0][0].audio, first.audio
    )
    assert not np.array_equal(out[0][0].audio, out[0][1].audio)


def test_tiny_musicgen_attribute_prompts(tiny_musicgen, train):
    emb, _, ids, _ = train
    genres = ["rock", "jazz", "classical", "metal"]
    attrs = [
        {
            "genre": genres[i // 5], "mode": ["major", "minor"][i % 2],
            "instruments": ["piano", "drums"] if i % 2 else ["strings"], "drums": bool(i % 2),
            "tempo": 80.0 + 10 * (i // 5), "brightness": 0.5, "distortion": 0.1,
            "note_density": 2.0, "register": 70, "bass_level": 0.5, "reverb": 0.2,
            "dynamics": 0.2, "drum_level": 0.5 * (i % 2), "swing": 0.5,
            "valence": 0.5, "arousal": 0.6,
        }
        for i in range(20)
    ]  # fmt: skip
    rec = MusicGenReconstructor(
        model_dir=tiny_musicgen, prompt="attributes", max_new_tokens=8, device="cpu"
    ).fit(emb, attributes=attrs, clip_ids=ids)
    (row,) = rec.reconstruct(emb[12:13], ["q"])
    text = row[0].provenance["prompt_text"]
    assert "classical music at" in text and "BPM" in text
    assert row[0].provenance["predicted"]["genre"]["classical"] > 0.5


def test_musicgen_bad_inputs(tiny_musicgen, train):
    emb, captions, _, _ = train
    with pytest.raises(ValueError, match="prompt must be one of"):
        MusicGenReconstructor(prompt="lyrics")
    with pytest.raises(ValueError, match="max_new_tokens must be a positive integer; received 0"):
        MusicGenReconstructor(max_new_tokens=0)
    with pytest.raises(FileNotFoundError, match="model_dir must be a directory"):
        MusicGenReconstructor(model_dir=tiny_musicgen / "missing")
    with pytest.raises(ValueError, match=r"captions must be a sequence of 20 str .* received None"):
        MusicGenReconstructor(model_dir=tiny_musicgen).fit(emb)
    with pytest.raises(RuntimeError, match="not fitted"):
        MusicGenReconstructor(model_dir=tiny_musicgen).reconstruct(emb[:1], ["q"])
    rec = MusicGenReconstructor(model_dir=tiny_musicgen, max_new_tokens=4, device="cpu")
    rec.fit(emb, captions=captions)
    with pytest.raises(ValueError, match=r"decoded_embeddings must have 5 columns .*\(1, 4\)"):
        rec.reconstruct(emb[:1, :4], ["q"])
    with pytest.raises(ValueError, match="k must be a positive integer; received -1"):
        rec.reconstruct(emb[:1], ["q"], k=-1)


def test_musicgen_missing_weights_say_how_to_get_them(train):
    emb, captions, _, _ = train
    rec = MusicGenReconstructor(
        "b2m-tests/no-such-musicgen", revision="0123abc", max_new_tokens=4
    ).fit(emb, captions=captions)
    with pytest.raises(
        FileNotFoundError,
        match=r"(?s)could not be loaded from the Hugging Face cache \(revision '0123abc'\).*huggingface-cli download b2m-tests/no-such-musicgen --revision 0123abc",
    ):
        rec.reconstruct(emb[:1], ["q"])


def test_musicgen_missing_extra_names_it(train, monkeypatch):
    emb, captions, _, _ = train
    rec = MusicGenReconstructor(max_new_tokens=4).fit(emb, captions=captions)
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r"install the \[generate\] extra"):
        rec.reconstruct(emb[:1], ["q"])


def test_cuda_request_without_gpu_falls_back_with_a_warning(tiny_musicgen, train):
    if _cuda_available():
        pytest.skip("a GPU is present: the fallback cannot be observed")
    emb, captions, _, _ = train
    rec = MusicGenReconstructor(model_dir=tiny_musicgen, max_new_tokens=4, device="cuda")
    rec.fit(emb, captions=captions)
    with pytest.warns(RuntimeWarning, match="torch sees no CUDA device; using the CPU"):
        out = rec.reconstruct(emb[:1], ["q"])
    assert out[0][0].provenance["device"] == "cpu"
