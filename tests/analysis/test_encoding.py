"""Encoding maps on the simulated study: permutation tests, FDR, noise ceilings."""

import dataclasses
import json

import numpy as np
import pytest

from b2m.analysis import EncodingResult, encode_study
from b2m.stats import NoiseCeiling, fdr_bh

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoded(study, study_home):
    """The acoustic encoding result (features cached in the session's study home)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("B2M_DATA", str(study_home))
        return encode_study(study, "acoustic")


@pytest.fixture(scope="module")
def planted(study):
    """Vertices with a planted response to any component, shape (20484,)."""
    return study.ground_truth["gains"].max(0) > 0


@pytest.fixture
def in_study_home(study_home, monkeypatch):
    monkeypatch.setenv("B2M_DATA", str(study_home))


def test_result_has_every_map_with_the_right_shape(encoded):
    assert isinstance(encoded, EncodingResult)
    assert isinstance(encoded.noise_ceiling, NoiseCeiling)
    n = 20484
    for name in ("test_r", "test_r2", "normalised_r", "pvalues", "qvalues", "significant"):
        assert getattr(encoded, name).shape == (n,), name
    assert encoded.significant.dtype == bool
    assert np.all((encoded.pvalues > 0) & (encoded.pvalues <= 1))
    np.testing.assert_array_equal(encoded.significant, fdr_bh(encoded.pvalues)[0])
    # The test correlations are the encoder's own scores.
    assert np.all(encoded.test_r2 <= 1)
    assert encoded.permutation.n_permutations == 1000


def test_significant_vertices_lie_in_planted_regions(encoded, planted):
    det = encoded.detection(planted)
    assert det["n_significant"] >= 50
    assert det["precision"] > 0.8
    assert det["false_discovery_share"] <= 0.1  # FDR at 0.05, with slack for soft edges
    assert encoded.significant[planted].mean() > 20 * encoded.significant[~planted].mean()


def test_noise_ceiling_and_normalised_r_behave(encoded, planted):
    ceiling = encoded.noise_ceiling.max_r
    assert ceiling[planted].mean() > 1.5 * ceiling[~planted].mean()
    assert np.nanmean(encoded.normalised_r[planted]) < 1.0
    assert np.nanmean(encoded.normalised_r[encoded.significant]) < 1.3  # selection inflates
    low = ceiling < 0.1
    assert np.isnan(encoded.normalised_r[low]).all()


def test_region_table_and_summary(encoded):
    table = encoded.regions
    assert {"region", "mean r", "fraction significant", "mean normalised r"} <= set(table)
    assert table.iloc[-1]["region"] == "whole cortex"
    assert encoded.best_region == table.iloc[0]["region"]
    best = table.iloc[0]
    assert best["fraction significant"] > 10 * table.iloc[-1]["fraction significant"]
    summary = encoded.summary()
    json.dumps(summary)
    assert summary["n_significant"] == int(encoded.significant.sum())
    assert summary["best_region"] == encoded.best_region
    assert summary["best_region_mean_normalised_r"] == pytest.approx(best["mean normalised r"])
    frame = encoded.to_frame()
    assert set(frame["space"]) == {"acoustic"} and len(frame) == len(table)
    vertices = encoded.vertex_frame()
    assert len(vertices) == 20484 and vertices["significant"].sum() == summary["n_significant"]


def test_map_is_ready_for_the_viewers(encoded):
    shown = encoded.map()
    assert shown.shape == (20484,) and np.isfinite(shown).all()
    assert np.all(shown[~encoded.significant] == 0)
    np.testing.assert_allclose(
        shown[encoded.significant], np.nan_to_num(encoded.normalised_r[encoded.significant])
    )
    everything = encoded.map("r", significant_only=False)
    np.testing.assert_allclose(everything, encoded.test_r, atol=1e-6)
    assert np.isnan(encoded.map("normalised", significant_only=False, fill=np.nan)).any()
    assert encoded.map("logq").max() > -np.log10(0.05)
    with pytest.raises(ValueError, match="kind must be one of"):
        encoded.map("nonsense")
    with pytest.raises(ValueError, match="truth must have shape"):
        encoded.detection(np.ones(10, bool))


def test_detection_table_has_a_row_per_truth(encoded, study, planted):
    gains = study.ground_truth["gains"]
    table = encoded.detection_table({"any": planted, "acoustic": gains[0] > 0})
    assert list(table.index) == ["any", "acoustic"]
    assert table.loc["any", "precision"] == pytest.approx(encoded.detection(planted)["precision"])
    assert table.loc["any", "precision"] >= table.loc["acoustic", "precision"]


def test_shuffled_responses_give_uniform_pvalues(study, in_study_home):
    rng = np.random.default_rng(0)
    responses = study.responses
    shuffled = responses.test_repeats[:, rng.permutation(responses.test_repeats.shape[1])]
    null_study = dataclasses.replace(
        study, responses=dataclasses.replace(responses, test_repeats=shuffled)
    )
    result = encode_study(null_study, "acoustic", n_permutations=200, seed=1)
    counts = np.histogram(result.pvalues, bins=10, range=(0, 1))[0]
    assert counts.min() > 0.7 * 2048 and counts.max() < 1.3 * 2048
    assert result.n_significant <= 5


def test_genre_blocks_remove_genre_only_evidence(study, in_study_home):
    # The genre one-hot predicts the same value for every clip of a genre, so shuffling
    # clips within genres reproduces r exactly: nothing is left to detect.
    free = encode_study(study, "genre", n_permutations=200)
    blocked = encode_study(study, "genre", n_permutations=200, groups="genre")
    assert free.n_significant > 50
    assert blocked.n_significant == 0
    np.testing.assert_allclose(free.test_r, blocked.test_r, atol=1e-6)


def test_without_permutations_nothing_is_significant(study, in_study_home):
    result = encode_study(study, "genre", n_permutations=0)
    assert result.n_significant == 0 and np.isnan(result.pvalues).all()
    assert result.summary()["n_permutations"] == 0
    assert result.map().max() == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"null": "global"}, "null must be one of"),
        ({"n_permutations": -1}, "n_permutations must be a non-negative integer"),
        ({"groups": "subject", "n_permutations": 10}, "groups must be one of"),
        ({"alpha": 2.0, "n_permutations": 10}, "alpha must be a number in \\(0, 1\\)"),
    ],
)
def test_bad_arguments_are_named(study, in_study_home, kwargs, match):
    with pytest.raises(ValueError, match=match):
        encode_study(study, "genre", **kwargs)
