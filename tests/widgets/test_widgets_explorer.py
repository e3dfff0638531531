"""ClipExplorer: the scatter, dropdown, player and neighbour list stay linked; errors show."""

from __future__ import annotations

import numpy as np
import pytest

from b2m_widgets import ClipExplorer, cosine_neighbours, view_clip_explorer

SR = 8000
GENRES = ("blues", "classical", "jazz", "metal")


@pytest.fixture
def clips():
    rng = np.random.default_rng(3)
    n = 20
    embeddings = rng.standard_normal((n, 5))
    genres = [GENRES[i % 4] for i in range(n)]
    clip_ids = [f"{genres[i]}.{i:05d}" for i in range(n)]
    return embeddings, genres, clip_ids


def get_audio(index):
    t = np.arange(SR // 10) / SR
    return 0.4 * np.sin(2 * np.pi * (220 + 20 * index) * t), SR


def _error_text(explorer):
    return "".join(o.get("text", "") for o in explorer.output.outputs)


def test_selecting_in_the_scatter_plays_the_clip_and_lists_neighbours(clips):
    embeddings, genres, clip_ids = clips
    explorer = view_clip_explorer(embeddings, genres, clip_ids, get_audio, k=3)
    assert explorer.player.src_id == "" and not explorer.neighbour_list.items
    explorer.scatter.selected = 6
    assert explorer.selected == 6 and explorer.dropdown.value == 6
    assert explorer.player.src_id == clip_ids[6]
    assert explorer.player.title == f"{clip_ids[6]} ({genres[6]})"
    assert explorer.player.playing
    assert len(explorer.player.wav_bytes) > 44
    expected = cosine_neighbours(embeddings, 6, 3, genres, clip_ids)
    assert [it["index"] for it in explorer.neighbour_list.items] == [e["index"] for e in expected]
    assert 6 not in [it["index"] for it in explorer.neighbour_list.items]
    assert clip_ids[6] in explorer.neighbour_list.header.value
    assert len(explorer.neighbour_list.rows.children) == 3
    assert explorer.scatter.figure.data[-1].x == (explorer.scatter.coordinates[6, 0],)
    assert explorer.output.outputs == ()


def test_dropdown_and_scatter_are_linked(clips):
    explorer = ClipExplorer(*clips, get_audio)
    explorer.dropdown.value = 2
    assert explorer.scatter.selected == 2 and explorer.player.src_id == clips[2][2]
    explorer.selected = -1
    assert explorer.scatter.selected == -1 and explorer.dropdown.value == -1
    assert not explorer.player.playing and not explorer.neighbour_list.items


def test_custom_neighbours_are_listed_and_playable_one_player_at_a_time(clips):
    embeddings, genres, clip_ids = clips
    asked = []

    def decoded_neighbours(index):
        asked.append(index)
        return [
            {"index": j, "clip_id": clip_ids[j], "genre": genres[j], "score": 1.0 - 0.1 * r}
            for r, j in enumerate(range(10))
        ]

    explorer = ClipExplorer(embeddings, genres, clip_ids, get_audio, decoded_neighbours, k=4)
    explorer.selected = 11
    assert asked == [11]
    assert [it["index"] for it in explorer.neighbour_list.items] == [0, 1, 2, 3]  # truncated to k
    explorer.neighbour_list.choose(2)
    assert explorer.neighbour_list.player.src_id == clip_ids[2]
    assert explorer.neighbour_list.player.playing and not explorer.player.playing
    explorer.player.playing = True
    assert not explorer.neighbour_list.player.playing


def test_errors_in_callbacks_appear_in_the_output_widget(clips):
    embeddings, genres, clip_ids = clips

    def broken_neighbours(index):
        raise RuntimeError(f"decoder failed for clip {index}")

    explorer = ClipExplorer(embeddings, genres, clip_ids, get_audio, broken_neighbours)
    explorer.scatter.selected = 5  # must not raise
    text = _error_text(explorer)
    assert "RuntimeError: decoder failed for clip 5" in text
    assert "Traceback" in text
    assert explorer.output in explorer.children
    assert explorer.player.src_id == clip_ids[5]  # the audio still loaded
    assert explorer.neighbour_list.items == []

    def bad_format(index):
        return [{"index": 1}]

    explorer = ClipExplorer(embeddings, genres, clip_ids, get_audio, bad_format)
    explorer.selected = 3
    assert r"neighbours(3)[0] must be a dict with keys" in _error_text(explorer)

    def broken_audio(index):
        raise FileNotFoundError(f"clip {index} missing")

    explorer = ClipExplorer(embeddings, genres, clip_ids, broken_audio)
    explorer.selected = 8
    assert "FileNotFoundError: clip 8 missing" in _error_text(explorer)
    assert explorer.player.src_id == "" and "audio unavailable" in explorer.player.title
    assert len(explorer.neighbour_list.items) == 5
    explorer.selected = 9  # a new selection shows only its own errors
    assert "clip 9 missing" in _error_text(explorer)
    assert "clip 8 missing" not in _error_text(explorer)


def test_explorer_validates_inputs(clips):
    embeddings, genres, clip_ids = clips
    with pytest.raises(TypeError, match="get_audio must be callable"):
        ClipExplorer(embeddings, genres, clip_ids, get_audio=None)
    with pytest.raises(TypeError, match="neighbours must be callable or None"):
        ClipExplorer(embeddings, genres, clip_ids, get_audio, neighbours=[1, 2])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ClipExplorer(embeddings, genres, clip_ids, get_audio, k=0)
    with pytest.raises(ValueError, match="clip_ids has 19"):
        ClipExplorer(embeddings, genres, clip_ids[:-1], get_audio)
