"""The audio player fetches its audio from the kernel on Play, and says so when none answers.

A small notebook shows :func:`b2m_widgets.view_audio` of a short tone (the WAV stays in the
kernel; the widget state holds none). Debian's Chromium then presses Play while the kernel is
busy with a 14-s cell: after the player's 8-s wait it must say that the audio comes from the
kernel and stop waiting to play; the answer that arrives once the cell ends must still load
the audio, and Play must then play it.
"""

from __future__ import annotations

import pytest
from _lab import notebook_lab_fixture, wait_until, watch_page
from test_jupyterlab import _run_all

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "audio_player.ipynb"
SETUP = """\
import numpy as np
from b2m_widgets import view_audio

sr = 8000
tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)
player = view_audio(tone, sr, title="tone")
assert player.get_state()["_wav"] == b""  # the audio waits in the kernel
player
"""
# Sleeps as long as nap.txt says (0 during Run All, 14 s when the test runs it again).
NAP = "import pathlib, time\ntime.sleep(float(pathlib.Path('nap.txt').read_text()))"


lab = notebook_lab_fixture(NOTEBOOK, [SETUP, NAP])


def test_play_fetches_from_a_busy_kernel_late(lab, browser):
    (lab.notebook_dir / "nap.txt").write_text("0")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems, outside = watch_page(page)
    try:
        page.goto(lab.lab_url(NOTEBOOK, workspace="audio"), wait_until="domcontentloaded")
        _run_all(page, lab, NOTEBOOK)
        player = page.locator(".b2m-audio-player").first
        player.wait_for(timeout=30_000)
        assert player.get_attribute("data-audio") == "on-request"
        play = player.locator("button.b2m-audio-play")
        assert not play.is_disabled()
        # Make the kernel busy: run the second cell again, now sleeping 14 s.
        (lab.notebook_dir / "nap.txt").write_text("14")
        page.locator(".jp-Cell .jp-InputPrompt").nth(1).click()
        page.keyboard.press("Shift+Enter")
        wait_until(lambda: lab.kernel_state(NOTEBOOK) == "busy", 10, "the kernel to be busy")
        play.click()
        wait_until(lambda: player.get_attribute("data-audio") == "requested", 5, "a request")
        wait_until(
            lambda: player.get_attribute("data-audio") == "unavailable", 15, "the 8-s wait to end"
        )
        status = player.locator(".b2m-audio-status").text_content() or ""
        assert "kernel" in status, status
        assert player.get_attribute("data-state") == "paused"
        # The kernel answers once the cell ends; the late answer still loads the audio.
        wait_until(lambda: player.get_attribute("data-audio") == "fetched", 30, "the answer")
        assert not (player.locator(".b2m-audio-status").text_content() or "")
        play.click()
        wait_until(lambda: player.get_attribute("data-state") == "playing", 10, "playback")
    finally:
        context.close()
        lab.close_session(NOTEBOOK)
    assert not problems, "browser console:\n" + "\n".join(problems)
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
