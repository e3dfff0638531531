"""Run widget callbacks so that their errors show in an ``ipywidgets.Output``, never vanish.

Exceptions raised inside traitlets observers or button handlers are otherwise lost (printed to
the kernel's log, not the notebook). ``call_captured`` writes the traceback to an ``Output``
widget shown in the layout; it works with or without a running kernel.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

__all__ = ["FAILED", "call_captured", "clear_errors"]


class _Failed:
    """Sentinel returned by :func:`call_captured` when the callable raised."""

    def __repr__(self) -> str:
        return "FAILED"

    def __bool__(self) -> bool:
        return False


FAILED = _Failed()


def call_captured(output: widgets.Output, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)``; on an exception, append its traceback to ``output``.

    Parameters
    ----------
    output : ipywidgets.Output
        Where the traceback goes (as a ``stderr`` stream output).
    fn : callable
        The callback.
    *args, **kwargs
        Its arguments.

    Returns
    -------
    object
        What ``fn`` returned, or :data:`FAILED` when it raised.
    """
    try:
        return fn(*args, **kwargs)
    except Exception:
        output.append_stderr(traceback.format_exc())
        return FAILED


def clear_errors(output: widgets.Output) -> None:
    """Remove what ``output`` shows (works without a kernel).

    Parameters
    ----------
    output : ipywidgets.Output
        The widget to clear.
    """
    output.outputs = ()
