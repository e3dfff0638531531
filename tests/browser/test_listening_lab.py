"""The blind listening-test widget in a real browser: answered by keyboard in JupyterLab.

A small notebook generated here builds a three-trial test from short synthetic tones (no
study), shows :func:`b2m_widgets.view_listening_test`, and Debian's Chromium answers it with
the keys ``1``/``2`` and ``Enter``: two answers right, one wrong, known from the same trials
built in this process. The score the page shows (synced back from the kernel) must be 2 of 3,
and no key pressed in the widget may reach JupyterLab (in command mode ``m`` or ``1`` would
turn the cell into Markdown, ``a``/``b`` insert cells, ``Enter`` enter edit mode).
"""

from __future__ import annotations

import re

import pytest
from _lab import ROOT, notebook_lab_fixture, wait_until, watch_page
from test_jupyterlab import _run_all

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "listening_test.ipynb"
SCREENSHOTS = ROOT / "build" / "browser"
SETUP = """\
import numpy as np
from b2m.reconstruction import ListeningTest, Reconstruction
from b2m_widgets import view_listening_test

sr = 8000
t = np.arange(sr // 2) / sr
ids = [f"clip{i}" for i in range(4)]
stimuli = {
    c: ((0.3 * np.sin(2 * np.pi * (220 + 70 * i) * t)).astype(np.float32), sr)
    for i, c in enumerate(ids)
}
recs = [[Reconstruction(c, "synth", 0, 0.5 * stimuli[c][0], sr, f"rec {c}")] for c in ids]
test = ListeningTest.from_reconstructions(recs, stimuli, n_trials=3, seed=11, listener="chromium")
"""


lab = notebook_lab_fixture(NOTEBOOK, [SETUP, "view_listening_test(test)"])


def _answers() -> list[int]:
    """Right, wrong, right: from the same seeded trials the notebook builds."""
    scope: dict = {}
    exec(SETUP, scope)  # the notebook's own source, written above
    trials = scope["test"].trials
    return [trials[0].correct, 3 - trials[1].correct, trials[2].correct]


def _check_cells_untouched(notebook) -> None:
    """The keys stayed in the widget: two code cells, none turned Markdown, no edit mode."""
    kinds = notebook.locator(".jp-Cell").evaluate_all(
        "cells => cells.map(c => c.classList.contains('jp-CodeCell') ? 'code' : 'other')"
    )
    assert kinds == ["code", "code"], f"keys reached JupyterLab: cells are now {kinds}"
    assert "jp-mod-editMode" not in (notebook.get_attribute("class") or ""), "edit mode"


def test_listening_widget_answered_by_keyboard(lab, browser):
    answers = _answers()
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    problems, outside = watch_page(page)
    try:
        page.goto(lab.lab_url(NOTEBOOK, workspace="listening"), wait_until="domcontentloaded")
        _run_all(page, lab, NOTEBOOK)
        widget = page.locator(".b2m-listening-test")
        panel = widget.locator(".b2m-listening")
        panel.wait_for(timeout=30_000)
        players = widget.locator(".b2m-audio-player")
        assert players.count() == 3
        # every control has an accessible name
        for button in widget.locator("button").all():
            assert button.get_attribute("aria-label"), button.evaluate("b => b.outerHTML")
        assert panel.get_attribute("aria-label")
        score = panel.locator(".b2m-listening-score")
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        assert notebook.locator(".jp-MarkdownCell").count() == 0
        panel.focus()
        # in command mode, JupyterLab would act on these keys; in the panel they do nothing
        assert "jp-mod-commandMode" in (notebook.get_attribute("class") or "")
        for key in ("m", "b", "a", "3"):
            page.keyboard.press(key)
        page.wait_for_timeout(500)
        _check_cells_untouched(notebook)
        for i, choice in enumerate(answers):
            assert panel.get_attribute("data-trial") == str(i)
            page.keyboard.press(str(choice))
            chosen = panel.locator(f".b2m-listening-choice[data-choice='{choice}']")
            wait_until(lambda c=chosen: c.get_attribute("aria-pressed") == "true", 10, "choice")
            page.keyboard.press("Enter")
            wait_until(
                lambda n=i + 1: score.get_attribute("data-answered") == str(n), 30, "the answer"
            )
        wait_until(lambda: panel.get_attribute("data-done") == "true", 30, "the end")
        assert score.get_attribute("data-correct") == "2"
        assert score.text_content() == "Score: 2 of 3 correct"
        result = panel.locator(".b2m-listening-result").text_content()
        assert re.search(r"2 of 3 correct \(67 %; 95 % CI \d+–\d+ %; one-sided p = 0\.5", result)
        _check_cells_untouched(notebook)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(SCREENSHOTS / "listening-test.png"))
    except Exception:
        print(lab.log_tail())
        raise
    finally:
        context.close()
        lab.close_session(NOTEBOOK)
    assert not problems, "browser console:\n" + "\n".join(problems)
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
