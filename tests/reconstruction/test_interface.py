"""The Reconstruction record, the Reconstructor base and retrieval (no study needed)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from b2m.models import LibraryIndex
from b2m.reconstruction import (
    Reconstruction,
    Reconstructor,
    RetrievalReconstructor,
    SynthReconstructor,
    as_neighbour_items,
)


def _rec(**kw):
    base = dict(target_clip_id="t1", backend="x", rank=0, audio=np.zeros(10), sr=8000, label="lbl")
    return Reconstruction(**(base | kw))


def test_reconstruction_record_is_normalised_and_json_ready():
    rec = _rec(
        audio=np.arange(8000, dtype=np.float64) / 8000,
        similarity=np.float32(0.5),
        provenance={"seed": np.int64(3), "ids": np.array(["a", "b"]), "p": {"x": np.float32(1)}},
    )
    assert rec.audio.dtype == np.float32 and rec.audio.ndim == 1
    assert rec.similarity == 0.5 and type(rec.similarity) is float
    assert rec.provenance == {"seed": 3, "ids": ["a", "b"], "p": {"x": 1.0}}
    d = rec.to_dict()
    assert d["n_samples"] == 8000 and d["duration"] == 1.0 and "audio" not in d
    json.dumps(d)
    assert "audio" not in repr(rec)


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"audio": np.zeros((2, 5))}, ValueError, "audio must be a 1-D array; received shape"),
        ({"audio": [0.0, np.nan]}, ValueError, "audio must be finite; received 1 NaN"),
        ({"sr": 0}, ValueError, "sr must be a positive integer"),
        ({"rank": -1}, ValueError, "rank must be an int >= 0; received -1"),
        ({"target_clip_id": ""}, TypeError, "target_clip_id must be a non-empty str"),
        ({"similarity": float("inf")}, ValueError, "similarity must be finite or None"),
        ({"provenance": {"f": object()}}, TypeError, "provenance must be JSON-serialisable"),
    ],
)
def test_reconstruction_bad_fields(kw, error, match):
    with pytest.raises(error, match=match):
        _rec(**kw)


def test_reconstructor_is_abstract():
    with pytest.raises(TypeError, match="Reconstructor is abstract"):
        Reconstructor()


def test_neighbour_items_format():
    recs = [
        _rec(similarity=0.9, provenance={"source_clip_id": "jazz.1", "genre": "jazz"}),
        _rec(rank=1, label="generated rock", provenance={"genre": "rock"}),
    ]
    items = as_neighbour_items(recs)
    assert items == [
        {"index": 0, "clip_id": "jazz.1", "genre": "jazz", "score": 0.9},
        {"index": 1, "clip_id": "generated rock", "genre": "rock", "score": 0.0},
    ]
    with pytest.raises(TypeError, match=r"reconstructions\[0\] must be a Reconstruction"):
        as_neighbour_items(["x"])


# -- retrieval -------------------------------------------------------------------------------


def test_retrieval_top_k_by_cosine_with_similarities(toy_library):
    index, emb, ids, load_audio, calls = toy_library
    rec = RetrievalReconstructor(index, load_audio, exclude_self=False)
    queries = emb[[3, 7]] * 5.0  # scale does not matter for cosine
    out = rec.reconstruct(queries, ["q1", "q2"], k=3)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    for q, row in zip((3, 7), out, strict=True):
        expected = np.argsort(-(unit @ unit[q]))[:3]
        assert [r.provenance["source_clip_id"] for r in row] == [ids[j] for j in expected]
        assert row[0].similarity == pytest.approx(1.0, abs=1e-6)
        sims = [r.similarity for r in row]
        assert sims == sorted(sims, reverse=True)
        assert [r.rank for r in row] == [0, 1, 2]
        assert all(r.backend == "retrieval" and r.sr == 8000 for r in row)
    assert out[0][0].label == "retrieved clip03 (rock)"
    # audio is loaded only for the 2 x 3 clips returned, once each to check it
    assert len(calls) == 6
    # ...and the records keep a loader, not the waveform: each access reads the clip again
    assert out[0][0].to_dict()["n_samples"] == 800 and len(calls) == 6
    assert out[0][0].audio[0] == pytest.approx(0.04)
    assert out[0][0].audio[0] == pytest.approx(0.04)
    assert calls[6:] == ["clip03", "clip03"]


def test_retrieval_loads_each_distinct_clip_once_and_checks_it_on_access(toy_library):
    index, emb, _, load_audio, calls = toy_library
    rec = RetrievalReconstructor(index, load_audio, exclude_self=False)
    out = rec.reconstruct(emb[[3, 3, 3]], ["q1", "q2", "q3"], k=2)
    hits = {r.provenance["source_clip_id"] for row in out for r in row}
    assert len(hits) == 2 and sorted(calls) == sorted(hits)  # 6 hits, 2 distinct clips
    # the library changed under the records: a clear error, not a silently different clip
    rec.load_audio = lambda clip_id: (np.zeros(400, dtype=np.float32), 8000)
    with pytest.raises(ValueError, match=r"must have n_samples=800 samples; received 400"):
        _ = out[0][0].audio
    rec.load_audio = lambda clip_id: (np.zeros(800, dtype=np.float32), 16000)
    with pytest.raises(ValueError, match=r"sample rate it returned at reconstruction \(8000 Hz\)"):
        _ = out[0][0].audio


def test_reconstruction_with_a_loader_reads_on_each_access_and_checks():
    loads = []

    def load():
        loads.append(1)
        return np.linspace(0, 1, 50)

    rec = _rec(audio=load, n_samples=50)
    assert rec.duration == 50 / 8000 and rec.to_dict()["n_samples"] == 50 and not loads
    first = rec.audio
    assert first.dtype == np.float32 and len(loads) == 1
    assert rec.audio is not first and len(loads) == 2  # nothing kept between accesses
    assert "audio" not in repr(rec)
    # without n_samples, the length is learnt at the first load (and only the length is kept)
    lazy = _rec(audio=load)
    assert lazy.n_samples == 50 and len(loads) == 3
    bad = _rec(audio=lambda: np.array([0.0, np.nan]))
    with pytest.raises(
        ValueError, match=r"audio of the x reconstruction of 't1' \(rank 0\) must be finite"
    ):
        _ = bad.audio
    with pytest.raises(ValueError, match="must have n_samples=3 samples; received 2"):
        _rec(audio=np.zeros(2), n_samples=3)
    with pytest.raises(ValueError, match="n_samples must be a positive integer; received 0"):
        _rec(audio=load, n_samples=0)
    # in_memory: one load, then the waveform is held
    before = len(loads)
    held = rec.in_memory()
    assert len(loads) == before + 1
    np.testing.assert_array_equal(held.audio, first)
    assert held.audio is held.audio and len(loads) == before + 1
    assert held.to_dict() == rec.to_dict() and held.in_memory() is held


def test_retrieval_leaves_the_target_out(toy_library):
    index, emb, ids, load_audio, _ = toy_library
    rec = RetrievalReconstructor(index, load_audio)
    out = rec.reconstruct(emb, ids, k=19)  # every clip queried with its own embedding
    for target, row in zip(ids, out, strict=True):
        returned = [r.provenance["source_clip_id"] for r in row]
        assert target not in returned and len(set(returned)) == 19
        assert row[0].provenance["excluded_target"] is True
    with pytest.raises(ValueError, match=r"k must be at most the number of library clips other"):
        rec.reconstruct(emb[:1], ids[:1], k=20)


def test_retrieval_leaves_out_every_copy_of_the_target():
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(6, 4))
    emb = np.vstack([emb, emb[0] + 1e-3, emb[0] + 2e-3])  # two more copies of clip "a"
    ids = ["a", "b", "c", "d", "e", "f", "a", "a"]
    index = LibraryIndex(emb, pd.DataFrame({"clip_id": ids}), backend="numpy")
    rec = RetrievalReconstructor(index, lambda c: (np.ones(4), 100))
    out = rec.reconstruct(emb[:1], ["a"], k=5)
    assert [r.provenance["source_clip_id"] for r in out[0]].count("a") == 0


def test_retrieval_bad_inputs(toy_library):
    index, emb, ids, load_audio, _ = toy_library
    rec = RetrievalReconstructor(index, load_audio)
    with pytest.raises(
        ValueError, match=r"decoded_embeddings must have 6 columns .* received shape \(2, 5\)"
    ):
        rec.reconstruct(emb[:2, :5], ids[:2])
    bad = emb[:2].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="decoded_embeddings must be finite; received 1 NaN"):
        rec.reconstruct(bad, ids[:2])
    with pytest.raises(ValueError, match="k must be a positive integer; received 0"):
        rec.reconstruct(emb[:2], ids[:2], k=0)
    with pytest.raises(ValueError, match=r"one id per decoded embedding \(2\); received 1"):
        rec.reconstruct(emb[:2], ids[:1])
    with pytest.raises(
        TypeError, match="target_clip_ids must be a sequence of str; received a single"
    ):
        rec.reconstruct(emb[:1], "clip00")
    with pytest.raises(ValueError, match="decoded_embeddings must be a 2-D array"):
        rec.reconstruct(emb[0], ids[:1])


def test_retrieval_bad_construction(toy_library):
    index, emb, ids, load_audio, _ = toy_library
    with pytest.raises(TypeError, match=r"library must be a b2m\.models\.LibraryIndex"):
        RetrievalReconstructor(emb, load_audio)
    no_ids = LibraryIndex(emb, pd.DataFrame({"name": ids}))
    with pytest.raises(ValueError, match=r"metadata with a 'clip_id' column .* \['name'\]"):
        RetrievalReconstructor(no_ids, load_audio)
    with pytest.raises(TypeError, match="load_audio must be callable"):
        RetrievalReconstructor(index, "audio/")
    rec = RetrievalReconstructor(index, lambda c: np.zeros(3))
    with pytest.raises(TypeError, match=r"load_audio\('clip.*'\) must return \(waveform, sr\)"):
        rec.reconstruct(emb[:1], ["q"])


def test_unfitted_synth_says_what_to_do():
    with pytest.raises(RuntimeError, match="not fitted; call fit"):
        SynthReconstructor().reconstruct(np.zeros((1, 3)), ["t"])
    with pytest.raises(ValueError, match="n_candidates must be an integer >= 1; received 0"):
        SynthReconstructor(n_candidates=0)
    with pytest.raises(ValueError, match=r"duration must be a number of seconds > 4.0"):
        SynthReconstructor(duration=3)


def test_group_by_target_across_backends():
    from b2m.reconstruction import Reconstruction, group_by_target

    wave = np.zeros(10, np.float32)

    def rec(target, backend, rank):
        return Reconstruction(target, backend, rank, wave, 10, f"{backend}{rank}")

    recs = {
        "retrieval": [
            [rec("a", "retrieval", 0), rec("a", "retrieval", 1)],
            [rec("b", "retrieval", 0)],
        ],
        "synth": [[rec("a", "synth", 0)], [rec("b", "synth", 0)]],
    }
    grouped = group_by_target(recs)
    assert list(grouped) == ["a", "b"]
    assert [r.label for r in grouped["a"]] == ["retrieval0", "retrieval1", "synth0"]
    assert [r.label for r in grouped["b"]] == ["retrieval0", "synth0"]
    with pytest.raises(
        TypeError, match=r"reconstructions\['synth'\]\[1\] must be a Reconstruction"
    ):
        group_by_target({"synth": [[rec("a", "synth", 0)], "oops"]})
