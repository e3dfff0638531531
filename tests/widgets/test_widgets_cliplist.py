"""ClipList: a keyboard-operable list box whose rows activate from Python or the browser."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as widgets
import pytest

import b2m_widgets
from b2m_widgets import ClipList

CLIPLIST_JS = Path(b2m_widgets.__file__).parent / "static" / "cliplist.js"
EVIL = "<img src=x onerror=alert(1)>"


def _items():
    return [
        {"label": "blues.00001", "detail": "blues", "score": "0.900", "key": "a"},
        {"label": EVIL, "detail": "jazz"},
        {"label": "off", "disabled": True},
    ]


def test_rows_are_validated_and_kept_as_text():
    clips = ClipList(_items(), title="retrieved")
    assert [r["label"] for r in clips.items] == ["blues.00001", EVIL, "off"]
    assert clips.items[1] == {"label": EVIL, "detail": "jazz", "disabled": False}
    assert clips.items[2]["disabled"] and clips.active == -1 and clips.current == -1
    assert {"items", "title", "active", "current", "empty_text"} <= set(clips.keys)
    with pytest.raises(ValueError, match=r"items\[1\] must be a dict with a 'label' key"):
        clips.set_items([{"label": "ok"}, {"detail": "no label"}])
    with pytest.raises(TypeError, match="items must be a list of dicts; received str"):
        clips.set_items("blues.00001")


def test_activation_from_python_and_from_the_browser_message():
    seen = []
    clips = ClipList(_items())
    clips.on_activate(seen.append)
    clips.activate(1)
    assert seen == [1] and clips.current == 1 and clips.active == 1
    clips._handle_message(None, {"type": "activate", "row": 0}, [])
    assert seen == [1, 0]
    for stale in ({"type": "activate", "row": 2}, {"type": "activate", "row": 9}, {"type": "x"}):
        clips._handle_message(None, stale, [])  # disabled, out of range, unknown: ignored
    assert seen == [1, 0]
    with pytest.raises(ValueError, match=r"row must be in \[0, 3\); received 3"):
        clips.activate(3)
    with pytest.raises(ValueError, match="row 2 \\('off'\\) is disabled"):
        clips.activate(2)
    with pytest.raises(TypeError, match="row must be an int; received str"):
        clips.activate("1")
    with pytest.raises(TypeError, match="callback must be callable"):
        clips.on_activate("play")
    clips.set_items([])
    assert clips.current == -1 and clips.items == []


def test_callback_errors_go_to_the_output_when_one_is_given():
    output = widgets.Output()
    clips = ClipList(_items(), output=output)

    def broken(row):
        raise RuntimeError(f"cannot play row {row}")

    clips.on_activate(broken)
    clips.activate(0)  # must not raise
    assert "RuntimeError: cannot play row 0" in "".join(o["text"] for o in output.outputs)
    bare = ClipList(_items())
    bare.on_activate(broken)
    with pytest.raises(RuntimeError, match="cannot play row 1"):
        bare.activate(1)


def test_esm_is_offline_keyboard_operable_and_never_injects_html():
    source = CLIPLIST_JS.read_text(encoding="utf-8")
    assert ClipList._esm == source
    assert not re.search(r"https?://", source) and "import " not in source
    assert "innerHTML" not in source and "textContent" in source
    for hook in ('"listbox"', '"option"', "aria-selected", "tabIndex", "ArrowDown", "ArrowUp"):
        assert hook in source
    assert 'event.key === "Enter" || event.key === " "' in source
    assert 'model.send({ type: "activate", row: i })' in source
