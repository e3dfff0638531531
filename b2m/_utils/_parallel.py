"""Parallel maps: threads for numpy work that releases the GIL (gathers, einsum, sorts) on
independent blocks, worker processes for single-threaded Python work (rendering, small fits)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from threadpoolctl import ThreadpoolController

__all__ = [
    "environ_restored",
    "n_cores",
    "numpy_blas_beside_torch",
    "process_map",
    "resolve_n_jobs",
    "thread_map",
]

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


def thread_map(
    function: Callable[..., T],
    items: Iterable,
    n_jobs: int = 1,
    *,
    desc: str | None = None,
    disable: bool | None = None,
) -> list[T]:
    """``[function(item) for item in items]``, on ``n_jobs`` threads (in order; errors raised).

    Worth it only for work that releases the GIL; the items must not write to shared memory
    except through disjoint slices. With ``desc``, one bar counts the items (``disable`` as
    in :func:`b2m._utils._progress.progress`); without, none.
    """
    from b2m._utils._progress import progress

    items = list(items)
    bar = {"total": len(items), "desc": desc, "disable": True if desc is None else disable}
    if n_jobs <= 1 or len(items) <= 1:
        return list(progress(map(function, items), **bar))
    with ThreadPoolExecutor(max_workers=min(n_jobs, len(items))) as pool:
        return list(progress(pool.map(function, items), **bar))


def process_map(
    function: Callable[[object], T],
    items: Iterable,
    n_jobs: int = 1,
    *,
    desc: str | None = None,
    disable: bool | None = None,
) -> list[T]:
    """``[function(item) for item in items]`` in ``n_jobs`` worker processes, in order.

    For work that is mostly single-threaded Python. The workers are joblib's loky processes
    (``function`` and the items must pickle; large arrays are memory-mapped, read-only), each
    with one BLAS and torch thread and no progress bars of its own; they exit 10 s after the
    last item. One bar here counts the items (``desc``; ``disable`` as in
    :func:`b2m._utils._progress.progress`). ``n_jobs <= 1`` or a single item: in this process.
    """
    from b2m._utils._progress import progress

    items = list(items)
    if n_jobs <= 1 or len(items) <= 1:
        return [function(item) for item in progress(items, desc=desc, disable=disable)]
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", inner_max_num_threads=1, idle_worker_timeout=10):
        results = Parallel(n_jobs=min(n_jobs, len(items)), return_as="generator")(
            delayed(_quietly)(function, item) for item in items
        )
        return list(progress(results, total=len(items), desc=desc, disable=disable))


def _quietly(function: Callable[[object], T], item) -> T:
    """``function(item)`` without progress bars (several workers would interleave them)."""
    with environ_restored():
        os.environ["B2M_PROGRESS"] = "0"
        return function(item)


@contextmanager
def numpy_blas_beside_torch():
    """NumPy's and SciPy's OpenBLAS on one thread, for loops that alternate them with torch.

    OpenBLAS's threads keep spinning for a while after each product (about 0.1 s) before
    they sleep. A loop that prepares each batch with NumPy (a mel filterbank product, say)
    and then runs a torch model on all cores has those spinning threads compete with
    torch's: on 2 cores, musicnn embedded clips about 1.4 times as slowly
    (``benchmarks/bench_musicnn.py``). The preparation's products are small, so one thread
    costs them little. Only OpenBLAS is limited: torch's own pools (OpenMP, an MKL it links)
    are left alone.
    """
    with ThreadpoolController().select(internal_api="openblas").limit(limits=1):
        yield


@contextmanager
def environ_restored():
    """This process's environment (``os.environ``) as it was on entry, restored on exit.

    For settings that hold for one call only (a worker's ``B2M_PROGRESS=0``, ``b2m fetch
    --mirror``), and around code that starts child processes by changing this process's
    environment for them to inherit, and leaves it changed. dask.distributed's nanny does so before it
    spawns each worker of a ``LocalCluster``: ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
    ``OPENBLAS_NUM_THREADS`` become ``1`` here, and ``MALLOC_TRIM_THRESHOLD_`` is set. Every
    process started afterwards (a notebook kernel, a worker pool) then ran its numerical
    libraries on one thread: in the test suite a kernel embedding 540 clips with musicnn
    took 104 s instead of 73 s. Variables added inside are removed and changed or removed
    ones are put back, including any this process's other threads changed meanwhile.
    """
    before = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
