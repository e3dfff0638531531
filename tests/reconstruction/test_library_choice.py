"""Which clips the retrieval library holds: training clips by default, disjoint from the test set.

A small hand-built study (genre one-hot space, no audio, no simulation) keeps these fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from b2m.analysis import decode_study
from b2m.datasets import Study
from b2m.datasets._responses import ClipResponses
from b2m.reconstruction import (
    RetrievalReconstructor,
    make_reconstructor,
    reconstruct_study,
    study_library,
)

GENRES = "blues classical country disco hiphop jazz metal pop reggae rock".split()


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """80 clips (6 training and 2 test clips per genre), 30 vertices, and its decoding."""
    rng = np.random.default_rng(0)
    train_genres, test_genres = np.repeat(GENRES, 6), np.repeat(GENRES, 2)
    train_ids = np.array([f"{g}.{i:05d}" for i, g in enumerate(train_genres)])
    test_ids = np.array([f"{g}.{i + 100:05d}" for i, g in enumerate(test_genres)])
    # Test clips first in the clip table: the old library put them before the training ones.
    clips = pd.DataFrame(
        {
            "clip_id": np.concatenate([test_ids, train_ids]),
            "genre": np.concatenate([test_genres, train_genres]),
            "split": ["test"] * len(test_ids) + ["train"] * len(train_ids),
            "caption": "a clip",
        }
    )
    code = {g: i for i, g in enumerate(GENRES)}
    effect = rng.standard_normal((len(GENRES), 30))
    train = effect[[code[g] for g in train_genres]] + 0.3 * rng.standard_normal((60, 30))
    test = effect[[code[g] for g in test_genres]] + 0.3 * rng.standard_normal((2, 20, 30))
    responses = ClipResponses(
        train=train.astype(np.float32), train_ids=train_ids, train_runs=np.arange(60) % 5,
        test_repeats=test.astype(np.float32), test_ids=test_ids, test_runs=np.zeros(20, int),
    )  # fmt: skip
    home = tmp_path_factory.mktemp("toy_library")
    study = Study(
        dataset="simulated", subject="sub-001", clips=clips, responses=responses,
        space="fsaverage5", root=home, key="toy-library", sample_rate=8000, data_home=home,
    )  # fmt: skip
    study.load_audio = lambda clip_id: (np.full(80, 0.1, np.float32), 8000)
    return study, decode_study(study, "genre")


def test_study_library_holds_the_training_clips_by_default(toy):
    study, decoding = toy
    transform = decoding.decoder.transform_embeddings
    library = study_library(study, "genre", transform=transform)
    assert library.n_items == 60
    assert set(library.metadata["clip_id"]) == set(study.responses.train_ids)
    everything = study_library(study, "genre", library="all-but-target")
    assert everything.n_items == 80
    chosen = study_library(study, "genre", clip_ids=study.responses.test_ids[:3])
    assert list(chosen.metadata["clip_id"]) == list(study.responses.test_ids[:3])
    with pytest.raises(ValueError, match=r"library must be one of .*received 'test'"):
        study_library(study, "genre", library="test")
    with pytest.raises(ValueError, match="library and clip_ids"):
        study_library(study, "genre", library="train", clip_ids=study.responses.test_ids[:3])


def test_retrieval_never_returns_a_test_clip_and_says_so(toy):
    study, decoding = toy
    rec = make_reconstructor("retrieval", study, decoding)
    assert isinstance(rec, RetrievalReconstructor) and rec.library.n_items == 60
    ids = list(decoding.test_ids)
    out = rec.reconstruct(decoding.decoded, ids, k=10)
    train = set(study.responses.train_ids)
    for row in out:
        assert all(r.provenance["source_clip_id"] in train for r in row)
        assert all(r.provenance["library_name"] == "train" for r in row)
        assert row[0].provenance["params"]["library_name"] == "train"
        assert row[0].provenance["params"]["library_size"] == 60


def test_all_but_target_library_keeps_the_old_behaviour(toy):
    study, decoding = toy
    out = reconstruct_study(
        study, decoding, "retrieval", k=79, clip_ids=decoding.test_ids[:1],
        params={"retrieval": {"library": "all-but-target"}},
    )["retrieval"]  # fmt: skip
    (row,) = out
    sources = {r.provenance["source_clip_id"] for r in row}
    target = str(decoding.test_ids[0])
    assert target not in sources and len(sources) == 79  # every other clip, test ones too
    assert set(decoding.test_ids[1:]) <= sources
    assert row[0].provenance["library_name"] == "all-but-target"


def test_library_is_a_retrieval_option_only(toy):
    study, decoding = toy
    with pytest.raises(ValueError, match=r"library must be one of .*received 'everything'"):
        make_reconstructor("retrieval", study, decoding, library="everything")
    with pytest.raises(ValueError, match="library applies to the retrieval backend only"):
        make_reconstructor("synth", study, decoding, library="train")


def test_a_custom_library_can_be_named(toy_library):
    library, emb, ids, load_audio, _ = toy_library
    rec = RetrievalReconstructor(library, load_audio, library_name="my folder")
    (row,) = rec.reconstruct(emb[:1], [ids[0]], k=1)
    assert row[0].provenance["library_name"] == "my folder"
    unnamed = RetrievalReconstructor(library, load_audio)
    (row,) = unnamed.reconstruct(emb[:1], [ids[0]], k=1)
    assert row[0].provenance["library_name"] is None
    with pytest.raises(TypeError, match="library_name must be a str or None"):
        RetrievalReconstructor(library, load_audio, library_name=3)


def test_a_library_of_real_recordings_is_searched_in_the_decoded_space(toy, tmp_path):
    from b2m.reconstruction import MusicLibrary

    study, decoding = toy
    rng = np.random.default_rng(1)
    # Five "tracks" in the genre space: each a one-hot genre (the toy decoding's space).
    codes = [GENRES.index(g) for g in ("metal", "jazz", "blues", "metal", "pop")]
    emb = np.eye(len(GENRES))[codes] + 0.01 * rng.standard_normal((5, len(GENRES)))
    meta = pd.DataFrame(
        {
            "clip_id": [f"pkg/track{i}" for i in range(5)],
            "genre": ["metal", "jazz", "blues", "metal", "pop"],
            "path": [str(tmp_path / f"t{i}.ogg") for i in range(5)],
            "start": 0.0,
            "end": 15.0,
        }
    )
    library = MusicLibrary("genre", emb, meta)
    library.load_audio = lambda clip_id: (np.full(80, 0.2, np.float32), 8000)
    recs = reconstruct_study(
        study, decoding, ["retrieval"], k=2, params={"retrieval": {"library": library}}
    )["retrieval"]
    metal_test = [i for i, c in enumerate(decoding.test_ids) if c.startswith("metal")]
    for i in metal_test:  # a decoded metal clip retrieves the two metal tracks
        assert {r.provenance["source_clip_id"] for r in recs[i]} == {"pkg/track0", "pkg/track3"}
        assert recs[i][0].provenance["library_name"] == "debian-music"
    with pytest.raises(ValueError, match="embedded in the decoded space 'genre'"):
        make_reconstructor(
            "retrieval", study, decoding, library=MusicLibrary("acoustic", emb, meta)
        )


def test_real_music_library_bad_input(tmp_path, monkeypatch):
    from b2m.datasets import debian_music_available, debian_music_root
    from b2m.reconstruction import debian_music_library

    monkeypatch.setenv("B2M_MUSIC", str(tmp_path / "nowhere"))
    assert debian_music_root() == tmp_path / "nowhere" and not debian_music_available()
    with pytest.raises(FileNotFoundError, match="make music"):
        debian_music_library("acoustic")
    with pytest.raises(ValueError, match="excerpt must be a positive number"):
        debian_music_library("acoustic", excerpt=0)
    with pytest.raises(ValueError, match="space must be an audio feature space"):
        debian_music_library("text-lsa")
