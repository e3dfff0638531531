"""Brain2Music's region-wise decoder: one decoder per region, the best by training CV averaged.

Small hand-built studies (genre one-hot space, no audio, no simulation) keep these fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from b2m.analysis import RegionEnsemble, decode_study, decoding_table
from b2m.datasets import Study
from b2m.datasets._responses import ClipResponses
from b2m.models import Decoder

GENRES = "blues classical country disco hiphop jazz metal pop reggae rock".split()
N_REGIONS, SIZE = 8, 25
REGIONS = {
    f"region {k}": np.isin(np.arange(N_REGIONS * SIZE), np.arange(k * SIZE, (k + 1) * SIZE))
    for k in range(N_REGIONS)
}
PLANTED = ("region 2", "region 5")


def _study(home, n_vertices, signal_vertices, *, test_signal_vertices=None, space="fsaverage5"):
    """12 training and 2 test clips per genre; a genre pattern only on ``signal_vertices``."""
    rng = np.random.default_rng(0)
    test_signal_vertices = signal_vertices if test_signal_vertices is None else test_signal_vertices
    train_genres, test_genres = np.repeat(GENRES, 12), np.repeat(GENRES, 2)
    train_ids = np.array([f"{g}.{i:05d}" for i, g in enumerate(train_genres)])
    test_ids = np.array([f"{g}.{i + 500:05d}" for i, g in enumerate(test_genres)])
    clips = pd.DataFrame(
        {
            "clip_id": np.concatenate([train_ids, test_ids]),
            "genre": np.concatenate([train_genres, test_genres]),
            "split": ["train"] * len(train_ids) + ["test"] * len(test_ids),
            "caption": "a clip",
        }
    )
    code = {g: i for i, g in enumerate(GENRES)}
    effect = rng.standard_normal((len(GENRES), n_vertices))
    train = rng.standard_normal((len(train_ids), n_vertices))
    train[:, signal_vertices] += effect[[code[g] for g in train_genres]][:, signal_vertices]
    test = rng.standard_normal((4, len(test_ids), n_vertices))
    test[..., test_signal_vertices] += effect[[code[g] for g in test_genres]][
        :, test_signal_vertices
    ]
    responses = ClipResponses(
        train=train.astype(np.float32), train_ids=train_ids,
        train_runs=np.arange(len(train_ids)) % 6, test_repeats=test.astype(np.float32),
        test_ids=test_ids, test_runs=np.zeros(len(test_ids), int),
    )  # fmt: skip
    return Study(
        dataset="simulated", subject="sub-001", clips=clips, responses=responses, space=space,
        root=home, key="toy-regions", sample_rate=8000, data_home=home,
    )  # fmt: skip


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    signal = np.flatnonzero(REGIONS[PLANTED[0]] | REGIONS[PLANTED[1]])
    return _study(tmp_path_factory.mktemp("toy_regions"), N_REGIONS * SIZE, signal)


def test_ensemble_keeps_the_regions_with_signal_and_averages_them(toy):
    res = decode_study(toy, "genre", regions=REGIONS, n_best_regions=2)
    ens = res.decoder
    assert isinstance(ens, RegionEnsemble)
    assert set(res.regions) == set(PLANTED) and list(ens.regions_) == res.regions
    scores = ens.region_scores_
    assert list(scores.index[:2]) == res.regions and len(scores) == N_REGIONS
    assert scores.iloc[1] > 0.2 and scores.iloc[2:].max() < 0.05, scores
    # the decoded embeddings are the mean of the kept decoders' standardised predictions
    test = toy.responses.test
    own = [
        Decoder().fit(toy.responses.train[:, REGIONS[k]], _genre(toy), toy.responses.train_runs)
        for k in PLANTED
    ]
    expected = np.mean(
        [d.ridge_.predict(test[:, REGIONS[k]]) for d, k in zip(own, PLANTED, strict=True)], 0
    )
    np.testing.assert_allclose(res.decoded, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ens.predict(test), ens.target_scaler_.inverse_transform(expected))
    assert np.array_equal(res.voxels, np.flatnonzero(REGIONS[PLANTED[0]] | REGIONS[PLANTED[1]]))
    summary = res.summary()
    assert summary["n_voxels"] == 2 * SIZE and summary["identification"] > 0.8
    # a region ensemble of noise regions only identifies at chance
    noise = {k: v for k, v in REGIONS.items() if k not in PLANTED}
    assert decode_study(toy, "genre", regions=noise).summary()["identification"] < 0.7


def _genre(study):
    from b2m.analysis import study_embeddings

    emb = study_embeddings(study, "genre")
    return emb[study.clip_indices(study.responses.train_ids)]


def test_ensemble_choice_uses_training_clips_only(toy, tmp_path):
    # same training responses; the test clips carry signal in two other regions only
    other = np.flatnonzero(REGIONS["region 0"] | REGIONS["region 7"])
    signal = np.flatnonzero(REGIONS[PLANTED[0]] | REGIONS[PLANTED[1]])
    swapped = _study(tmp_path, N_REGIONS * SIZE, signal, test_signal_vertices=other)
    assert np.array_equal(swapped.responses.train, toy.responses.train)
    a = decode_study(toy, "genre", regions=REGIONS, n_best_regions=2)
    b = decode_study(swapped, "genre", regions=REGIONS, n_best_regions=2)
    assert a.regions == b.regions
    pd.testing.assert_series_equal(a.decoder.region_scores_, b.decoder.region_scores_)
    assert b.summary()["identification"] < 0.75  # kept regions carry no test signal


def test_auditory_regions_on_fsaverage5_and_a_table(tmp_path):
    from b2m.regions import auditory_regions

    regions = auditory_regions()
    planted = ("left anterior STS", "right anterior STG")
    others = np.any([m for k, m in regions.items() if k not in planted], axis=0)
    signal = np.flatnonzero((regions[planted[0]] | regions[planted[1]]) & ~others)
    study = _study(tmp_path, 20484, signal)
    table, results = decoding_table(
        study, "genre", regions="auditory", n_best_regions=2, n_permutations=20,
        return_results=True,
    )  # fmt: skip
    res = results[("sub-001", "genre", None)]
    assert set(res.regions) == set(planted)
    assert table["regions"].iloc[0] == "; ".join(res.regions)
    assert table["identification"].iloc[0] > 0.8
    assert len(res.decoder.region_scores_) == len(regions)


def test_region_errors(toy, tmp_path):
    native = _study(tmp_path, N_REGIONS * SIZE, np.arange(10), space="native")
    with pytest.raises(ValueError, match=r"regions='auditory' needs responses on fsaverage5.*"
                       r"received space 'native' with 200 columns"):  # fmt: skip
        decode_study(native, "genre", regions="auditory")
    with pytest.raises(ValueError, match=r"received space 'fsaverage5' with 200 columns"):
        decode_study(toy, "genre", regions="auditory")
    with pytest.raises(ValueError, match=r"regions must be 'auditory'.*received 'destrieux'"):
        decode_study(toy, "genre", regions="destrieux")
    with pytest.raises(ValueError, match=r"n_best_regions must be an integer between 1 and .*"
                       r"\(8\); received 9"):  # fmt: skip
        decode_study(toy, "genre", regions=REGIONS, n_best_regions=9)
    with pytest.raises(ValueError, match=r"regions\['bad'\] must be a boolean mask of shape "
                       r"\(200,\).*received int64 of shape \(3,\)"):  # fmt: skip
        decode_study(toy, "genre", regions={"bad": np.array([1, 2, 3])})
    with pytest.raises(ValueError, match=r"regions\['empty'\] selects no vertex"):
        decode_study(toy, "genre", regions={"empty": np.zeros(200, bool)})
    with pytest.raises(ValueError, match=r"n_voxels and regions are alternative"):
        decode_study(toy, "genre", regions=REGIONS, n_voxels=10)
