"""The encoding summary's best region is chosen on training data, not on the test data it reports.

A small hand-built study (no simulation): genre one-hot features, 20,484 vertices, three
regions whose training and test behaviour disagree on purpose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from b2m.analysis import encode_study
from b2m.datasets import Study
from b2m.datasets._responses import ClipResponses
from b2m.surface import N_VERTICES

GENRES = "blues classical country disco hiphop jazz metal pop reggae rock".split()


def _toy_study(tmp_path, *, seed=0):
    """Region A: genre signal in the training clips only (test responses are noise).
    Region B: a weak genre signal in training, a strong one in the test clips.
    Region C: noise. Elsewhere: noise."""
    rng = np.random.default_rng(seed)
    n_train_per, n_test_per = 20, 5
    train_genres = np.repeat(GENRES, n_train_per)
    test_genres = np.repeat(GENRES, n_test_per)
    train_ids = np.array([f"{g}.{i:05d}" for i, g in enumerate(train_genres)])
    test_ids = np.array([f"{g}.{i + 1000:05d}" for i, g in enumerate(test_genres)])
    train_runs = rng.permutation(np.arange(len(train_ids)) % 5)
    clips = pd.DataFrame(
        {
            "clip_id": np.concatenate([train_ids, test_ids]),
            "genre": np.concatenate([train_genres, test_genres]),
            "split": ["train"] * len(train_ids) + ["test"] * len(test_ids),
            "caption": "a clip",
        }
    )
    regions = {name: np.zeros(N_VERTICES, bool) for name in "ABC"}
    regions["A"][:200], regions["B"][200:400], regions["C"][400:600] = True, True, True
    code = {g: i for i, g in enumerate(GENRES)}
    tr = np.array([code[g] for g in train_genres])
    te = np.array([code[g] for g in test_genres])
    effect = rng.standard_normal((len(GENRES), N_VERTICES)).astype(np.float32)
    train = rng.standard_normal((len(train_ids), N_VERTICES)).astype(np.float32)
    repeats = rng.standard_normal((2, len(test_ids), N_VERTICES)).astype(np.float32)
    train[:, regions["A"]] += 1.5 * effect[tr][:, regions["A"]]
    train[:, regions["B"]] += 0.3 * effect[tr][:, regions["B"]]
    repeats[:, :, regions["B"]] += 3.0 * effect[te][:, regions["B"]]
    responses = ClipResponses(
        train=train, train_ids=train_ids, train_runs=train_runs, test_repeats=repeats,
        test_ids=test_ids, test_runs=np.zeros(len(test_ids), int),
    )  # fmt: skip
    study = Study(
        dataset="simulated", subject="sub-001", clips=clips, responses=responses,
        space="fsaverage5", root=tmp_path, key="toy-selection", sample_rate=22050,
        data_home=tmp_path,
    )  # fmt: skip
    return study, regions


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    study, regions = _toy_study(tmp_path_factory.mktemp("toy"))
    return encode_study(study, "genre", n_permutations=50, regions=regions)


def test_best_region_is_chosen_on_training_cv_not_on_test(toy):
    table = toy.regions.set_index("region")
    # On the test data B looks best; on the training clips (cross-validated) A is.
    assert table.loc["B", "mean r"] > table.loc["A", "mean r"] + 0.3
    assert table.loc["A", "mean cv R2"] > table.loc["B", "mean cv R2"] + 0.2
    assert toy.best_region == "A"
    summary = toy.summary()
    assert summary["best_region"] == "A"
    # ... and what is reported for it is its test score, honest (about 0 here).
    assert summary["best_region_mean_r"] == pytest.approx(table.loc["A", "mean r"])
    assert abs(summary["best_region_mean_r"]) < 0.1
    assert summary["best_region_selected_on"] == "training cv R2"
    # The table is ordered by the selection criterion (whole cortex last).
    assert list(toy.regions["region"]) == ["A", "B", "C", "whole cortex"]


def test_training_cv_scores_are_kept_per_vertex(toy):
    np.testing.assert_allclose(toy.cv_r2, toy.encoder.ridge_.best_cv_score_)
    assert toy.cv_r2.shape == (N_VERTICES,)
    assert "cv_r2" in toy.vertex_frame().columns
