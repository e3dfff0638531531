"""Library-scale retrieval: b2m exact (faiss, blocked numpy) and IVF against plain numpy.

Every method runs in a fresh subprocess on the same random unit-norm float32 library, so its
peak memory is its own: the library is generated first, then the kernel's peak-RSS counter is
reset (``/proc/self/clear_refs``) and the reported figure is the peak resident memory *above*
what the library and queries already occupied (this sees BLAS and faiss buffers, which
``tracemalloc`` does not).

Baseline, "plain numpy": ``scores = queries @ library.T`` (the full n_queries × n_items matrix),
then ``np.argpartition(scores, n - k, axis=1)[:, -k:]`` and a sort of those k. Exact-search
throughput is 2·n_queries·n_items·d / time, as GFLOP/s and as a share of (a) a same-shape
float32 ``queries @ library.T`` timed in the same worker, interleaved with its searches (so both
see the same load from other processes) and (b) the machine's peak: a square 4096³ float32
``np.matmul``. Times are the best of N repeats. IVF is run at nprobe = nlist/64, /16, /4 and its
recall@k is measured against the exact faiss result.

Usage::

    python benchmarks/bench_retrieval.py --quick       # 10k items, ~1 min
    python benchmarks/bench_retrieval.py               # 10k, 100k, 1M items (~10 min, ~12 GiB)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _worker import run_json_worker

METHODS = ("plain", "faiss", "numpy", "ivf")
LABELS = {
    "plain": "plain numpy (q @ lib.T + argpartition)",
    "faiss": "b2m exact, faiss",
    "numpy": "b2m exact, numpy blocked",
    "ivf": "b2m IVF",
}


# ----------------------------------------------------------------------------- worker side
def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> int:
    """Reset VmHWM to the current RSS (Linux >= 4.0); return the current RSS in bytes."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return 1024 * (_status_kib("VmRSS") or 0)


def _peak_since(base: int) -> float:
    """Peak RSS above ``base``, MiB."""
    return (1024 * (_status_kib("VmHWM") or 0) - base) / 2**20


def _unit_rows(rng, n: int, d: int, centres: np.ndarray | None = None) -> np.ndarray:
    """Random unit rows: isotropic, or around ``centres`` (noise of half a centre's norm)."""
    out = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, 65536):
        block = out[s : s + 65536]
        block[...] = rng.standard_normal(block.shape, dtype=np.float32)
        if centres is not None:
            block *= 0.5
            block += centres[rng.integers(len(centres), size=len(block))]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _best_time(fn, repeats: int):
    best, result = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _plain_search(queries, library, k):
    t0 = time.perf_counter()
    scores = queries @ library.T
    t_mm = time.perf_counter() - t0
    top = np.argpartition(scores, scores.shape[1] - k, axis=1)[:, -k:]
    top_scores = np.take_along_axis(scores, top, 1)
    order = np.argsort(-top_scores, axis=1)
    return np.take_along_axis(top, order, 1), t_mm


