"""Benchmark b2m's ridge engine against himalaya and scikit-learn on a decoding-sized problem.

Problem: n=480 samples (12 runs of 40), p=512 features, ``--n-targets`` targets (80,000 by
default), 20 alphas ``logspace(-2, 6)``, 5 run-grouped folds (``GroupKFold``), float32, random
data with a per-target signal-to-noise ratio so that the chosen alphas vary.

Each method runs in a fresh subprocess on the same saved data. Time is the wall time of ``fit``;
memory is the peak resident set size of the process during ``fit`` minus its resident size just
before (after imports and loading the data); the peak counter is reset through
``/proc/self/clear_refs`` so BLAS and torch buffers are counted (tracemalloc would miss them).
The load of a shared machine drifts over minutes, so b2m-numpy runs again after every other
method, and each method's speed ratio is taken against the mean of its two neighbouring b2m runs;
b2m's own time is the median of its runs.

Compared (per-target alpha modes, same folds and alphas):

* b2m ``RidgeCV`` with the numpy and the torch-CPU backends, ``cv_average="folds"`` (the alpha
  with the lowest mean over folds of the fold's mean squared error: himalaya's criterion);
* himalaya ``RidgeCV`` (solver "svd") and ``KernelRidgeCV`` (linear kernel, solver
  "eigenvalues") with its "numpy" and "torch" (CPU) backends and default batching (all targets
  at once); they pick the alpha with the best mean over folds of their default score (negative
  mean squared error);
* scikit-learn ``RidgeCV(alpha_per_target=True)``: its only per-target mode is ``cv=None``,
  efficient leave-one-*sample*-out CV from one eigendecomposition of ``X Xᵀ`` (closed-form LOO
  residuals for every alpha); it ignores runs, so its alphas are expected to differ from
  run-grouped CV.

Also reported: the achieved GFLOP/s of b2m's main products (the stacked validation products and
the refit) over its whole fit time, against a plain ``np.matmul`` of the engine's chunk shape
measured in the same run. On a shared machine, compare ratios within one run. If the environment
sets ``OPENBLAS_CORETYPE``, numpy's OpenBLAS may run an older kernel; unset it (with
``OPENBLAS_L2_SIZE``) for this command alone to measure the native one.

Usage::

    python benchmarks/bench_ridge.py            # full problem (minutes)
    python benchmarks/bench_ridge.py --quick    # 4,000 targets
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_RUNS, RUN_LEN, N_FEATURES, N_SPLITS = 12, 40, 512, 5
ALPHAS = np.logspace(-2, 6, 20)
METHODS = [
    "b2m-numpy",
    "b2m-torch-cpu",
    "himalaya-RidgeCV-numpy",
    "himalaya-RidgeCV-torch",
    "himalaya-KernelRidgeCV-numpy",
    "himalaya-KernelRidgeCV-torch",
    "sklearn-RidgeCV-GCV",
    "matmul",
]


def make_data(n_targets: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random design, targets with a per-target signal gain, and run labels.

    Returns
    -------
    X : ndarray of shape (480, 512), float32
    Y : ndarray of shape (480, n_targets), float32
    groups : ndarray of shape (480,)
    """
    rng = np.random.default_rng(seed)
    n = N_RUNS * RUN_LEN
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    Y = np.empty((n, n_targets), dtype=np.float32)
    for start in range(0, n_targets, 8192):
        c = min(8192, n_targets - start)
        gain = 10 ** rng.uniform(-1.5, 0.5, c).astype(np.float32) / np.sqrt(N_FEATURES)
        W = rng.standard_normal((N_FEATURES, c), dtype=np.float32) * gain
        Y[:, start : start + c] = X @ W + rng.standard_normal((n, c), dtype=np.float32)
    return X, Y, np.repeat(np.arange(N_RUNS), RUN_LEN)


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _worker(method: str, data: str, out: str) -> None:
    """Run one method on the saved data; write time, peak memory and alphas."""
    from sklearn.model_selection import GroupKFold

    arrays = np.load(data)
    X, Y, groups = arrays["X"], arrays["Y"], arrays["groups"]
    folds = list(GroupKFold(N_SPLITS).split(X, Y, groups))
    if method.startswith("b2m"):
        from b2m.models import RidgeCV

        backend = "numpy" if method == "b2m-numpy" else "torch"
        if backend == "torch":
            import torch  # noqa: F401  (import outside the measured region)
        device = "cpu" if backend == "torch" else None
        model = RidgeCV(
            ALPHAS, n_splits=N_SPLITS, backend=backend, device=device, cv_average="folds"
        )
        fit = lambda: model.fit(X, Y, groups)  # noqa: E731
        get_alphas = lambda: model.alpha_  # noqa: E731
    elif method.startswith("himalaya"):
        from himalaya.backend import set_backend
        from himalaya.kernel_ridge import KernelRidgeCV
        from himalaya.ridge import RidgeCV as HRidgeCV

        _, kind, hb = method.split("-")
        backend = set_backend(hb, on_error="raise")
        alphas = ALPHAS.astype(np.float32)
        if kind == "RidgeCV":
            model = HRidgeCV(alphas=alphas, cv=folds, fit_intercept=True)
        else:
            model = KernelRidgeCV(alphas=alphas, kernel="linear", cv=folds, fit_intercept=True)
        fit = lambda: model.fit(X, Y)  # noqa: E731
        get_alphas = lambda: np.asarray(backend.to_numpy(model.best_alphas_), float)  # noqa: E731
    elif method == "sklearn-RidgeCV-GCV":
        from sklearn.linear_model import RidgeCV as SRidgeCV

        model = SRidgeCV(alphas=ALPHAS, alpha_per_target=True)
        fit = lambda: model.fit(X, Y)  # noqa: E731
        get_alphas = lambda: np.asarray(model.alpha_, float)  # noqa: E731
    else:  # plain matmul of the engine's chunk shape
        from b2m.models._ridge import _RANK_TOL, _fold_operator

        tr, va = folds[0]
        _, mats = _fold_operator(X.astype(float), tr, va, ALPHAS, True, _RANK_TOL["float32"])
        rows = mats[0].shape[0]  # the fold's main product: (rows, n_train) @ (n_train, chunk)
        a = np.random.default_rng(1).standard_normal((rows, len(tr)), np.float32)
        b = np.ascontiguousarray(Y[: len(tr), : min(Y.shape[1], 12000)])
        reps = 6
        a @ b
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        dt = time.perf_counter() - t0
        flops = 2.0 * reps * a.shape[0] * a.shape[1] * b.shape[1]
        Path(out).write_text(json.dumps({"gflops": flops / dt / 1e9, "shape": [a.shape, b.shape]}))
        return
    base = _rss_kb("VmRSS")
    if not _reset_peak():
        import resource

        base = min(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    t0 = time.perf_counter()
    fit()
    dt = time.perf_counter() - t0
    peak = _rss_kb("VmHWM") - base
    np.save(out + ".npy", get_alphas())
    Path(out).write_text(json.dumps({"time": dt, "peak_mb": peak / 1024}))


def _b2m_flops(X: np.ndarray, groups: np.ndarray, n_targets: int) -> float:
    """Floating-point operations of b2m's main products (the forms its folds actually use)."""
    from b2m.models._ridge import _RANK_TOL, _fold_operator, run_folds

    n, p = X.shape
    a = len(ALPHAS) + 1
    total = 0.0
    for tr, va in run_folds(groups, N_SPLITS):
        kind, mats = _fold_operator(
            X.astype(np.float64), tr, va, ALPHAS, True, _RANK_TOL["float32"]
        )
        m, n_t = len(va), len(tr)
        if kind == "direct":
            total += 2.0 * a * m * n_t * n_targets
        elif kind == "factored":
            total += 2.0 * mats[1].shape[0] * (n_t + a * m) * n_targets
        else:
            k = mats[1].shape[1] - 1
            total += 2.0 * ((k * m + 1) * n_t + a * (k + 1) * m) * n_targets
    r = min(n - 1, p)
    return total + 2.0 * n_targets * (r * n + p * r)


def main(argv=None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-targets", type=int, default=80000)
    parser.add_argument("--quick", action="store_true", help="4,000 targets")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(*args.worker)
        return
    n_targets = 4000 if args.quick else args.n_targets
    methods = list(dict.fromkeys(["b2m-numpy", *args.methods]))
    print(
        f"n={N_RUNS * RUN_LEN} ({N_RUNS} runs of {RUN_LEN}), p={N_FEATURES}, "
        f"v={n_targets}, {len(ALPHAS)} alphas, {N_SPLITS} run-grouped folds, float32; "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"cores={os.cpu_count()}",
        flush=True,
    )
    results, ref_times = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.npz")
        X, Y, groups = make_data(n_targets)
        np.savez(data, X=X, Y=Y, groups=groups)
        flops = _b2m_flops(X, groups, n_targets)
        del X, Y

        def run(method: str, tag: str) -> dict | None:
            out = os.path.join(tmp, f"{method}-{tag}.json")
            cmd = [sys.executable, __file__, "--worker", method, data, out]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{method}: failed\n{proc.stderr[-2000:]}", flush=True)
                return None
            res = json.loads(Path(out).read_text())
            if method != "matmul":
                res["alphas"] = np.load(out + ".npy")
            print(f"  done {method}: {res.get('time', 0):.2f} s", flush=True)
            return res

        # b2m-numpy runs before the first and after every other method: each method's ratio is
        # taken against the mean of its two neighbouring b2m runs (the load of a shared machine
        # drifts over minutes).
        ref_times.append(run("b2m-numpy", "0")["time"])
        for i, method in enumerate(m for m in methods if m != "b2m-numpy"):
            res = run(method, "x")
            ref = run("b2m-numpy", str(i + 1))
            ref_times.append(ref["time"])
            if res is not None:
                res["ref_time"] = 0.5 * (ref_times[-2] + ref_times[-1])
                results[method] = res
        results = {"b2m-numpy": {**ref, "ref_time": ref["time"]}, **results}
    ref = results["b2m-numpy"]
    ref["time"] = float(np.median(ref_times))
    print(f"\nb2m-numpy times over the run: {', '.join(f'{t:.1f}' for t in ref_times)} s")
    print(
        f"\n{'method':34s} {'time s':>8s} {'peak MB':>8s} {'b2m faster':>10s} {'same α':>7s}"
        "   (b2m faster: time / mean of the neighbouring b2m-numpy runs)"
    )
    for method, res in results.items():
        if method == "matmul":
            continue
        same = np.mean(np.isclose(res["alphas"], ref["alphas"], rtol=1e-3))
        ratio = res["time"] / res["ref_time"] if method != "b2m-numpy" else 1.0
        print(f"{method:34s} {res['time']:8.2f} {res['peak_mb']:8.0f} {ratio:9.2f}x {same:7.1%}")
    print(f"\nb2m main products (as its folds run them, and the refit): {flops / 1e9:.0f} GFLOP")
    for method in ("b2m-numpy", "b2m-torch-cpu"):
        if method in results:
            gf = flops / results[method]["time"] / 1e9
            print(f"  {method}: {gf:.1f} GFLOP/s over the whole fit")
    if "matmul" in results:
        mm = results["matmul"]
        print(f"  plain np.matmul {mm['shape'][0]} @ {mm['shape'][1]}: {mm['gflops']:.1f} GFLOP/s")
    hima = [m for m in results if m.startswith("himalaya")]
    if hima:
        best = min(hima, key=lambda m: results[m]["time"] / results[m]["ref_time"])
        res = results[best]
        print(
            f"\nvs himalaya's fastest ({best}): b2m {res['time'] / res['ref_time']:.2f}x faster, "
            f"{ref['peak_mb'] / res['peak_mb']:.2f} of its peak memory"
        )


if __name__ == "__main__":
    main()
