"""The simulated study's imperfect caption annotators (annotate_attributes)."""

import copy

import numpy as np
import pytest

from b2m.datasets._captions import ANNOTATOR_ERRORS, annotate_attributes
from b2m.datasets.simulation.music import GENRES, IMAGERY, make_caption, sample_clip_attributes

NO_ERRORS = dict.fromkeys(ANNOTATOR_ERRORS, 0.0)


@pytest.fixture(scope="module")
def clips():
    rng = np.random.default_rng(3)
    return [sample_clip_attributes(g, rng) for g in GENRES for _ in range(150)]


def test_a_perfect_annotator_describes_the_clip_as_it_is(clips):
    for i, a in enumerate(clips[::50]):
        before = copy.deepcopy(a)
        heard = annotate_attributes(a, np.random.default_rng(i), NO_ERRORS)
        assert a == before  # the clip's own attributes are never modified
        assert heard == a and heard is not a
        assert make_caption(heard, np.random.default_rng(i)) == make_caption(
            a, np.random.default_rng(i)
        )


def test_annotations_are_deterministic_and_captions_stay_valid(clips):
    for i, a in enumerate(clips):
        heard = annotate_attributes(a, np.random.default_rng([0, 6, i]))
        assert heard == annotate_attributes(a, np.random.default_rng([0, 6, i]))
        assert heard["genre"] in GENRES and set(heard["imagery"]) <= set(IMAGERY)
        assert heard["imagery"]
        assert set(x for x, _ in heard["comping"]) <= set(heard["instruments"])
        caption = make_caption(heard, np.random.default_rng(i))  # any perception is writable
        assert caption.endswith(".")


def test_error_rates_match_the_documented_ones(clips):
    heard = [annotate_attributes(a, np.random.default_rng([0, 6, i])) for i, a in enumerate(clips)]
    wrong_genre = np.mean([h["genre"] != a["genre"] for h, a in zip(heard, clips, strict=True)])
    assert abs(wrong_genre - ANNOTATOR_ERRORS["genre"]) < 0.03
    # a wrong genre is a neighbouring one, never an arbitrary one
    metal = [h["genre"] for h, a in zip(heard, clips, strict=True) if a["genre"] == "metal"]
    assert set(metal) == {"metal", "rock"}
    kept = [
        np.mean([w in a["imagery"] for w in h["imagery"]])
        for h, a in zip(heard, clips, strict=True)
    ]
    assert abs(np.mean(kept) - (1 - ANNOTATOR_ERRORS["own_imagery"])) < 0.05
    err = np.array([h["valence"] - a["valence"] for h, a in zip(heard, clips, strict=True)])
    assert 0.6 * ANNOTATOR_ERRORS["mood_sd"] < err.std() <= ANNOTATOR_ERRORS["mood_sd"] * 1.05
    ratio = np.log([h["tempo"] / a["tempo"] for h, a in zip(heard, clips, strict=True)])
    assert abs(ratio.std() - ANNOTATOR_ERRORS["tempo_sd"]) < 0.01
    named = [
        np.mean([x in h["instruments"] for x, _ in a["comping"]])
        for h, a in zip(heard, clips, strict=True)
        if a["comping"]
    ]
    p_right = 1 - ANNOTATOR_ERRORS["omit_instrument"] - ANNOTATOR_ERRORS["confuse_instrument"]
    assert p_right - 0.05 < np.mean(named) < p_right + 0.15  # confusions may hit a true one


def test_annotator_validation(clips):
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="attributes must be a dict"):
        annotate_attributes([], rng)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        annotate_attributes(clips[0], 0)
    with pytest.raises(ValueError, match="errors must have keys among"):
        annotate_attributes(clips[0], rng, {"spelling": 0.1})
    with pytest.raises(ValueError, match="missing key"):
        annotate_attributes({"genre": "rock"}, rng)
