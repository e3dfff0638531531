"""Free text → tags → ranked clips and a cortical map (real sentence model, synthetic tags)."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.analysis import TagQuery, rank_by_text, text_response_map, text_to_tags
from b2m.models import Encoder

TAGS = ["guitar", "classical", "strings", "drums", "rock", "fast", "piano", "metal", "violin",
        "techno", "quiet", "loud"]  # fmt: skip


def test_text_maps_onto_the_nearest_tags():
    q = text_to_tags("heavy metal", TAGS)
    assert q.matched["tag"].iloc[0] == "metal"
    assert np.isclose(q.weights.sum(), 1.0) and (q.weights >= 0).all()
    q2 = text_to_tags("distorted guitar, fast drums", TAGS)
    assert q2.phrases == ["distorted guitar", "fast drums"]
    assert {"guitar", "drums"} <= set(q2.matched["tag"])
    assert not {"classical", "violin", "quiet"} & set(q2.matched["tag"])


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text_is_an_error(text):
    with pytest.raises(ValueError, match="text must be a non-empty description"):
        text_to_tags(text, TAGS)


def test_text_near_no_tag_names_the_nearest():
    with pytest.raises(ValueError, match=r"near no tag .*the nearest are '"):
        text_to_tags("a banana sandwich", TAGS)
    with pytest.raises(ValueError, match="min_similarity must be in"):
        text_to_tags("metal", TAGS, min_similarity=1.5)


def _synthetic_library(seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(80, len(TAGS)))
    metal, violin = TAGS.index("metal"), TAGS.index("violin")
    logits[:10, metal] += 4.0  # ten metal clips
    logits[10:20, violin] += 4.0  # ten violin clips
    return logits


def test_rank_by_text_puts_matching_clips_first():
    logits = _synthetic_library()
    ids = [f"c{i:02d}" for i in range(len(logits))]
    ranked = rank_by_text(text_to_tags("heavy metal", TAGS), logits, ids, genres=["x"] * 80)
    assert set(ranked["clip_id"][:10]) == {f"c{i:02d}" for i in range(10)}
    assert list(ranked.columns[:3]) == ["clip_id", "genre", "score"]
    assert "metal" in ranked.columns and ranked["score"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="one column per tag"):
        rank_by_text(text_to_tags("heavy metal", TAGS), logits[:, :5])
    with pytest.raises(TypeError, match="TagQuery"):
        rank_by_text("heavy metal", logits)


def test_response_map_peaks_where_the_tag_drives_the_cortex():
    logits = _synthetic_library(1)
    rng = np.random.default_rng(2)
    responses = 0.3 * rng.normal(size=(80, 30))
    responses[:, 7] += logits[:, TAGS.index("metal")]  # vertex 7 hears metal
    responses[:, 3] += logits[:, TAGS.index("violin")]  # vertex 3 hears violins
    enc = Encoder(n_splits=4).fit(logits, responses, np.repeat(np.arange(4), 20))
    metal_map = text_response_map(text_to_tags("heavy metal", TAGS), enc, logits)
    violin_map = text_response_map(text_to_tags("violin", TAGS), enc, logits)
    assert metal_map.shape == (30,) and int(np.argmax(metal_map)) == 7
    assert int(np.argmax(violin_map)) == 3
    small = Encoder(n_splits=4).fit(logits[:, :5], responses, np.repeat(np.arange(4), 20))
    with pytest.raises(ValueError, match="fitted on the tag space"):
        text_response_map(text_to_tags("heavy metal", TAGS), small, logits)
    with pytest.raises(ValueError, match="strength must be a positive"):
        text_response_map(text_to_tags("heavy metal", TAGS), enc, logits, strength=0)
    assert isinstance(text_to_tags("violin", TAGS), TagQuery)
