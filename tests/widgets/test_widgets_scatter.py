"""EmbeddingScatter and NeighbourList: traces, clicks, selection, escaping, validation."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

from b2m.plotting import genre_colors
from b2m_widgets import (
    AudioPlayer,
    EmbeddingScatter,
    NeighbourList,
    view_embeddings,
    view_neighbours,
)

GENRES = ["blues", "jazz", "rock"]
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def clips():
    rng = np.random.default_rng(1)
    n = 24
    embeddings = rng.standard_normal((n, 6))
    genres = [GENRES[i % 3] for i in range(n)]
    clip_ids = [f"clip{i:02d}" for i in range(n)]
    clip_ids[4] = EVIL
    return embeddings, genres, clip_ids


def test_points_sent_as_bytes_grouped_by_genre(clips):
    genres = clips[1]
    scatter = view_embeddings(*clips, title="<b>map</b>")
    assert scatter.coordinates.shape == (24, 2)
    points = np.frombuffer(scatter._points, "<f4").reshape(-1, 2)
    np.testing.assert_array_equal(points, scatter.coordinates.astype(np.float32))
    colors = genre_colors()
    assert scatter._groups == [{"name": g, "color": colors[g]} for g in GENRES]
    codes = np.frombuffer(scatter._codes, "<u2")
    assert [scatter._groups[c]["name"] for c in codes] == genres
    # Ids and the title go to the browser as they are: it sets them with textContent.
    assert scatter._ids[4] == EVIL and scatter.title == "<b>map</b>"
    assert (scatter.x_label, scatter.y_label) == ("PC1", "PC2")
    # The whole map is small: bytes, not a plotting library's figure.
    assert len(scatter._points) + len(scatter._codes) == 24 * 10
    with pytest.raises(ValueError, match="height must be an integer >= 80"):
        EmbeddingScatter(*clips, height=10)


def test_click_sets_selected(clips):
    scatter = EmbeddingScatter(*clips)
    seen = []
    scatter.observe(lambda change: seen.append(change["new"]), names="selected")
    scatter.set_state({"selected": 7})  # what the browser sends when a point is clicked
    assert scatter.selected == 7 and seen == [7]
    scatter.selected = -1
    with pytest.raises(traitlets.TraitError, match=r"selected must be -1 or an index in \[0, 24\)"):
        scatter.selected = 24


def test_two_dimensional_embeddings_are_used_as_is(clips):
    _, genres, clip_ids = clips
    xy = np.random.default_rng(2).standard_normal((24, 2))
    scatter = EmbeddingScatter(xy, genres, clip_ids)
    np.testing.assert_allclose(scatter.coordinates, xy)


def test_scatter_validates_inputs(clips):
    embeddings, genres, clip_ids = clips
    with pytest.raises(ValueError, match="genres has 23"):
        EmbeddingScatter(embeddings, genres[:-1], clip_ids)
    with pytest.raises(ValueError, match="embeddings must be a 2-D array"):
        EmbeddingScatter(embeddings[0], genres, clip_ids)
    with pytest.raises(ValueError, match="method must be one of"):
        EmbeddingScatter(embeddings, genres, clip_ids, method="umap")


def _items():
    return [
        {"index": 3, "clip_id": "clip03", "genre": "blues", "score": 0.9},
        {"index": 4, "clip_id": EVIL, "genre": "<i>jazz</i>", "score": np.float32(0.5)},
    ]


def test_neighbour_list_rows_are_escaped_and_playable():
    calls = []

    def get_audio(index):
        calls.append(index)
        return np.sin(np.linspace(0, 100, 800)) * 0.3, 8000

    nlist = view_neighbours(_items(), get_audio=get_audio, query="<q>")
    rows = nlist.clips.items  # a ClipList: the browser sets every text with textContent
    assert [r["label"] for r in rows] == ["clip03", EVIL]
    assert rows[1]["detail"] == "<i>jazz</i>" and rows[0]["score"] == "0.900"
    assert nlist.clips.title == "neighbours of <q>"
    assert not any(r["disabled"] for r in rows)
    nlist.clips.activate(1)  # Enter on the second row, or a click
    assert nlist.selected == 4 and calls == [4]
    assert isinstance(nlist.player, AudioPlayer)
    assert nlist.player.src_id == EVIL and nlist.player.playing
    nlist.choose(1)  # same row again: plays again
    assert calls == [4, 4]
    nlist.selected = 3  # from Python
    assert calls == [4, 4, 3] and nlist.player.src_id == "clip03"
    nlist.set_neighbours([])
    assert nlist.selected == -1 and not nlist.clips.items and not nlist.player.playing


def test_neighbour_list_shows_audio_errors_in_its_output():
    def get_audio(index):
        raise OSError(f"no audio for clip {index}")

    nlist = NeighbourList(_items(), get_audio=get_audio)
    nlist.choose(0)
    text = "".join(o["text"] for o in nlist.output.outputs)
    assert "OSError: no audio for clip 3" in text
    assert not nlist.player.playing


def test_neighbour_items_are_validated():
    with pytest.raises(ValueError, match=r"items\[1\] must be a dict with keys"):
        NeighbourList([_items()[0], {"index": 1}])
    with pytest.raises(ValueError, match=r"items\[0\]\['score'\] must be a finite number"):
        NeighbourList([{"index": 1, "clip_id": "a", "genre": "pop", "score": float("nan")}])
    with pytest.raises(ValueError, match=r"items\[0\]\['index'\] must be an int >= 0"):
        NeighbourList([{"index": -2, "clip_id": "a", "genre": "pop", "score": 1.0}])
    with pytest.raises(TypeError, match="items must be a list of dicts"):
        NeighbourList({"index": 1})
    nlist = NeighbourList(_items())  # no get_audio: rows disabled, player hidden
    assert all(row["disabled"] for row in nlist.clips.items)
    assert nlist.player.layout.display == "none"
