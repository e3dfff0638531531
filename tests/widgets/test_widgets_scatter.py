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


def _click(figure, trace_index, point_index):
    """Send the message the browser sends on a click (plotly's js2py points callback)."""
    figure._js2py_pointsCallback = {
        "event_type": "plotly_click",
        "points": {
            "xs": [0.0],
            "ys": [0.0],
            "point_indexes": [point_index],
            "trace_indexes": [trace_index],
        },
    }


def test_one_trace_per_genre_coloured_and_escaped(clips):
    scatter = view_embeddings(*clips)
    *genre_traces, highlight = scatter.figure.data
    assert [t.name for t in genre_traces] == GENRES
    colors = genre_colors()
    assert [t.marker.color for t in genre_traces] == [colors[g] for g in GENRES]
    assert sum(len(t.x) for t in genre_traces) == 24
    assert len(highlight.x) == 0
    hover = [h for t in genre_traces for h in t.hovertext]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hover
    assert not any("<script>" in h for h in hover)
    assert scatter.coordinates.shape == (24, 2)


def test_click_sets_selected_and_python_selection_highlights(clips):
    scatter = EmbeddingScatter(*clips)
    _click(scatter.figure, trace_index=1, point_index=2)  # third "jazz" clip: index 7
    assert scatter.selected == 7
    highlight = scatter.figure.data[-1]
    assert highlight.x == (scatter.coordinates[7, 0],)
    scatter.selected = 4
    assert highlight.y == (scatter.coordinates[4, 1],)
    scatter.selected = -1
    assert len(highlight.x) == 0
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
