"""End to end in a real browser: JupyterLab runs the notebooks and the widgets work.

JupyterLab is started on 127.0.0.1 (free port, token, private settings) over a copy of the
notebooks, with ``B2M_DATA`` at the session's simulated study. Debian's Chromium, driven by
Playwright, opens each notebook, runs all cells and checks that the cortex (a WebGL canvas),
the scatter points and the audio players rendered, that clicking a point of the
explorer's scatter (and Enter on a row of its retrieval list) changes what its player holds,
and that the browser console shows no errors. Screenshots go to ``build/browser/``.

Missing Chromium or Playwright makes the test fail with install instructions; deselect it with
``-m "not browser"`` on a machine without them.
"""

from __future__ import annotations

import io
import re

import pytest
from _lab import ROOT, JupyterLab, require_browser, wait_until, watch_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = ["00_quickstart", "04_reconstruction"]
SCREENSHOTS = ROOT / "build" / "browser"
RUN_TIMEOUT_S = 600
#: Console errors that are not failures of this project, each with its reason. None is needed
#: with Chromium 150 and JupyterLab 4.6 (warnings such as "Disabling terminals plugin", or
#: SwiftShader's "GPU stall due to ReadPixels", are not errors and are not collected).
BENIGN_CONSOLE: list[re.Pattern] = []


@pytest.fixture(scope="module")
def lab(study_home, tmp_path_factory):
    require_browser()
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"), study_home).start()
    yield server
    server.stop()


_PROMPTS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent.trim())"""
_ERRORS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
    .filter(o => (o.dataset.mimeType || '').includes('error') || /Traceback/.test(o.textContent))
    .map(o => o.textContent.slice(0, 2000))"""


def _run_all(page, lab, notebook: str) -> None:
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    wait_until(lambda: lab.kernel_state(notebook) == "idle", 120, f"the kernel of {notebook}")

    def started():
        return any(p != "[ ]:" for p in page.evaluate(_PROMPTS))

    for _attempt in range(2):  # a menu click that lands before the panel is ready is retried
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            wait_until(started, 30, "execution to start")
            break
        except TimeoutError:
            page.keyboard.press("Escape")
    else:
        raise AssertionError(f"Run All Cells did not start {notebook}")

    def finished():
        prompts = page.evaluate(_PROMPTS)
        busy = any("*" in p for p in prompts)
        return not busy and lab.kernel_state(notebook) == "idle" and prompts

    prompts = wait_until(finished, RUN_TIMEOUT_S, "all cells to run")
    errors = page.evaluate(_ERRORS)
    assert not errors, "cells raised:\n" + "\n---\n".join(errors)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells not run: {prompts}"


def _drawn(locator) -> float:
    """Standard deviation of the pixel values of an element's screenshot (0: blank)."""
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(locator.screenshot())).convert("L")
    return float(np.asarray(image, dtype=np.float64).std())


def _src(player) -> str:
    return player.get_attribute("data-src-id") or ""


def _show(page, locator) -> None:
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)


def _check_reconstructions(page, explorer) -> None:
    """When the selected clip has reconstructions, the B player holds one; Space plays another."""
    rows = explorer.locator(".b2m-reconstruction-list .b2m-clip-row")
    if rows.count() == 0:
        return
    player = explorer.locator(".b2m-reconstruction-player .b2m-audio-player")
    assert _src(player) == rows.nth(0).get_attribute("data-key")
    if rows.count() >= 2:
        wanted = rows.nth(1).get_attribute("data-key")
        rows.nth(0).focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press(" ")
        wait_until(lambda: _src(player) == wanted, 30, "Space on a reconstruction row")


