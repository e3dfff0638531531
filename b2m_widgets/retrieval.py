"""A list of retrieved clips (rank, clip id, genre, similarity), each playable."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import traitlets

from b2m_widgets._capture import FAILED, call_captured
from b2m_widgets._cliplist import ClipList
from b2m_widgets.audio import AudioPlayer

__all__ = ["NEIGHBOUR_KEYS", "NeighbourList", "check_neighbours", "view_neighbours"]

#: Keys every neighbour item must have.
NEIGHBOUR_KEYS = ("index", "clip_id", "genre", "score")


def check_neighbours(items, name: str = "items") -> list[dict]:
    """Validate neighbour items and return them as plain dicts.

    Parameters
    ----------
    items : sequence of mapping
        Each with keys ``index`` (int >= 0, the clip's position in the dataset), ``clip_id``
        (str), ``genre`` (str) and ``score`` (finite float, e.g. a cosine similarity).
    name : str, default "items"
        Parameter name used in error messages.

    Returns
    -------
    list of dict
        Copies with ``index`` as int, ``clip_id``/``genre`` as str and ``score`` as float.
    """
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise TypeError(f"{name} must be a list of dicts; received {type(items).__name__}.")
    out = []
    for pos, item in enumerate(items):
        if not isinstance(item, Mapping) or not set(NEIGHBOUR_KEYS) <= set(item):
            got = sorted(item) if isinstance(item, Mapping) else type(item).__name__
            raise ValueError(
                f"{name}[{pos}] must be a dict with keys {list(NEIGHBOUR_KEYS)}; received {got}."
            )
        index, score = item["index"], item["score"]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise ValueError(f"{name}[{pos}]['index'] must be an int >= 0; received {index!r}.")
        try:
            score = float(score)
        except (TypeError, ValueError):
            score = float("nan")
        if not np.isfinite(score):
            raise ValueError(
                f"{name}[{pos}]['score'] must be a finite number; received {item['score']!r}."
            )
        out.append(
            {
                "index": int(index),
                "clip_id": str(item["clip_id"]),
                "genre": str(item["genre"]),
                "score": score,
            }
        )
    return out


class NeighbourList(widgets.VBox):
    """Top-k retrieved clips, one row each (rank, clip id, genre, similarity), each playable.

    The rows are a :class:`~b2m_widgets.ClipList` (the one list widget: arrow keys move,
    Enter/Space or a click plays, text never interpreted as HTML) above an audio player.

    Parameters
    ----------
    items : sequence of dict, optional
        Neighbours, best first; see :func:`check_neighbours`.
    get_audio : callable, optional
        ``get_audio(index) -> (waveform, sr)``; when given, activating a row loads its clip
        into :attr:`player` and plays it (without it the rows are shown disabled).
    query : str, optional
        Identifier of the query clip, shown in the list's title.
    output : ipywidgets.Output, optional
        Where callback errors are shown; by default an own ``Output`` below the list.

    Attributes
    ----------
    selected : int
        Dataset index (``item["index"]``) of the chosen row; ``-1`` when none. Setting it from
        Python to an index in the list plays that clip.
    items : list of dict
        The validated neighbours.
    clips : ClipList
        The rows.
    player : AudioPlayer
        Plays the chosen neighbour.
    output : ipywidgets.Output
        Shows errors raised by ``get_audio``.
    """

    selected = traitlets.Int(-1)

    def __init__(
        self,
        items=None,
        *,
        get_audio: Callable[[int], tuple[np.ndarray, int]] | None = None,
        query: str | None = None,
        output: widgets.Output | None = None,
    ):
        if get_audio is not None and not callable(get_audio):
            raise TypeError(f"get_audio must be callable; received {type(get_audio).__name__}.")
        self.get_audio = get_audio
        self.items: list[dict] = []
        own_output = output is None
        self.output = widgets.Output() if own_output else output
        self.clips = ClipList(output=self.output)
        self.clips.on_activate(self.choose)
        self.player = AudioPlayer()
        self.player.layout.display = None if get_audio is not None else "none"
        children = [self.clips, self.player]
        super().__init__([*children, self.output] if own_output else children)
        self.add_class("b2m-neighbour-list")
        self.observe(self._on_selected, names="selected")
        self.set_neighbours(items or [], query=query)

    def set_neighbours(self, items, query: str | None = None) -> None:
        """Show a new list of neighbours (stops the player, resets ``selected``).

        Parameters
        ----------
        items : sequence of dict
            Neighbours, best first; see :func:`check_neighbours`.
        query : str, optional
            Identifier of the query clip, shown in the title.
        """
        self.items = check_neighbours(items)
        self.player.playing = False
        self.selected = -1  # no item has index -1, so nothing plays
        title = "neighbours" if query is None else f"neighbours of {query}"
        rows = [
            {
                "label": item["clip_id"],
                "detail": item["genre"],
                "score": f"{item['score']:.3f}",
                "key": item["clip_id"],
                "disabled": self.get_audio is None,
            }
            for item in self.items
        ]
        self.clips.set_items(rows, title=title)

    def choose(self, rank: int) -> None:
        """Choose the row at position ``rank`` (0 = best): select it and play it.

        Parameters
        ----------
        rank : int
            Row position in [0, len(items)).
        """
        if not 0 <= rank < len(self.items):
            raise ValueError(f"rank must be in [0, {len(self.items)}); received {rank!r}.")
        index = self.items[rank]["index"]
        if self.selected == index:
            self._play(rank)
        else:
            self.selected = index

    def _on_selected(self, change) -> None:
        ranks = [r for r, item in enumerate(self.items) if item["index"] == change["new"]]
        if ranks:
            self._play(ranks[0])

    def _play(self, rank: int) -> None:
        if self.get_audio is None:
            return
        item = self.items[rank]
        audio = call_captured(self.output, self.get_audio, item["index"])
        if audio is FAILED:
            return
        title = f"{rank + 1}. {item['clip_id']} ({item['genre']}, {item['score']:.3f})"
        done = call_captured(
            self.output, self.player.set_audio, *audio, title=title, src_id=item["clip_id"]
        )
        if done is not FAILED:
            self.player.playing = True


def view_neighbours(
    items,
    *,
    get_audio: Callable[[int], tuple[np.ndarray, int]] | None = None,
    query: str | None = None,
) -> NeighbourList:
    """Show the top-k clips retrieved for a query, each playable.

    Static twin: :func:`b2m.plotting.plot_neighbours`.

    Parameters
    ----------
    items : sequence of dict
        Neighbours, best first, with keys ``index``, ``clip_id``, ``genre``, ``score``.
    get_audio : callable, optional
        ``get_audio(index) -> (waveform, sr)``, enables the play buttons.
    query : str, optional
        Identifier of the query clip.

    Returns
    -------
    NeighbourList
    """
    return NeighbourList(items, get_audio=get_audio, query=query)
