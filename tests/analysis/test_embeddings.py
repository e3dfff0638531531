import numpy as np
import pytest

from b2m.analysis import genre_neighbour_agreement, neighbour_overlap


def test_genre_agreement_and_overlap():
    rng = np.random.default_rng(0)
    genres = np.repeat(np.arange(5), 20)
    clustered = np.eye(5)[genres] * 5 + 0.1 * rng.standard_normal((100, 5))
    noise = rng.standard_normal((100, 5))
    assert genre_neighbour_agreement(clustered, genres, k=5) == 1.0
    assert genre_neighbour_agreement(noise, genres, k=5) < 0.4
    assert neighbour_overlap(clustered, clustered * 2 + 1, k=5) == 1.0
    assert neighbour_overlap(noise, rng.standard_normal((100, 7)), k=5) < 0.2
    with pytest.raises(ValueError, match="genres must have shape"):
        genre_neighbour_agreement(noise, genres[:10])
    with pytest.raises(ValueError, match="k must be between 1 and 99"):
        neighbour_overlap(noise, noise, k=100)
    with pytest.raises(ValueError, match="a and b must hold the same clips"):
        neighbour_overlap(noise, noise[:50])


@pytest.mark.slow
def test_example_run(study):
    events, bold = study.load_example_run()
    assert len(events) == 41 and bold.shape == (410, 20484) and bold.dtype == np.float32
    assert set(events.task) == {"Training"} and set(events.run) == {1}


def test_text_lsa_of_a_study_is_fitted_on_its_training_captions(tmp_path):
    import pandas as pd

    from b2m.analysis import study_embeddings
    from b2m.datasets import Study
    from b2m.datasets._responses import ClipResponses
    from b2m.features import TextLSA

    captions = [
        "heavy metal with distorted guitars",  # test
        "fast metal drums and distorted guitars",
        "calm classical strings and a slow cello",
        "upbeat disco with funky bass",
        "slow blues guitar with walking bass",
        "zydeco accordion, washboard",  # test: no training word
    ]
    ids = [f"clip.{i:05d}" for i in range(6)]
    test = np.array([True, False, False, False, False, True])
    clips = pd.DataFrame(
        {
            "clip_id": ids,
            "genre": "rock",
            "split": np.where(test, "test", "train"),
            "caption": captions,
        }
    )
    responses = ClipResponses(
        train=np.zeros((4, 2), np.float32), train_ids=np.array(ids)[~test][::-1],
        train_runs=np.arange(4), test_repeats=np.zeros((2, 2, 2), np.float32),
        test_ids=np.array(ids)[test], test_runs=np.zeros(2, int),
    )  # fmt: skip
    study = Study(
        dataset="simulated", subject="sub-001", clips=clips, responses=responses,
        space="fsaverage5", root=tmp_path, key="toy-captions", sample_rate=8000,
        data_home=tmp_path,
    )  # fmt: skip
    emb = study_embeddings(study, "text-lsa", n_components=3, min_df=1)
    alone = TextLSA(n_components=3, min_df=1).embed_text([captions[i] for i in range(1, 5)])
    np.testing.assert_allclose(emb[~test], alone, atol=1e-6)
    assert np.all(emb[5] == 0) and np.any(emb[0] != 0)
    # the transductive variant is still there, and cached apart
    everything = study_embeddings(study, "text-lsa", n_components=3, min_df=1, fit_on="all")
    np.testing.assert_allclose(
        everything, TextLSA(n_components=3, min_df=1).embed_text(captions), atol=1e-6
    )
