"""Text vs music (:func:`b2m.analysis.compare_text_music`) on the simulated study.

Baseline, "one test per model": :func:`b2m.analysis._text_music.partition_encoding` as it was
before the permutations were batched — for each of the music, text and union models its own
:func:`b2m.stats.permutation_test_correlation` with the full null kept, then pooled p-values
and region means against that null. It is timed by running today's ``partition_encoding``
with its batched test (:func:`b2m.stats.correlation_permutation_test`) swapped
for that loop, in the same process, on the same subject and inputs, right before the new path;
everything else (the encoders, the sign-flip tests) is the same code in both. The two results
are compared (largest p-value difference, differing significant vertices).

Then the demo's step: ``compare_text_music(study, "acoustic", "text-lsa")`` for every subject,
timed per subject and in all.

Usage::

    python benchmarks/bench_text_music.py                     # sub-001 both ways, then 5 subjects
    python benchmarks/bench_text_music.py --subjects 1 --skip-baseline
    B2M_DATA=/tmp/home python benchmarks/bench_text_music.py  # builds the study there if needed
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def one_test_per_model(
    predictions, observed, *, n_permutations=1000, seed=0, regions=None, **_
) -> dict:
    """The baseline: the permutation step of ``partition_encoding`` before batching."""
    from b2m.stats import permutation_test_correlation, pooled_pvalues

    out = {k: [] for k in ("r", "pvalues", "tested", "region_r", "region_pvalues")}
    for pred in predictions:
        perm = permutation_test_correlation(
            pred, observed, n_permutations=n_permutations, seed=seed, keep_null=True
        )
        region_r = perm.r @ regions
        exceed = (perm.null @ regions.astype(np.float32) >= region_r - 1e-6).sum(0)
        out["r"].append(perm.r)
        out["pvalues"].append(pooled_pvalues(perm.r, perm.null, tested=perm.tested))
        out["tested"].append(perm.tested)
        out["region_r"].append(region_r)
        out["region_pvalues"].append((1.0 + exceed) / (1.0 + n_permutations))
    return {k: np.stack(v) for k, v in out.items()}


def _inputs(study):
    from b2m.analysis._embeddings import study_embeddings

    music, text = study_embeddings(study, "acoustic"), study_embeddings(study, "text-lsa")
    resp = study.responses
    train, test = study.clip_indices(resp.train_ids), study.clip_indices(resp.test_ids)
    return (music[train], text[train], resp.train, resp.train_runs, music[test], text[test],
            resp.test)  # fmt: skip


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def compare_results(a, b) -> dict:
    """Largest p-value difference and differing significant entries of two results."""
    p_diff = max(float(np.nanmax(np.abs(a.pvalues[k] - b.pvalues[k]))) for k in a.pvalues)
    n_sig = sum(int((a.significant[k] != b.significant[k]).sum()) for k in a.significant)
    r2_diff = max(float(np.nanmax(np.abs(a.r2[k] - b.r2[k]))) for k in a.r2)
    return {"max_p_diff": p_diff, "significant_differ": n_sig, "max_r2_diff": r2_diff}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", default=None, help="data home (default: B2M_DATA)")
    parser.add_argument("--subjects", type=int, default=5, help="subjects for the group time")
    parser.add_argument("--n-permutations", type=int, default=1000)
    parser.add_argument("--skip-baseline", action="store_true", help="new path only")
    args = parser.parse_args(argv)

    import b2m.analysis._text_music as tm
    from b2m.analysis import compare_text_music
    from b2m.datasets import SUBJECTS, load_study, make_simulated_study

    subjects = list(SUBJECTS[: args.subjects])
    make_simulated_study(args.data_home, subjects=subjects, progressbar=False)
    studies = {s: load_study("simulated", s, data_home=args.data_home) for s in subjects}
    first = studies[subjects[0]]
    inputs = _inputs(first)
    kwargs = {"n_permutations": args.n_permutations}
    print(f"text vs music, {first.subject}: acoustic vs text-lsa, {inputs[2].shape[1]} vertices")

    if not args.skip_baseline:
        batched = tm.correlation_permutation_test
        tm.correlation_permutation_test = one_test_per_model
        try:
            ref, t_ref = _timed(tm.partition_encoding, *inputs, **kwargs)
        finally:
            tm.correlation_permutation_test = batched
        new, t_new = _timed(tm.partition_encoding, *inputs, **kwargs)
        print(f"  baseline (one test per model) {t_ref:8.1f} s")
        print(f"  b2m (batched permutations)    {t_new:8.1f} s   ×{t_ref / t_new:.2f} faster")
        print(f"  same result: {compare_results(ref, new)}")

    total = 0.0
    for s in subjects:
        _, dt = _timed(compare_text_music, studies[s], "acoustic", "text-lsa", **kwargs)
        total += dt
        print(f"  compare_text_music({s}) {dt:8.1f} s")
    print(f"  {len(subjects)} subjects: {total:.1f} s (the demo's 'text vs music' step)")


if __name__ == "__main__":
    main()
