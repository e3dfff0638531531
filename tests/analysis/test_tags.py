"""Decoded tags: AUC, precision and their permutation bands (no study, no model weights)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from b2m.analysis import DecodedTags, tag_auc


def _tags(decoded, true, k=3):
    n = len(true)
    return DecodedTags(
        space="musicnn-tags",
        subject="sub-001",
        tag_names=[f"tag{i}" for i in range(true.shape[1])],
        decoded=decoded,
        true=true,
        test_ids=np.array([f"test_{i:03d}" for i in range(n)]),
        test_genres=np.array(["rock"] * n),
        k=k,
    )


def test_tag_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(40, 5)).astype(float)  # many ties
    positives = rng.random((40, 5)) < 0.4
    expected = [roc_auc_score(positives[:, j], scores[:, j]) for j in range(5)]
    np.testing.assert_allclose(tag_auc(scores, positives), expected)


def test_tag_auc_is_nan_without_positives_or_negatives():
    scores = np.arange(12.0).reshape(6, 2)
    positives = np.zeros((6, 2), bool)
    positives[:, 1] = True
    assert np.isnan(tag_auc(scores, positives)).all()
    with pytest.raises(ValueError, match="positives must have the shape"):
        tag_auc(scores, positives[:3])


def test_informative_decoding_beats_its_chance_band_and_noise_does_not():
    rng = np.random.default_rng(1)
    true = rng.normal(size=(60, 20))
    good = _tags(true + 0.5 * rng.normal(size=true.shape), true)
    noise = _tags(np.random.default_rng(5).normal(size=true.shape), true)
    sg, sn = good.summary(n_permutations=300), noise.summary(n_permutations=300)
    assert sg["mean_tag_auc"] > sg["tag_auc_chance_high"] > 0.5 > sg["tag_auc_chance_low"]
    assert sg["tag_precision"] > sg["tag_precision_chance_high"]
    assert sg["n_tags_above_chance"] >= 15
    assert sn["tag_auc_chance_low"] <= sn["mean_tag_auc"] <= sn["tag_auc_chance_high"]
    assert sn["n_tags_above_chance"] <= 3
    # The chance level of tag precision is k / n_tags when tags are unrelated.
    assert (
        abs(np.mean([sn["tag_precision_chance_low"], sn["tag_precision_chance_high"]]) - 3 / 20)
        < 0.05
    )


def test_scores_frame_and_untested_tags():
    rng = np.random.default_rng(2)
    true = rng.normal(size=(30, 6))
    true[:, 5] = -10.0  # never among a clip's top 3: untested
    scores = _tags(true + rng.normal(size=true.shape), true).scores(n_permutations=200)
    assert isinstance(scores, pd.DataFrame)
    assert list(scores.columns) == ["auc", "n_positive", "chance_low", "chance_high", "p_value"]
    assert np.isnan(scores.loc["tag5", "auc"]) and scores.loc["tag5", "n_positive"] == 0
    assert np.isnan(scores.loc["tag5", "p_value"])
    assert scores.index[-1] == "tag5"  # untested last
    tested = scores.dropna()
    assert (tested["chance_low"] < tested["chance_high"]).all()
    assert ((tested["p_value"] > 0) & (tested["p_value"] <= 1)).all()


def test_clip_tables_and_lookup():
    true = np.array([[3.0, 2.0, 1.0, -1.0, -2.0], [-2.0, -1.0, 1.0, 2.0, 3.0]])
    decoded = np.array([[0.0, 4.0, -3.0, 1.0, 2.0], [1.0, 0.0, 0.0, 0.0, 5.0]])
    t = _tags(decoded, true, k=2)
    assert t.true_tags(0) == ["tag0", "tag1"]
    assert t.predicted_tags("test_000") == ["tag1", "tag4"]
    frame = t.clip(0, n=3)
    assert frame["tag"].tolist() == ["tag1", "tag4", "tag3"]
    assert frame["clip_tag"].tolist() == [True, False, False]
    assert np.allclose(frame["decoded_probability"], 1 / (1 + np.exp(-np.array([4.0, 2.0, 1.0]))))
    with pytest.raises(ValueError, match="clip must be a test clip id"):
        t.clip("train_001")
    with pytest.raises(ValueError, match=r"clip must be in \[0, 2\)"):
        t.clip(5)
    with pytest.raises(ValueError, match="n_permutations must be an integer"):
        t.summary(n_permutations=0)


def test_decoded_tags_rejects_a_space_without_tags():
    from b2m.analysis import decoded_tags

    class Fake:
        decoder = decoded = true = None
        space = "acoustic"

    with pytest.raises(ValueError, match="has no tags"):
        decoded_tags(Fake())
    with pytest.raises(TypeError, match="DecodingResult"):
        decoded_tags(object())


def test_static_tag_figures():
    import matplotlib

    matplotlib.use("Agg")
    from b2m.plotting import plot_decoded_tags, plot_tag_scores

    rng = np.random.default_rng(3)
    true = rng.normal(size=(20, 8))
    t = _tags(true + rng.normal(size=true.shape), true)
    fig = plot_decoded_tags(t, "test_004", n=4)
    left, right = fig.axes
    assert left.get_title() == "the brain says" and right.get_title() == "the clip's own tags"
    assert [x.get_text() for x in right.get_yticklabels()][:3] == t.true_tags(4)
    assert len(left.patches) == 4
    scores = t.scores(n_permutations=100)
    fig2 = plot_tag_scores(scores)
    assert len(fig2.axes[0].patches) == scores["auc"].notna().sum()
    with pytest.raises(ValueError, match="no tested tag"):
        plot_tag_scores(scores.assign(auc=np.nan))
    with pytest.raises(TypeError, match="DecodedTags"):
        plot_decoded_tags(scores, 0)
