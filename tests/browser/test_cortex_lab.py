"""The WebGL cortex in a real browser: mesh once, colours as Python computes them, picks.

A small notebook generated here shows two :class:`b2m_widgets.SurfaceViewer` maps (no study)
in JupyterLab; Debian's Chromium, driven by Playwright, then checks that

* the geometry crossed the websocket once for both viewers, and Run All received far less than
  one plotly figure's 5 MB;
* the colour of every vertex computed in the browser equals :meth:`SurfaceViewer.colors` after
  a threshold set from Python (NaN vertices grey, sub-threshold vertices grey);
* a click on the left hemisphere picks a vertex on its lateral (visible) side, Python reports
  the same vertex the hover label names, and a click off the mesh says so in the widget;
* the title is text (a ``<img onerror>`` title is not interpreted), the canvas has an
  accessible name, arrow keys rotate without moving the notebook's cell, nothing is fetched
  from outside 127.0.0.1 and the console shows no error.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from _lab import ROOT, notebook_lab_fixture, wait_until, watch_page
from test_jupyterlab import _ACTIVE_CELL, _run_all

from b2m.surface import N_VERTICES_HEMI
from b2m_widgets._surface_parts import geometry

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "cortex.ipynb"
SCREENSHOTS = ROOT / "build" / "browser"
TITLE = "<img src=x onerror=alert(1)> test map"
CELLS = [
    "import json\n"
    "import numpy as np\n"
    "from b2m.surface import N_VERTICES\n"
    "from b2m_widgets import SurfaceViewer\n"
    "values = np.random.default_rng(5).standard_normal(N_VERTICES)\n"
    "values[:50] = np.nan\n"
    f"viewer = SurfaceViewer(values, title={TITLE!r}, label='z', height=300)\n"
    "second = SurfaceViewer(-values, title='second map', height=300)",
    "viewer",
    "second",
    "viewer.threshold = 0.8\n"
    "np.save('expected_colors.npy', viewer.colors())\n"
    "ids = {'geometry': viewer.cortex.geometry.model_id}\n"
    "json.dump(ids, open('ids.json', 'w'))",
]
_COLORS = "c => Array.from(c.b2m.colors || [])"


lab = notebook_lab_fixture(NOTEBOOK, CELLS)


def test_cortex_canvas_in_jupyterlab(lab, browser):
    context = browser.new_context(viewport={"width": 1200, "height": 1100})
    page = context.new_page()
    problems, outside = watch_page(page)
    frames: list[bytes | str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    try:
        page.goto(lab.lab_url(NOTEBOOK, workspace="cortex"), wait_until="domcontentloaded")
        _run_all(page, lab, NOTEBOOK)
        roots = page.locator(".b2m-cortex[data-ready]")
        wait_until(lambda: roots.count() == 2, 60, "both cortex canvases to draw")
        canvas = page.locator("canvas.b2m-cortex-canvas").first
        _check_bytes(frames, lab)
        _check_colours(canvas, lab)
        title = page.locator(".b2m-cortex-title").first
        assert title.text_content() == TITLE and roots.first.locator("img").count() == 0
        assert "test map" in (canvas.get_attribute("aria-label") or "")
        _check_picks(page, canvas)
        _check_keys(page, canvas)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".b2m-surface-viewer").first.screenshot(path=str(SCREENSHOTS / "cortex.png"))
    except Exception:
        print(lab.log_tail())
        print("browser console:", *problems, sep="\n")
        raise
    finally:
        context.close()
        lab.close_session(NOTEBOOK)
    assert not problems, "browser console:\n" + "\n".join(problems)
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"


def _check_bytes(frames, lab) -> None:
    """The geometry (~0.8 MB) arrived once for both viewers; the whole run stayed small."""
    geometry_id = json.loads((lab.notebook_dir / "ids.json").read_text())["geometry"]

    def text(frame):
        return frame if isinstance(frame, str) else frame[:4096].decode("latin-1")

    sizes = [len(f) for f in frames]
    with_geometry = [len(f) for f in frames if geometry_id in text(f) and len(f) > 100_000]
    assert len(with_geometry) == 1, f"geometry frames: {with_geometry}"
    assert 700_000 < with_geometry[0] < 1_000_000
    assert sum(sizes) < with_geometry[0] + 600_000, f"Run All received {sum(sizes)} bytes"


def _check_colours(canvas, lab) -> None:
    """Every vertex's colour in the browser is the one Python computes (threshold 0.8 applied)."""
    expected = np.load(lab.notebook_dir / "expected_colors.npy").ravel()

    def same():
        return np.array_equal(np.asarray(canvas.evaluate(_COLORS), dtype=np.uint8), expected)

    wait_until(same, 20, "the browser's colours to equal Python's")
    grey = expected.reshape(-1, 3)
    assert (grey[:50, 0] == grey[:50, 1]).all() and (grey[:50, 1] == grey[:50, 2]).all()


def _check_picks(page, canvas) -> None:
    box = canvas.bounding_box()
    status = page.locator(".b2m-surface-status").first
    x, y = box["x"] + 0.25 * box["width"], box["y"] + 0.5 * box["height"]
    page.mouse.move(x, y)
    tip = page.locator(".b2m-cortex-tip").first
    wait_until(lambda: tip.is_visible(), 10, "the hover label")
    hover = re.search(r"left #(\d+)", tip.text_content() or "")
    assert hover, f"hover label {tip.text_content()!r}"
    page.mouse.click(x, y)
    wait_until(lambda: "picked: left vertex" in status.text_content(), 10, "a pick")
    vertex = int(re.search(r"picked: left vertex (\d+)", status.text_content()).group(1))
    assert vertex == int(hover.group(1))
    # The visible side: in the lateral view of the left hemisphere, the eye is at -x.
    (left, _faces), _right = geometry("inflated")
    assert vertex < N_VERTICES_HEMI and left[vertex, 0] < np.median(left[:, 0])
    picked = canvas.evaluate("c => c.b2m.picked")
    assert picked == vertex
    # Off the mesh: a corner of the canvas is background.
    page.mouse.click(box["x"] + 3, box["y"] + 3)
    note = page.locator(".b2m-cortex-note").first
    wait_until(lambda: note.is_visible(), 10, "the off-mesh note")
    assert "no cortex under the pointer" in note.text_content()
    assert f"left vertex {vertex}" in status.text_content()  # the last pick stands


def _check_keys(page, canvas) -> None:
    cell = page.evaluate(_ACTIVE_CELL)
    draws = int(canvas.evaluate("c => c.b2m.draws"))
    canvas.focus()
    for key in ("ArrowLeft", "ArrowUp", "ArrowDown"):
        page.keyboard.press(key)
    wait_until(lambda: int(canvas.evaluate("c => c.b2m.draws")) > draws, 10, "a redraw")
    assert page.evaluate(_ACTIVE_CELL) == cell, "the arrow keys also moved the notebook's cell"
