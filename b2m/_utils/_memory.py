"""How the C heap gives freed memory back to the operating system (glibc only).

Two opposite needs:

* a notebook kernel on a shared server should not hold memory it no longer uses:
  :func:`release_freed_memory` trims the heap after an allocation-heavy loop;
* a batch run (the demo, the test suite) should not give memory back only to fault it in
  again: :func:`retain_freed_memory` keeps it. On a virtual machine whose host reclaims the
  guest's free pages (free-page reporting, ballooning), touching a page the process gave back
  costs a fault in the host as well; on the machines this project is developed on that is
  about 10 ms per MB, about 100 × the cost of reusing memory the process kept. Every large
  NumPy temporary is an ``mmap`` that ``free`` unmaps, so one subject's text-vs-music
  comparison (``compare_text_music``) spent about 40 % of its time in such faults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

__all__ = ["release_freed_memory", "retain_freed_memory"]

#: glibc settings of :func:`retain_freed_memory`: (``mallopt`` parameter, tunable name, value).
#: No buffer is ``mmap``-ed (every one comes from the heap and returns to it), the heap's top
#: is trimmed only beyond 2 GiB free, and all threads share one arena (so memory freed by one
#: thread is reused by the others rather than held per thread).
_SETTINGS = (
    (-4, "glibc.malloc.mmap_max", 0),  # M_MMAP_MAX
    (-1, "glibc.malloc.trim_threshold", 2**31 - 1),  # M_TRIM_THRESHOLD
    (-8, "glibc.malloc.arena_max", 1),  # M_ARENA_MAX
)
_retaining = False


@functools.cache
def _libc():
    """The C library if it is glibc (has ``malloc_trim`` and ``mallopt``), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim, libc.mallopt  # noqa: B018  (AttributeError where absent)
    except (OSError, AttributeError):
        return None
    return libc


def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl, Windows)."""
    libc = _libc()
    return None if libc is None else libc.malloc_trim


def _mallopt():
    """glibc's ``mallopt``, or None where the C library has none."""
    libc = _libc()
    return None if libc is None else libc.mallopt


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim(0)``).

    glibc raises its mmap threshold after a large buffer is freed, so later buffers of a few
    MB (waveforms, spectrograms) come from the heap and its per-thread arenas; once freed,
    they stay in the process's resident memory. Reading and embedding 60 synthesised
    reconstructions left 0.13 GB resident that nothing used; trimming afterwards gives it
    back (``benchmarks/bench_memory.py``). A few milliseconds; call it after such a loop,
    not inside one. Does nothing after :func:`retain_freed_memory`.

    Returns
    -------
    bool
        Whether anything was trimmed (False where the C library has no ``malloc_trim``, or
        when this process retains its freed memory).
    """
    trim = _malloc_trim()
    if trim is None or _retaining:
        return False
    return bool(trim(0))


def retain_freed_memory(*, children: bool = True) -> bool:
    """Keep freed memory in this process for reuse instead of returning it to the system.

    For batch runs (``b2m demo``, the test suite), on glibc: large buffers come from the heap
    instead of ``mmap`` and stay there once freed, so the next buffer reuses pages already
    in place (see the module docstring for why this matters on virtual machines). Resident
    memory stays near its peak until the process ends, and the peak can be a little higher
    (fragmentation: one subject's text vs music peaked at 1.45 GB instead of 1.38 GB), so
    interactive kernels do not call it. Lasts for the rest of the process;
    :func:`release_freed_memory` becomes a no-op.

    Parameters
    ----------
    children : bool, default True
        Also set ``GLIBC_TUNABLES`` in ``os.environ`` (kept tunables already there), so
        that processes started afterwards (notebook kernels, workers) retain theirs too.

    Returns
    -------
    bool
        Whether the settings took effect here (False where the C library is not glibc;
        then nothing is changed, ``os.environ`` included).
    """
    global _retaining
    mallopt = _mallopt()
    if mallopt is None:
        return False
    if not all(mallopt(param, value) == 1 for param, _, value in _SETTINGS):
        return False
    _retaining = True
    if children:
        os.environ["GLIBC_TUNABLES"] = _merged_tunables(os.environ.get("GLIBC_TUNABLES", ""))
    return True


def _merged_tunables(current: str) -> str:
    """``current`` (``name=value`` pairs joined by ``:``) with :data:`_SETTINGS` added.

    A tunable the caller already set is left as it is.
    """
    pairs = [p for p in current.split(":") if p]
    named = {p.split("=", 1)[0] for p in pairs}
    pairs += [f"{name}={value}" for _, name, value in _SETTINGS if name not in named]
    return ":".join(pairs)
