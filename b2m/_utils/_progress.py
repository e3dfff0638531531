"""Notebook-aware progress bars."""

from __future__ import annotations

import os

from tqdm.auto import tqdm

__all__ = ["progress"]


def progress(
    iterable=None, *, desc: str | None = None, total: int | None = None, disable=None, **kw
):
    """Return a tqdm progress bar (a widget in Jupyter, text elsewhere).

    Set ``B2M_PROGRESS=0`` to silence all bars (e.g. in CI logs).
    """
    if disable is None:
        disable = os.environ.get("B2M_PROGRESS", "1") == "0"
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, **kw)
