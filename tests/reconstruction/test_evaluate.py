"""Evaluation of reconstructions: hand-checkable identification, then the simulated study."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from b2m.models import identification_accuracy
from b2m.reconstruction import (
    Reconstruction,
    evaluate_reconstructions,
    reconstruct_study,
)

# -- identification against the stimuli (no study) --------------------------------------------


def test_identification_by_hand():
    stimuli = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    # r0 is stimulus 0 itself; r1 is closer to stimulus 2 than to its target 1; r2 lies between
    # its target 2 and stimulus 0 and is closer to 2.
    recs = np.array([[1.0, 0.0, 0.0], [0.0, 0.2, 1.0], [0.8, 0.0, 1.0]])
    acc = identification_accuracy(recs, stimuli, np.array([0, 1, 2]))
    np.testing.assert_allclose(acc, [1.0, 0.5, 1.0])
    # r1 against target 2 instead: beats both other stimuli
    assert identification_accuracy(recs[1:2], stimuli, np.array([2]))[0] == 1.0
    # the worst case: the target is the least correlated
    assert identification_accuracy(recs[1:2], stimuli, np.array([0]))[0] == 0.0


def test_identification_matches_brain2music_definition():
    rng = np.random.default_rng(0)
    true = rng.normal(size=(30, 8))
    decoded = true + rng.normal(size=true.shape)
    np.testing.assert_allclose(
        identification_accuracy(decoded, true, np.arange(30)),
        identification_accuracy(decoded, true),
    )
    np.testing.assert_allclose(identification_accuracy(true, true, np.arange(30)), 1.0)
    # random reconstructions sit around chance
    random = rng.normal(size=(2000, 8))
    acc = identification_accuracy(random, true, rng.integers(30, size=2000))
    assert abs(acc.mean() - 0.5) < 0.03


def test_identification_bad_target_index():
    with pytest.raises(ValueError, match=r"target_index must be 2 integers in \[0, 3\)"):
        identification_accuracy(np.ones((2, 3)), np.eye(3), np.array([0, 3]))


# -- on the simulated study -------------------------------------------------------------------


def _from_clips(study, targets, sources, backend):
    out = []
    for t, s in zip(targets, sources, strict=True):
        wave, sr = study.load_audio(s)
        out.append([Reconstruction(t, backend, 0, wave, sr, f"clip {s}")])
    return out


@pytest.mark.slow
def test_perfect_reconstructions_identify_every_clip(study):
    test_ids = [str(c) for c in study.responses.test_ids]
    recs = _from_clips(study, test_ids, test_ids, "perfect")
    ev = evaluate_reconstructions(recs, study, "acoustic", n_chance=0)
    frame = ev.to_frame().set_index("backend")
    assert frame.loc["perfect", "identification"] == 1.0
    assert frame.loc["perfect", "n"] == 60
    # the genre classifier sees the stimuli themselves: its test accuracy
    assert frame.loc["perfect", "genre_agreement"] >= 0.85
    assert ev.embeddings["perfect"].shape == (60, ev.stimulus_embeddings.shape[1])
    np.testing.assert_allclose(ev.embeddings["perfect"], ev.stimulus_embeddings, rtol=1e-5)


@pytest.mark.slow
def test_random_reconstructions_sit_at_chance(study):
    test_ids = [str(c) for c in study.responses.test_ids]
    train_ids = [str(c) for c in study.responses.train_ids]
    rng = np.random.default_rng(5)
    sources = [train_ids[i] for i in rng.choice(len(train_ids), size=60, replace=False)]
    ev = evaluate_reconstructions(
        _from_clips(study, test_ids, sources, "random"), study, "acoustic", n_chance=50
    )
    frame = ev.to_frame().set_index("backend")
    assert 0.38 < frame.loc["random", "identification"] < 0.62
    assert frame.loc["random", "genre_agreement"] < 0.3
    chance = frame.loc["random training clip"]
    assert chance["kind"] == "chance reference"
    assert abs(chance["identification"] - 0.5) < 0.05
    assert abs(chance["genre_agreement"] - 0.1) < 0.05


@pytest.mark.slow
def test_backends_between_chance_and_the_decoded_reference(study, decoding):
    recs = reconstruct_study(study, decoding, ("retrieval", "synth"))
    ev = evaluate_reconstructions(recs, study, "acoustic", decoded=decoding)
    frame = ev.to_frame().set_index("backend")
    assert list(frame.index) == ["retrieval", "synth", "decoded", "random training clip"]
    # the decoded reference is the decoding's own identification
    assert frame.loc["decoded", "identification"] == pytest.approx(
        decoding.identification.mean_accuracy, abs=1e-6
    )
    for backend in ("retrieval", "synth"):
        row = frame.loc[backend]
        assert row["n"] == 60 and row["kind"] == "reconstruction"
        assert 0.7 < row["identification"] <= frame.loc["decoded", "identification"] + 0.02
        assert row["genre_agreement"] > 0.5
    clips = ev.clips
    assert set(clips.columns) >= {"backend", "target_clip_id", "predicted_genre", "genre_agree"}
    records = ev.to_records()
    assert {r["backend"] for r in records} == set(frame.index)
    points, groups, names = ev.map_points()
    assert points.shape == (180, ev.stimulus_embeddings.shape[1])
    assert groups == ["stimulus"] * 60 + ["retrieval"] * 60 + ["synth"] * 60
    assert names[0] == str(ev.test_ids[0]) and names[60] == f"retrieval → {ev.test_ids[0]}"
    with pytest.raises(ValueError, match=r"backends must be among .*received \['musicgen'\]"):
        ev.map_points(["musicgen"])


@pytest.mark.slow
def test_retrieved_study_clips_reuse_their_cached_embeddings(study, decoding):
    recs = reconstruct_study(study, decoding, "retrieval", clip_ids=decoding.test_ids[:4])
    ev = evaluate_reconstructions(recs, study, n_chance=0)
    copies = [
        [Reconstruction(r.target_clip_id, "copy", 0, r.audio, r.sr, r.label)]
        for (r,) in recs["retrieval"]
    ]
    embedded = evaluate_reconstructions(copies, study, n_chance=0)
    np.testing.assert_allclose(ev.embeddings["retrieval"], embedded.embeddings["copy"], rtol=1e-5)


@pytest.mark.slow
def test_evaluation_bad_inputs(study, decoding):
    wave = np.zeros(22050, dtype=np.float32) + 0.01
    stray = [[Reconstruction("not-a-clip", "x", 0, wave, 22050, "x")]]
    with pytest.raises(ValueError, match=r"must target the study's 60 test clips; .*'not-a-clip'"):
        evaluate_reconstructions(stray, study)
    train_target = [[Reconstruction(str(study.responses.train_ids[0]), "x", 0, wave, 22050, "x")]]
    with pytest.raises(ValueError, match="must target the study's 60 test clips"):
        evaluate_reconstructions(train_target, study)
    ok = [[Reconstruction(str(study.responses.test_ids[0]), "x", 0, wave, 22050, "x")]]
    with pytest.raises(ValueError, match=r"feature_space must embed audio; received 'text-lsa'"):
        evaluate_reconstructions(ok, study, "text-lsa")
    genre_decoding = dataclasses.replace(decoding, space="genre")
    with pytest.raises(ValueError, match=r"a decoding of the evaluation space 'acoustic'.*'genre'"):
        evaluate_reconstructions(ok, study, "acoustic", decoded=genre_decoding)
    with pytest.raises(ValueError, match=r"decoded must have one row per test clip \(60\)"):
        evaluate_reconstructions(ok, study, decoded=np.zeros((3, 129)))
    with pytest.raises(TypeError, match=r"reconstructions\[0\]\[0\] must be a Reconstruction"):
        evaluate_reconstructions([["x"]], study)
    with pytest.raises(ValueError, match="reconstructions must hold at least one"):
        evaluate_reconstructions([], study)
    with pytest.raises(ValueError, match="top must be a positive integer; received 0"):
        evaluate_reconstructions(ok, study, top=0)
