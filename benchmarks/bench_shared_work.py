"""Work the demo no longer repeats or runs on one core, each against its old path in the same run.

Three measurements on the simulated study (built in the data home if missing), each printed as
old / new time and ratio, with a check that both give the same numbers:

* **decoding** — :func:`b2m.analysis.decode_study` of the demo's five feature spaces for one
  subject. Baseline: the ridge engine as it was, decomposing every fold of the same 384 ×
  20,484 response matrix again for each space, on one BLAS thread (the decomposition memo
  disabled, ``_blas_threads`` forced to 1). New: the folds decomposed once, with every thread.
* **permutations** — :func:`b2m.stats.correlation_permutation_test` of three models' held-out
  predictions of one subject's 540 responses (1000 permutations). Baseline: ``n_jobs=1``.
  New: the default (blocks of targets on every core).
* **AR(1) noise** — one run's noise (410 volumes × 20,484 vertices). Baseline:
  ``scipy.signal.lfilter`` down each vertex. New: ``_ar1``, one vectorised step per volume.

Numbers depend on the machine and its load; this is a benchmark, not a test.

Usage::

    python benchmarks/bench_shared_work.py                 # sub-001
    python benchmarks/bench_shared_work.py --subject sub-003 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SPACES = ("acoustic", "musicnn", "genre", "text-lsa", "sentence-minilm")


def _best(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


@contextmanager
def _old_ridge():
    """The engine before the memo: nothing kept, small-matrix thread limit everywhere."""
    from b2m.models import _ridge

    saved = _ridge._MEMO_MIN_SIZE, _ridge._blas_threads
    _ridge._MEMO_MIN_SIZE, _ridge._blas_threads = 10**15, lambda X: 1
    try:
        yield
    finally:
        _ridge._MEMO_MIN_SIZE, _ridge._blas_threads = saved


def bench_decoding(study, repeats: int) -> dict:
    from b2m.analysis import decode_study, study_embeddings
    from b2m.models import _ridge

    spaces = []
    for space in SPACES:
        try:
            study_embeddings(study, space)  # features cached before timing
            spaces.append(space)
        except ImportError as err:
            print(f"  {space}: skipped ({err})")

    def run():
        _ridge._memo.clear()  # each repeat starts cold, as a fresh kernel does
        return [decode_study(study, space).decoded for space in spaces]

    with _old_ridge():
        old_t, old = _best(run, repeats)
    new_t, new = _best(run, repeats)
    return {
        "what": f"decode {len(spaces)} spaces",
        "old": old_t,
        "new": new_t,
        # Float32 products on another thread count may round differently in the last bits.
        "same": all(np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(old, new, strict=True)),
    }


def bench_permutations(study, repeats: int) -> dict:
    from b2m.stats import correlation_permutation_test

    resp = study.responses
    rng = np.random.default_rng(0)
    y = np.vstack([resp.train, resp.test]).astype(np.float64)
    # Three "models": noisy copies of the response, as held-out predictions are.
    preds = [y + rng.standard_normal(y.shape) * s for s in (2.0, 3.0, 4.0)]
    old_t, old = _best(lambda: correlation_permutation_test(preds, y, n_jobs=1), repeats)
    new_t, new = _best(lambda: correlation_permutation_test(preds, y), repeats)
    same = all(np.array_equal(old[k], new[k], equal_nan=True) for k in ("r", "pvalues", "tested"))
    return {"what": "permutation test, 3 models", "old": old_t, "new": new_t, "same": same}


def bench_ar1(repeats: int) -> dict:
    from scipy.signal import lfilter

    from b2m.datasets.simulation._simulate import AR_COEF, N_VOLUMES, _ar1

    innov = np.random.default_rng(0).standard_normal((N_VOLUMES, 20484), dtype=np.float32)
    coef = [np.sqrt(1 - AR_COEF**2)], [1.0, -AR_COEF]
    old_t, old = _best(lambda: lfilter(*coef, innov, axis=0), repeats)
    new_t, new = _best(lambda: _ar1(innov, AR_COEF), repeats)
    return {
        "what": "AR(1) noise, one run",
        "old": old_t,
        "new": new_t,
        "same": bool(np.array_equal(old, new)),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subject", default="sub-001")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many runs")
    args = parser.parse_args(argv)
    from b2m.datasets import load_study, make_simulated_study

    make_simulated_study()
    study = load_study("simulated", args.subject)
    _ = study.responses.train
    rows = [
        bench_decoding(study, args.repeats),
        bench_permutations(study, args.repeats),
        bench_ar1(max(3, args.repeats)),
    ]
    print(f"\n{'step':32s} {'old s':>8s} {'new s':>8s} {'old/new':>8s}  same numbers")
    for r in rows:
        ratio = r["old"] / r["new"]
        print(f"{r['what']:32s} {r['old']:8.2f} {r['new']:8.2f} {ratio:7.1f}x  {r['same']}")


if __name__ == "__main__":
    main()