def worker(cfg: dict) -> dict:
    """Run one method in this process and return its timings and memory."""
    from b2m.models import LibraryIndex

    n, d, k, repeats = cfg["n"], cfg["dim"], cfg["k"], cfg["repeats"]
    rng = np.random.default_rng(0)
    centres = None
    if cfg["clustered"]:
        centres = rng.standard_normal((max(10, n // 1000), d), dtype=np.float32)
    library = _unit_rows(rng, n, d, centres)
    all_queries = _unit_rows(np.random.default_rng(1), max(cfg["queries"]), d, centres)
    out = {"method": cfg["method"], "n": n, "rows": []}
    if cfg["method"] == "plain":
        need = max(cfg["queries"]) * n * 12 + 2**30
        avail = 1024 * (_status_kib_meminfo("MemAvailable") or 0)
        if avail and need > 0.8 * avail:
            out["skipped"] = f"needs ~{need / 2**30:.1f} GiB, {avail / 2**30:.1f} GiB available"
            return out
        index = None
    else:
        base = _reset_peak()
        t0 = time.perf_counter()
        kwargs = {"index": "ivf"} if cfg["method"] == "ivf" else {"backend": cfg["method"]}
        index = LibraryIndex(library, copy=False, **kwargs)
        out["build_s"] = time.perf_counter() - t0
        out["build_peak_mib"] = _peak_since(base)
        out["nlist"] = index.nlist
        index.search(all_queries[:2], k)  # warm-up
    for nq in cfg["queries"]:
        queries = np.ascontiguousarray(all_queries[:nq])
        if index is None:
            base = _reset_peak()
            best, t_mm = np.inf, np.inf
            for _ in range(repeats):
                t0 = time.perf_counter()
                indices, mm = _plain_search(queries, library, k)
                best, t_mm = min(best, time.perf_counter() - t0), min(t_mm, mm)
                del indices
                gc.collect()
            out["rows"].append(
                {"nq": nq, "search_s": best, "matmul_s": t_mm, "peak_mib": _peak_since(base)}
            )
            continue
        probes = [None]
        if index.nlist:
            probes = sorted({max(1, index.nlist // f) for f in (64, 16, 4)})
        for nprobe in probes:
            if nprobe is not None:
                index.nprobe = nprobe
            best, best_mm, peak = np.inf, np.inf, 0.0
            for _ in range(repeats):  # search and same-shape matmul interleaved
                base = _reset_peak()
                t0 = time.perf_counter()
                result = index.search(queries, k)
                best = min(best, time.perf_counter() - t0)
                peak = max(peak, _peak_since(base))
                if cfg["method"] != "ivf":
                    t0 = time.perf_counter()
                    scores = queries @ library.T
                    best_mm = min(best_mm, time.perf_counter() - t0)
                    del scores
            row = {"nq": nq, "search_s": best, "peak_mib": peak, "nprobe": nprobe}
            if np.isfinite(best_mm):
                row["matmul_s"] = best_mm
            np.save(Path(cfg["tmp"]) / f"{cfg['method']}_{n}_{nq}_{nprobe}.npy", result.indices)
            out["rows"].append(row)
    return out


def _status_kib_meminfo(field: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


# ----------------------------------------------------------------------------- driver side
def _run_worker(cfg: dict) -> dict:
    return run_json_worker(
        [__file__, "--worker", json.dumps(cfg)], f"worker {cfg['method']} n={cfg['n']}"
    )


def _square_matmul_gflops(size: int = 4096, repeats: int = 3) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    a @ b  # warm-up
    best, _ = _best_time(lambda: a @ b, repeats)
    return 2 * size**3 / best / 1e9


def _recall(tmp: Path, n: int, nq: int, nprobe: int, k: int) -> float:
    from b2m.models import recall_at_k

    exact = tmp / f"faiss_{n}_{nq}_None.npy"
    if not exact.exists():
        exact = tmp / f"numpy_{n}_{nq}_None.npy"
    return recall_at_k(np.load(tmp / f"ivf_{n}_{nq}_{nprobe}.npy"), np.load(exact), k)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k items only, 2 repeats")
    parser.add_argument("--sizes", type=str, default="10000,100000,1000000")
    parser.add_argument("--queries", type=str, default="60,600")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=None, help="best of N (default 3; 1 at 1M)")
    parser.add_argument(
        "--clustered",
        action="store_true",
        help="library and queries drawn around n/1000 random centres (IVF's realistic case)",
    )
    parser.add_argument("--methods", type=str, default=",".join(METHODS))
    parser.add_argument("--worker", type=str, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(json.loads(args.worker))))
        return

    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    queries = [int(q) for q in args.queries.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"--methods must be among {METHODS}; received {sorted(unknown)}")
    import faiss
    import threadpoolctl

    blas = [f"{i['internal_api']} {i['version']}" for i in threadpoolctl.threadpool_info()]
    print(
        f"numpy {np.__version__}, faiss {faiss.__version__}, threads {faiss.omp_get_max_threads()}"
    )
    print(f"thread pools: {', '.join(blas)}; load average {os.getloadavg()[0]:.1f}")
    peak = _square_matmul_gflops()
    print(f"machine matmul peak (float32 4096^3 np.matmul, best of 3): {peak:.0f} GFLOP/s")
    kind = "clustered (n/1000 centres)" if args.clustered else "isotropic"
    print(f"library: random {kind} unit-norm float32, d={args.dim}; k={args.k}; best of N\n")

    with tempfile.TemporaryDirectory(prefix="bench_retrieval_") as tmp:
        for n in sizes:
            repeats = args.repeats or (2 if args.quick else (1 if n >= 1_000_000 else 3))
            results = {}
            for method in methods:
                cfg = {"method": method, "n": n, "dim": args.dim, "k": args.k}
                cfg |= {"repeats": repeats, "queries": queries, "tmp": tmp}
                cfg["clustered"] = args.clustered
                results[method] = _run_worker(cfg)
            _report(n, args.dim, args.k, queries, results, Path(tmp), peak)


def _report(n, d, k, queries, results, tmp: Path, peak: float) -> None:
    print(f"=== library n={n:,} x d={d} ({n * d * 4 / 2**20:.0f} MiB) ===")
    for method, res in results.items():
        if "build_s" in res:
            extra = f", nlist={res['nlist']}" if res.get("nlist") else ""
            print(
                f"  build {LABELS[method]:<26} {res['build_s']:7.2f} s, "
                f"peak +{res['build_peak_mib']:.0f} MiB{extra}"
            )
        if "skipped" in res:
            print(f"  {LABELS[method]}: skipped ({res['skipped']})")
    head = (
        f"  {'method':<40} {'n_q':>4} {'time s':>8} {'vs plain':>8} {'GFLOP/s':>8} "
        f"{'%mm same':>8} {'%mm peak':>8} {'peak MiB':>9} {'recall@' + str(k):>9}"
    )
    print(head)
    for nq in queries:
        flops = 2 * nq * n * d
        plain = next((r for r in results.get("plain", {}).get("rows", []) if r["nq"] == nq), None)
        mm_gflops = flops / plain["matmul_s"] / 1e9 if plain else float("nan")
        for method, res in results.items():
            for row in (r for r in res["rows"] if r["nq"] == nq):
                t = row["search_s"]
                label = LABELS[method] + (f" nprobe={row['nprobe']}" if row.get("nprobe") else "")
                ratio = f"{plain['search_s'] / t:7.2f}x" if plain else "     n/a"
                exact = method in ("faiss", "numpy", "plain")
                gf = f"{flops / t / 1e9:8.1f}" if exact else f"{'-':>8}"
                own_mm = row.get("matmul_s", plain["matmul_s"] if plain else None)
                same = f"{100 * own_mm / t:7.0f}%" if exact and own_mm else f"{'-':>8}"
                pk = f"{100 * flops / t / 1e9 / peak:7.0f}%" if exact else f"{'-':>8}"
                rec = (
                    f"{_recall(tmp, n, nq, row['nprobe'], k):9.3f}"
                    if method == "ivf"
                    else f"{'-':>9}"
                )
                print(
                    f"  {label:<40} {nq:>4} {t:8.4f} {ratio:>8} {gf} {same} {pk} "
                    f"{row['peak_mib']:9.0f} {rec}"
                )
        if plain:
            print(
                f"  {'(same-shape np.matmul alone)':<40} {nq:>4} {plain['matmul_s']:8.4f} "
                f"{'':>8} {mm_gflops:8.1f} {100.0:7.0f}% {100 * mm_gflops / peak:7.0f}%"
            )
    print()


if __name__ == "__main__":
    main()
