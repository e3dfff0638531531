"""Threads for numpy work that releases the GIL (gathers, einsum, sorts) on independent blocks."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["n_cores", "resolve_n_jobs", "thread_map"]

T = TypeVar("T")


def n_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: int | None, name: str = "n_jobs") -> int:
    """``None`` → the cores available (at most 8); else a positive integer, checked."""
    if n_jobs is None:
        return max(1, min(8, n_cores()))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"{name} must be a positive integer or None; received {n_jobs!r}.")
    return n_jobs


def thread_map(function: Callable[..., T], items: Iterable, n_jobs: int = 1) -> list[T]:
    """``[function(item) for item in items]``, on ``n_jobs`` threads (in order; errors raised).

    Worth it only for work that releases the GIL; the items must not write to shared memory
    except through disjoint slices.
    """
    items = list(items)
    if n_jobs <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(n_jobs, len(items))) as pool:
        return list(pool.map(function, items))