def _check_explorer(page, stem: str) -> None:
    explorer = page.locator(".b2m-clip-explorer").first
    assert explorer.count() == 1, f"{stem} shows no clip explorer (view_clip_explorer(...))"
    _show(page, explorer)
    # Surface: the cortex canvas drawn with WebGL once its geometry arrived, not blank.
    surface = explorer.locator(".b2m-cortex[data-ready] canvas.b2m-cortex-canvas")
    surface.first.wait_for(timeout=60_000)
    assert _drawn(surface.first) > 5, "the surface canvas is blank"
    # Scatter: a canvas with one point per clip.
    scatter = explorer.locator("canvas.b2m-scatter-canvas").first
    n_points = scatter.evaluate("c => c.b2m.screen ? c.b2m.screen.length / 2 : 0")
    assert n_points >= 10, f"only {n_points} scatter points drawn"
    assert _drawn(scatter) > 5, "the scatter canvas is blank"
    assert scatter.get_attribute("aria-label")
    # A/B players: anywidget elements with a drawn canvas.
    players = explorer.locator(".b2m-audio-player")
    assert players.count() == 2
    stimulus = explorer.locator(".b2m-stimulus-player .b2m-audio-player")
    before = _src(stimulus)
    assert before, "the explorer's stimulus player holds no clip"
    assert _drawn(stimulus.locator("canvas")) > 5, "the player's waveform/spectrogram is blank"
    for button in ("b2m-audio-play", "b2m-audio-restart"):
        assert stimulus.locator(f"button.{button}").get_attribute("aria-label")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    explorer.screenshot(path=str(SCREENSHOTS / f"{stem}-explorer-initial.png"))
    _check_reconstructions(page, explorer)
    # Click a point far from the selected one: hovering names it first.
    box = scatter.bounding_box()
    screen = scatter.evaluate("c => Array.from(c.b2m.screen)")
    spot = None
    for i in range(n_points // 2, n_points):
        x, y = screen[2 * i], screen[2 * i + 1]
        if scatter.evaluate(f"c => c.b2m.nearest({x}, {y})") == i:  # not hidden by a neighbour
            spot = (box["x"] + x, box["y"] + y)
            break
    assert spot is not None, "no scatter point to click"
    x, y = spot
    page.mouse.move(x, y)
    hover = explorer.locator(".b2m-scatter-tip").first
    wait_until(lambda: hover.is_visible(), 10, "the hover label")
    clicked = re.match(r"\s*([a-z]+\.\d{5}) · ", hover.text_content() or "")
    assert clicked, f"no clip id in the hover label {hover.text_content()!r}"
    page.mouse.click(x, y)
    wait_until(lambda: _src(stimulus) == clicked.group(1), 30, "the player to load the clip")
    assert _src(stimulus) != before
    # A selection plays the clip: the player asks the kernel for its audio, which arrives as
    # one binary message (the widget state holds none) and starts playing.
    wait_until(
        lambda: (
            stimulus.get_attribute("data-audio") == "fetched"
            and stimulus.get_attribute("data-state") == "playing"
        ),
        30,
        "the selected clip's audio to arrive from the kernel and play",
    )
    page.wait_for_timeout(1000)  # let the surface redraw before the screenshot
    explorer.screenshot(path=str(SCREENSHOTS / f"{stem}-explorer-clicked.png"))
    # Keyboard: the second row of the retrieval list, by arrow key and Enter.
    rows = explorer.locator(".b2m-retrieval-list .b2m-clip-row")
    wait_until(lambda: rows.count() >= 2, 10, "retrieval rows")
    wanted = rows.nth(1).get_attribute("data-key")
    rows.nth(0).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_until(lambda: _src(stimulus) == wanted, 30, "Enter on a retrieval row to select it")
    # The list is rebuilt for the new clip: the keyboard focus stays in it.
    in_list = "() => !!document.activeElement.closest('.b2m-retrieval-list')"
    wait_until(lambda: page.evaluate(in_list), 10, "the focus to stay in the retrieval list")
    _check_picker_keys(page, explorer, stimulus)
    _check_vertex_pick(page, explorer, stem)


_ACTIVE_CELL = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')].findIndex(c => c.classList.contains('jp-mod-active'))"""


def _check_picker_keys(page, explorer, stimulus) -> None:
    """Arrow keys in the clip picker change the clip and never reach the notebook."""
    select = explorer.locator(".b2m-clip-picker select")
    assert select.get_attribute("aria-label"), "the clip picker has no accessible name"
    assert select.locator("optgroup").count() >= 2, "the clip picker's options are not grouped"
    cell = page.evaluate(_ACTIVE_CELL)
    before = _src(stimulus)
    select.focus()
    page.keyboard.press("ArrowDown")
    wait_until(lambda: _src(stimulus) != before, 30, "ArrowDown in the picker to select a clip")
    assert page.evaluate(_ACTIVE_CELL) == cell, "the arrow key also moved the notebook's cell"


def _check_vertex_pick(page, explorer, stem: str) -> None:
    """A click on the cortex fills the vertex panel with the clips that drive that vertex."""
    figure = explorer.locator(".b2m-surface-figure canvas.b2m-cortex-canvas").first
    _show(page, figure)
    box = figure.bounding_box()
    rows = explorer.locator(".b2m-vertex-panel .b2m-clip-row")
    for fx, fy in ((0.25, 0.5), (0.2, 0.6), (0.75, 0.5), (0.3, 0.4)):
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        try:
            wait_until(lambda: rows.count() >= 1, 10, "a vertex pick to fill the panel")
            break
        except TimeoutError:
            continue
    assert rows.count() >= 1, "no click on the cortex filled the vertex panel"
    explorer.screenshot(path=str(SCREENSHOTS / f"{stem}-explorer-vertex.png"))


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_runs_and_its_widgets_work_in_chromium(stem, lab, browser):
    if not (lab.notebook_dir / f"{stem}.ipynb").exists():
        pytest.skip(f"notebooks/{stem}.ipynb does not exist yet")
    context = browser.new_context(viewport={"width": 1500, "height": 1400})
    page = context.new_page()
    problems, outside = watch_page(page, BENIGN_CONSOLE)  # nothing may leave the machine
    try:
        page.goto(lab.lab_url(f"{stem}.ipynb", workspace=stem), wait_until="domcontentloaded")
        _run_all(page, lab, f"{stem}.ipynb")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{stem}-notebook.png"))
        assert page.locator(".b2m-audio-player").count() >= 2, f"{stem}: no audio players"
        assert page.locator(".b2m-cortex canvas").count() >= 1, (
            f"{stem} shows no brain surface (no cortex canvas): it should end with "
            "view_clip_explorer(study, embeddings, decoded=..., ...)"
        )
        _check_explorer(page, stem)
    except Exception:
        print(lab.log_tail())
        raise
    finally:
        context.close()
        lab.close_session(f"{stem}.ipynb")
    assert not problems, "browser console:\n" + "\n".join(problems)
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
