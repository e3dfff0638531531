"""Clip explorer: the embedding scatter linked to an audio player and a neighbour list."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np
import traitlets

from b2m._utils._validation import check_array
from b2m_widgets._capture import FAILED, call_captured, clear_errors
from b2m_widgets.audio import AudioPlayer
from b2m_widgets.retrieval import NeighbourList, check_neighbours
from b2m_widgets.scatter import EmbeddingScatter

__all__ = ["ClipExplorer", "cosine_neighbours", "view_clip_explorer"]

AudioGetter = Callable[[int], tuple[np.ndarray, int]]
NeighbourGetter = Callable[[int], list[dict]]


def cosine_neighbours(
    embeddings, index: int, k: int, genres: Sequence[str], clip_ids: Sequence[str]
) -> list[dict]:
    """The ``k`` clips whose embeddings are most cosine-similar to clip ``index`` (itself excluded).

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip.
    index : int
        The query clip.
    k : int
        Number of neighbours (fewer when there are fewer other clips).
    genres, clip_ids : sequence of str of length n_clips
        Labels copied into the items.

    Returns
    -------
    list of dict
        Best first, each ``{"index", "clip_id", "genre", "score"}`` (score: cosine similarity).
    """
    x = check_array(embeddings, "embeddings", ndim=2)
    norms = np.linalg.norm(x, axis=1)
    unit = x / np.where(norms > 0, norms, 1.0)[:, None]
    scores = unit @ unit[index]
    scores[index] = -np.inf
    order = np.argsort(-scores, kind="stable")[: min(k, len(x) - 1)]
    return [
        {
            "index": int(j),
            "clip_id": str(clip_ids[j]),
            "genre": str(genres[j]),
            "score": float(scores[j]),
        }
        for j in order
    ]


class ClipExplorer(widgets.VBox):
    """Explore clips: pick one in the scatter (or the dropdown), hear it and its neighbours.

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip (the scatter's 2-D map and the default neighbours).
    genres : sequence of str of length n_clips
        Genre of each clip.
    clip_ids : sequence of str of length n_clips
        Identifier of each clip.
    get_audio : callable
        ``get_audio(index) -> (waveform, sr)`` with waveform of shape (n_samples,).
    neighbours : callable, optional
        ``neighbours(index) -> list of dict`` (keys ``index``, ``clip_id``, ``genre``,
        ``score``), e.g. the clips retrieved from the decoded embedding. Default: the ``k``
        cosine neighbours in ``embeddings`` (:func:`cosine_neighbours`).
    k : int, default 5
        Number of neighbours listed.
    method : {"pca", "tsne"}, default "pca"
        Projection of the scatter.
    title : str, optional
        Scatter title.

    Attributes
    ----------
    selected : int
        Index of the selected clip (``-1``: none); linked to ``scatter.selected`` and
        ``dropdown.value``. Setting it plays the clip and lists its neighbours.
    scatter : EmbeddingScatter
    dropdown : ipywidgets.Dropdown
    player : AudioPlayer
        Plays the selected clip (``src_id`` is its clip id).
    neighbour_list : NeighbourList
        The selected clip's neighbours, each playable in its own player.
    output : ipywidgets.Output
        Shows errors raised by ``get_audio`` and ``neighbours`` (cleared at each selection).
    """

    selected = traitlets.Int(-1)

    def __init__(
        self,
        embeddings,
        genres: Sequence[str],
        clip_ids: Sequence[str],
        get_audio: AudioGetter,
        neighbours: NeighbourGetter | None = None,
        *,
        k: int = 5,
        method: str = "pca",
        title: str | None = None,
    ):
        if not callable(get_audio):
            raise TypeError(f"get_audio must be callable; received {type(get_audio).__name__}.")
        if neighbours is not None and not callable(neighbours):
            raise TypeError(
                f"neighbours must be callable or None; received {type(neighbours).__name__}."
            )
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer; received {k!r}.")
        self.scatter = EmbeddingScatter(embeddings, genres, clip_ids, method=method, title=title)
        self.embeddings = check_array(embeddings, "embeddings", ndim=2)
        self.genres, self.clip_ids = self.scatter.genres, self.scatter.clip_ids
        self.get_audio, self.neighbours, self.k = get_audio, neighbours, int(k)
        self.output = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto"))
        options = [("(select a clip)", -1)] + [(c, i) for i, c in enumerate(self.clip_ids)]
        self.dropdown = widgets.Dropdown(options=options, value=-1, description="clip")
        self.player = AudioPlayer(title="select a clip in the map")
        self.neighbour_list = NeighbourList(get_audio=get_audio, output=self.output)
        self.scatter.layout = widgets.Layout(flex="1 1 60%", min_width="360px")
        right = widgets.VBox(
            [self.dropdown, self.player, self.neighbour_list],
            layout=widgets.Layout(flex="0 0 380px", padding="0 0 0 12px"),
        )
        super().__init__([widgets.HBox([self.scatter, right]), self.output])
        self.add_class("b2m-clip-explorer")
        traitlets.link((self.scatter, "selected"), (self, "selected"))
        traitlets.link((self.dropdown, "value"), (self, "selected"))
        self.observe(self._on_selected, names="selected")
        # One player at a time: starting one pauses the other.
        self.player.observe(self._pause_other, names="playing")
        self.neighbour_list.player.observe(self._pause_other, names="playing")

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        value = proposal["value"]
        n = len(self.scatter.coordinates)
        if not -1 <= value < n:
            raise traitlets.TraitError(
                f"selected must be -1 or an index in [0, {n}); received {value!r}."
            )
        return value

    def _pause_other(self, change) -> None:
        if change["new"]:
            other = self.neighbour_list.player if change["owner"] is self.player else self.player
            other.playing = False

    def _on_selected(self, change) -> None:
        index = change["new"]
        clear_errors(self.output)
        if index < 0:
            self.player.playing = False
            self.neighbour_list.set_neighbours([])
            return
        clip_id, genre = self.clip_ids[index], self.genres[index]
        if call_captured(self.output, self._load, index) is FAILED:
            self.player.clear()
            self.player.title = f"{clip_id} ({genre}): audio unavailable"
        items = call_captured(self.output, self._neighbours_of, index)
        self.neighbour_list.set_neighbours([] if items is FAILED else items, query=clip_id)

    def _load(self, index: int) -> None:
        waveform, sr = self.get_audio(index)
        title = f"{self.clip_ids[index]} ({self.genres[index]})"
        self.player.set_audio(waveform, sr, title=title, src_id=self.clip_ids[index])
        self.player.playing = True

    def _neighbours_of(self, index: int) -> list[dict]:
        if self.neighbours is None:
            raw = cosine_neighbours(self.embeddings, index, self.k, self.genres, self.clip_ids)
        else:
            raw = self.neighbours(index)
        return check_neighbours(raw, name=f"neighbours({index})")[: self.k]


def view_clip_explorer(
    embeddings,
    genres: Sequence[str],
    clip_ids: Sequence[str],
    get_audio: AudioGetter,
    neighbours: NeighbourGetter | None = None,
    *,
    k: int = 5,
    method: str = "pca",
    title: str | None = None,
) -> ClipExplorer:
    """Explore clips: a genre-coloured embedding map linked to a player and a neighbour list.

    Static twin: :func:`b2m.plotting.plot_embeddings` (the map, ``highlight=`` the clip) with
    :func:`b2m.plotting.plot_neighbours` (its neighbours).

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip.
    genres : sequence of str of length n_clips
        Genre of each clip.
    clip_ids : sequence of str of length n_clips
        Identifier of each clip.
    get_audio : callable
        ``get_audio(index) -> (waveform, sr)``.
    neighbours : callable, optional
        ``neighbours(index) -> list of dict``; default: cosine neighbours in ``embeddings``.
    k : int, default 5
        Number of neighbours listed.
    method : {"pca", "tsne"}, default "pca"
        Projection of the scatter.
    title : str, optional
        Scatter title.

    Returns
    -------
    ClipExplorer
    """
    return ClipExplorer(
        embeddings, genres, clip_ids, get_audio, neighbours, k=k, method=method, title=title
    )
