"""Reconstructors built for a study's decoding (what notebook 04 and the demo call)."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.reconstruction import (
    RetrievalReconstructor,
    SynthReconstructor,
    make_reconstructor,
    reconstruct_study,
    study_library,
)

pytestmark = pytest.mark.slow


def test_study_retrieval_never_returns_the_target(study, decoding):
    recs = reconstruct_study(study, decoding, "retrieval", k=5)["retrieval"]
    assert len(recs) == 60
    for target, row in zip(decoding.test_ids, recs, strict=True):
        sources = [r.provenance["source_clip_id"] for r in row]
        assert str(target) not in sources and len(set(sources)) == 5
        assert all(r.target_clip_id == target for r in row)
        assert row[0].provenance["params"]["source"] == study.key
        assert row[0].provenance["library"]["genre"] in row[0].label
        # the default library is the 480 training clips: no test clip is ever returned
        assert all(r.provenance["library"]["split"] == "train" for r in row)
        assert row[0].provenance["library_name"] == "train"
    # without leave-one-out the decoded embedding ranks its own clip high among the 540
    library = study_library(
        study, "acoustic", transform=decoding.decoder.transform_embeddings, library="all-but-target"
    )
    own = RetrievalReconstructor(library, lambda c: (np.ones(8), 100), exclude_self=False)
    top = own.reconstruct(decoding.decoded, list(decoding.test_ids), k=50)
    found = [
        t in {r.provenance["source_clip_id"] for r in row}
        for row, t in zip(top, decoding.test_ids, strict=True)
    ]
    assert np.mean(found) > 0.5  # chance: 50 / 540


def test_study_library_lives_in_the_decoders_space(study, decoding):
    library = study_library(study, "acoustic", transform=decoding.decoder.transform_embeddings)
    assert library.n_items == 480 and library.dim == decoding.decoded.shape[1]
    assert list(library.metadata.columns) == ["clip_id", "genre", "split", "caption"]
    assert set(library.metadata["split"]) == {"train"}
    everything = study_library(study, library="all-but-target")
    assert everything.n_items == 540
    chosen = study_library(study, clip_ids=study.responses.train_ids)
    assert chosen.n_items == 480 and set(chosen.metadata["split"]) == {"train"}


def test_make_reconstructor_fits_on_training_clips(study, decoding):
    synth = make_reconstructor("synth", study, decoding, seed=2)
    assert isinstance(synth, SynthReconstructor) and synth.readout_.n_train_ == 480
    assert synth.dim == decoding.decoded.shape[1]
    out = reconstruct_study(
        study,
        decoding,
        ["synth"],
        clip_ids=decoding.test_ids[[3, 1]],
        params={"synth": {"seed": 2}},
    )["synth"]
    assert [row[0].target_clip_id for row in out] == [decoding.test_ids[3], decoding.test_ids[1]]
    direct = synth.reconstruct(decoding.decoded[[3]], [decoding.test_ids[3]])
    np.testing.assert_array_equal(direct[0][0].audio, out[0][0].audio)


def test_musicgen_prompts_from_the_study_captions(study, decoding, tiny_musicgen):
    rec = make_reconstructor("musicgen", study, decoding, model_dir=tiny_musicgen, max_new_tokens=4)
    (row,) = rec.reconstruct(decoding.decoded[:1], list(decoding.test_ids[:1]))
    source = row[0].provenance["source_clip_ids"][0]
    caption = study.clips.set_index("clip_id").loc[source, "caption"]
    assert row[0].provenance["prompt_text"] == caption
    assert source in set(study.responses.train_ids)


def test_study_reconstruction_bad_inputs(study, decoding):
    with pytest.raises(ValueError, match=r"backend must be one of .*received 'musiclm'"):
        make_reconstructor("musiclm", study, decoding)
    with pytest.raises(TypeError, match=r"decoding must be a b2m\.analysis\.DecodingResult"):
        make_reconstructor("synth", study, decoding.decoded)
    with pytest.raises(
        ValueError, match=r"clip_ids must be test clips of the decoding; .*'blues.99999'"
    ):
        reconstruct_study(study, decoding, "synth", clip_ids=["blues.99999"])
    with pytest.raises(ValueError, match="params must be keyed by the requested backends"):
        reconstruct_study(study, decoding, "synth", params={"retrieval": {}})
    with pytest.raises(ValueError, match="backends must name at least one"):
        reconstruct_study(study, decoding, [])
