"""The attribute readout and the synthesiser backend, on the simulated study."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.analysis import study_embeddings
from b2m.reconstruction import (
    CONTINUOUS_ATTRIBUTES,
    AttributeReadout,
    SynthReconstructor,
    study_attributes,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def train(study):
    ids = [str(c) for c in study.responses.train_ids]
    emb = study_embeddings(study, "acoustic", progressbar=False)[study.clip_indices(ids)]
    return emb, study_attributes(study, ids), ids


@pytest.fixture(scope="module")
def synth(train):
    emb, attrs, ids = train
    return SynthReconstructor(seed=3, n_candidates=16).fit(emb, attrs, clip_ids=ids)


def test_study_attributes_follow_the_clip_table(study):
    clips = study.clips.iloc[[0, 300]]
    attrs = study_attributes(study, clips["clip_id"])
    assert [a["genre"] for a in attrs] == clips["genre"].tolist()
    assert len(study_attributes(study)) == len(study.clips)
    with pytest.raises(KeyError, match=r"unknown clip 'nope\.00001'"):
        study_attributes(study, ["nope.00001"])


def test_readout_predicts_held_out_training_clips_above_chance(train):
    emb, attrs, _ = train
    rng = np.random.default_rng(0)
    order = rng.permutation(len(emb))
    fit_rows, held = order[:400], order[400:]
    readout = AttributeReadout().fit(emb[fit_rows], [attrs[i] for i in fit_rows])
    scores = readout.score(emb[held], [attrs[i] for i in held])
    assert scores["genre_accuracy"] >= 0.7 > 0.3 >= scores["genre_chance"]
    assert scores["mode_accuracy"] > scores["mode_chance"]
    assert scores["instrument_accuracy"] > scores["instrument_chance"] + 0.05
    for name in ("tempo", "brightness", "distortion", "bass_level", "reverb", "arousal"):
        assert scores[f"r_{name}"] > 0.5, (name, scores[f"r_{name}"])
    pred = readout.predict(emb[held[:2]])
    assert set(pred[0]) == {"genre", "mode", "instruments", "continuous"}
    assert sum(pred[0]["genre"].values()) == pytest.approx(1.0)
    probs = list(pred[0]["genre"].values())
    assert probs == sorted(probs, reverse=True)
    assert set(pred[0]["continuous"]) == set(CONTINUOUS_ATTRIBUTES)


def test_readout_is_indifferent_to_shrinkage(train):
    """Decoded embeddings are shrunk towards the mean; the readout reads directions."""
    emb, attrs, _ = train
    readout = AttributeReadout().fit(emb[:400], attrs[:400])
    shrunk = readout.mean_ + 0.1 * (emb[400:] - readout.mean_)
    np.testing.assert_array_equal(readout.predict_genre(shrunk), readout.predict_genre(emb[400:]))


def test_generated_clips_are_deterministic_for_a_seed(train, synth):
    emb, _, _ = train
    x = emb[[0, 100]]
    a = synth.reconstruct(x, ["t0", "t1"], k=2)
    b = (
        SynthReconstructor(seed=3, n_candidates=16)
        .fit(*train[:2])
        .reconstruct(x, ["t0", "t1"], k=2)
    )
    for ra, rb in zip([r for row in a for r in row], [r for row in b for r in row], strict=True):
        np.testing.assert_array_equal(ra.audio, rb.audio)
        assert ra.provenance["attributes"] == rb.provenance["attributes"]
    rec = a[0][0]
    assert rec.sr == 22050 and rec.audio.shape == (22050 * 15,) and rec.audio.dtype == np.float32
    assert np.sqrt(np.mean(rec.audio**2)) == pytest.approx(0.1, rel=1e-3)
    # the second reconstruction of a target is another draw, not a copy
    assert not np.array_equal(a[0][0].audio, a[0][1].audio)
    other_seed = SynthReconstructor(seed=4, n_candidates=16).fit(*train[:2])
    assert not np.array_equal(other_seed.reconstruct(x[:1], ["t0"])[0][0].audio, rec.audio)


def test_generated_clips_follow_the_predicted_attributes(train, synth, study):
    emb, attrs, _ = train
    genres = np.array([a["genre"] for a in attrs])
    rows = [int(np.flatnonzero(genres == g)[0]) for g in ("classical", "metal")]
    classical, metal = synth.reconstruct(emb[rows], ["c", "m"])
    c, m = classical[0].provenance, metal[0].provenance
    assert c["genre"] == "classical" and m["genre"] == "metal"
    assert not c["attributes"]["drums"] and m["attributes"]["drums"]
    assert "distorted_guitar" in m["attributes"]["instruments"]
    assert m["attributes"]["tempo"] > c["attributes"]["tempo"]
    assert not np.array_equal(classical[0].audio, metal[0].audio)
    # provenance: predicted probabilities, the attributes rendered, the seeds, the caption
    assert c["predicted"]["genre"]["classical"] > 0.5
    assert set(c["predicted"]["instruments"]) >= {"piano", "strings", "drums"}
    assert c["seed"] == 3 and isinstance(c["render_seed"], int)
    assert c["readout"]["n_train"] == 480 and c["readout"]["train_clip_ids_sha256"]
    assert "classical" in c["caption"].lower()
    assert classical[0].label.startswith("generated classical (")
    # numeric attributes stay inside the genre's training range
    lo, hi = synth.readout_.ranges_["classical"]["tempo"]
    assert lo <= c["attributes"]["tempo"] <= hi


def test_predict_attributes_matches_reconstruct(train, synth):
    emb = train[0][:3]
    chosen = synth.predict_attributes(emb, k=1)
    recs = synth.reconstruct(emb, ["a", "b", "c"])
    assert [c[0]["attributes"] for c in chosen] == [r[0].provenance["attributes"] for r in recs]


def test_synth_bad_inputs(train, synth):
    emb, attrs, _ = train
    with pytest.raises(ValueError, match=r"decoded_embeddings must have 129 columns .*\(2, 12\)"):
        synth.reconstruct(emb[:2, :12], ["a", "b"])
    with pytest.raises(ValueError, match="attributes must have one dict per embedding"):
        SynthReconstructor().fit(emb[:10], attrs[:9])
    with pytest.raises(ValueError, match=r"attributes\[0\] is missing key\(s\) \['genre'"):
        SynthReconstructor().fit(emb[:2], [{}, {}])
    bad = emb[:2].copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="decoded_embeddings must be finite"):
        synth.reconstruct(bad, ["a", "b"])


def test_attribute_tables_put_asked_beside_heard(synth, study):
    from b2m.reconstruction import attribute_tables

    target = str(study.responses.test_ids[0])
    test_row = study.clip_indices([target])
    rec = synth.reconstruct(study_embeddings(study, "acoustic")[test_row], [target])[0][0]
    heard = study_attributes(study, [target])[0]
    tables = attribute_tables(rec, study)
    table = tables["attributes"]
    assert list(table.columns) == ["heard", "generated"]
    assert table.loc["genre", "heard"] == heard["genre"]
    assert table.loc["tempo", "generated"] == rec.provenance["attributes"]["tempo"]
    inst = tables["instruments"]
    assert list(inst.columns) == ["in heard clip", "predicted probability", "in generated clip"]
    assert inst["in heard clip"].sum() == len(set(heard["instruments"]) & set(inst.index))
    assert tables["genres"].is_monotonic_decreasing and tables["genres"].sum() == pytest.approx(1)
    alone = attribute_tables(rec)  # real data: no heard column
    assert list(alone["attributes"].columns) == ["generated"]
    with pytest.raises(ValueError, match="records its attributes"):
        attribute_tables(type(rec)(target, "retrieval", 0, rec.audio, rec.sr, "x"))
