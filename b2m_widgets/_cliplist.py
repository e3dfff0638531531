"""A keyboard-operable list of clips (anywidget): rows are focusable options that play on Enter.

Used by :class:`b2m_widgets.ClipExplorer` for its retrieval list and its reconstructions. The
browser sends ``{"type": "activate", "row": i}`` when a row is clicked or when Enter/Space is
pressed on it; :meth:`ClipList.activate` does the same from Python (and from tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from b2m_widgets._capture import call_captured

__all__ = ["ClipList"]

_ESM = (Path(__file__).parent / "static" / "cliplist.js").read_text(encoding="utf-8")
_CSS = """
.b2m-clip-list { font-size: 12px; min-width: 260px; }
.b2m-clip-list-title { font-weight: 600; margin: 2px 0 4px 0; }
.b2m-clip-list-rows { list-style: none; margin: 0; padding: 0; max-height: 220px;
  overflow-y: auto; border: 1px solid #ddd; }
.b2m-clip-row { display: flex; gap: 6px; align-items: baseline; padding: 3px 6px;
  cursor: pointer; font-family: monospace; white-space: nowrap; }
.b2m-clip-row:hover { background: #f1f3f4; }
.b2m-clip-row[aria-selected="true"] { background: #e8f0fe; }
.b2m-clip-row:focus-visible { outline: 2px solid #1a73e8; outline-offset: -2px; }
.b2m-clip-row-current { font-weight: 700; }
.b2m-clip-row[aria-disabled="true"] { color: #999; cursor: default; }
.b2m-clip-play { color: #1a73e8; width: 1em; }
.b2m-clip-detail { color: #555; font-style: italic; }
.b2m-clip-score { margin-left: auto; color: #333; }
.b2m-clip-list-empty { color: #777; font-style: italic; padding: 2px 0; }
"""
_ITEM_KEYS = ("label", "detail", "score", "key")


def _check_items(items, name: str = "items") -> list[dict]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise TypeError(f"{name} must be a list of dicts; received {type(items).__name__}.")
    out = []
    for pos, item in enumerate(items):
        if not isinstance(item, Mapping) or "label" not in item:
            got = sorted(item) if isinstance(item, Mapping) else type(item).__name__
            raise ValueError(f"{name}[{pos}] must be a dict with a 'label' key; received {got}.")
        row = {key: str(item[key]) for key in _ITEM_KEYS if item.get(key) is not None}
        row["disabled"] = bool(item.get("disabled", False))
        out.append(row)
    return out


class ClipList(anywidget.AnyWidget):
    """A list box of clips: arrow keys move the selection, Enter/Space or a click activates.

    Parameters
    ----------
    items : sequence of dict, optional
        One dict per row with ``label`` (str) and optionally ``detail`` (str, e.g. a genre),
        ``score`` (str, shown right-aligned), ``key`` (str, exposed as the row's
        ``data-key`` attribute) and ``disabled`` (bool: shown but not activatable).
    title : str, default ""
        Header above the rows (the list box's accessible name).
    empty_text : str, default "none"
        Shown when there are no rows.
    output : ipywidgets.Output, optional
        Where errors raised by activation callbacks are shown; without one they propagate.

    Attributes
    ----------
    items : list of dict
        The rows (validated copies).
    active : int
        The row that has the keyboard selection (``-1``: none); synced with the browser.
    current : int
        The last activated row (``-1``: none), shown in bold.
    """

    _esm = _ESM
    _css = _CSS
    title = traitlets.Unicode("").tag(sync=True)
    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    active = traitlets.Int(-1).tag(sync=True)
    current = traitlets.Int(-1).tag(sync=True)
    empty_text = traitlets.Unicode("none").tag(sync=True)

    def __init__(
        self,
        items=None,
        *,
        title: str = "",
        empty_text: str = "none",
        output: widgets.Output | None = None,
    ):
        super().__init__(title=str(title), empty_text=str(empty_text))
        self.output = output
        self._callbacks: list[Callable[[int], object]] = []
        self.set_items(items or [])
        self.on_msg(self._handle_message)

    @traitlets.validate("items")
    def _valid_items(self, proposal):
        return _check_items(proposal["value"])

    def set_items(self, items, title: str | None = None) -> None:
        """Replace the rows (clears ``active`` and ``current``).

        Parameters
        ----------
        items : sequence of dict
            See the class parameters.
        title : str, optional
            New header; unchanged when omitted.
        """
        rows = _check_items(items)
        with self.hold_sync():
            self.active = -1
            self.current = -1
            self.items = rows
            if title is not None:
                self.title = str(title)

    def on_activate(self, callback: Callable[[int], object]) -> None:
        """Call ``callback(row)`` whenever a row is activated.

        Parameters
        ----------
        callback : callable
            Receives the row's position (0 = first row).
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable; received {type(callback).__name__}.")
        self._callbacks.append(callback)

    def activate(self, row: int) -> None:
        """Activate a row, as Enter/Space or a click does in the browser.

        Parameters
        ----------
        row : int
            Position in [0, len(items)) of an enabled row.
        """
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row must be an int; received {type(row).__name__}.")
        if not 0 <= row < len(self.items):
            raise ValueError(f"row must be in [0, {len(self.items)}); received {row!r}.")
        if self.items[row]["disabled"]:
            raise ValueError(f"row {row} ({self.items[row]['label']!r}) is disabled.")
        with self.hold_sync():
            self.active = int(row)
            self.current = int(row)
        for callback in self._callbacks:
            if self.output is None:
                callback(int(row))
            else:
                call_captured(self.output, callback, int(row))

    def _handle_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, Mapping) or content.get("type") != "activate":
            return
        row = content.get("row")
        valid = isinstance(row, int) and 0 <= row < len(self.items)
        if valid and not self.items[row]["disabled"]:  # stale or disabled rows are ignored
            self.activate(row)
