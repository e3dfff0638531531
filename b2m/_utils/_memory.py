"""Give freed heap memory back to the operating system after allocation-heavy loops."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["release_freed_memory"]


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim(0)``).

    glibc raises its mmap threshold after a large buffer is freed, so later buffers of a few
    MB (waveforms, spectrograms) come from the heap and its per-thread arenas; once freed,
    they stay in the process's resident memory. Reading and embedding 60 synthesised
    reconstructions left 0.13 GB resident that nothing used; trimming afterwards gives it
    back (``benchmarks/bench_memory.py``). A few milliseconds; call it after such a loop,
    not inside one.

    Returns
    -------
    bool
        Whether anything was trimmed (False where the C library has no ``malloc_trim``).
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
