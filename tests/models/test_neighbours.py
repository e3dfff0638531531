"""One neighbour item type for every retrieval list (decoding, reconstructions, the explorer)."""

from __future__ import annotations

import numpy as np

from b2m.models import Neighbour, cosine_neighbours, neighbour_items
from b2m.reconstruction import Reconstruction, as_neighbour_items


def test_neighbour_items_in_the_order_given():
    items = neighbour_items(np.array([2, 0]), ["a", "b", "c"], ["jazz", "", "pop"], [0.1, 0.2, 0.9])
    assert items == [
        {"index": 2, "clip_id": "c", "genre": "pop", "score": 0.9},
        {"index": 0, "clip_id": "a", "genre": "jazz", "score": 0.1},
    ]
    assert all(type(it["index"]) is int and type(it["score"]) is float for it in items)
    assert set(Neighbour.__annotations__) == set(items[0])


def test_every_builder_makes_the_same_keys():
    x = np.random.default_rng(0).standard_normal((5, 3))
    cos = cosine_neighbours(x, 1, 3, ["g"] * 5, list("abcde"))
    wave = np.zeros(100, np.float32)
    rec = Reconstruction("a", "retrieval", 0, wave, 100, "b", similarity=0.5)
    recs = as_neighbour_items([rec])
    assert set(cos[0]) == set(recs[0]) == set(Neighbour.__annotations__)
    assert recs[0]["score"] == 0.5 and cos[0]["index"] != 1
