"""The scripts of the canvas widgets, each with the helpers they share (``static/_shared.js``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["esm"]

STATIC = Path(__file__).parent / "static"


def esm(name: str) -> str:
    """The ES module of a canvas widget: ``static/_shared.js`` followed by ``static/<name>``.

    Parameters
    ----------
    name : str
        File name in ``b2m_widgets/static`` (e.g. ``"cortex.js"``).

    Returns
    -------
    str
    """
    shared = (STATIC / "_shared.js").read_text(encoding="utf-8")
    return shared + "\n" + (STATIC / name).read_text(encoding="utf-8")
