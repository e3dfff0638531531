"""Every ``view_*`` names its static ``b2m.plotting.plot_*`` twin, which exists."""

from __future__ import annotations

import re

import b2m.plotting
import b2m_widgets


def test_every_view_names_an_existing_static_twin():
    views = [name for name in b2m_widgets.__all__ if name.startswith("view_")]
    assert len(views) >= 6
    for name in views:
        doc = getattr(b2m_widgets, name).__doc__ or ""
        twins = re.findall(r"Static twin: .*?b2m\.plotting\.(plot_\w+)", doc)
        assert twins, f"{name} does not name its static twin"
        for twin in twins:
            assert twin in b2m.plotting.__all__ and callable(getattr(b2m.plotting, twin))


def test_public_names_are_exported():
    for module in (b2m_widgets, b2m.plotting):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
