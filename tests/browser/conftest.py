"""Fixtures shared by the browser tests: one headless Chromium (Debian's) per session."""

from __future__ import annotations

import pytest
from _lab import CHROMIUM, CHROMIUM_ARGS, require_browser


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (each test opens its own context)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
