"""Resident memory of the reconstruction notebook's heavy steps, against the old paths.

Each configuration runs in a fresh Python process, so that its peak is its own. For each it
prints the resident set (RSS) before the step, the peak, the end, what the step left
resident ("kept") and its time, with ratios against the baseline measured in the same run.

* **musicnn** — embedding ``--clips`` 15-s clips (22,050 Hz float32, seeded noise) with the
  ``musicnn`` space. Baseline: the path before this change, 16 patches per forward pass and
  every clip converted to float64 up front. Now: the defaults, 8 patches per pass and each
  clip converted when its turn comes. The embeddings are compared (the batch size changes
  the order of a few float32 sums).
* **evaluation** — :func:`b2m.reconstruction.evaluate_reconstructions` of one subject's 60
  synthesised reconstructions in the acoustic space (each rendered from its recipe when
  read). Baseline: without :func:`b2m._utils._memory.release_freed_memory` after reading
  the waveforms. Now: with it. Needs the simulated study (built in the data home if
  missing, ~1 min).

Numbers depend on the machine and its load; this is a benchmark, not a test.

Usage::

    python benchmarks/bench_memory.py                # 60 clips
    python benchmarks/bench_memory.py --clips 180
"""

from __future__ import annotations

import argparse
import os
import tempfile

from _worker import run_json_worker

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("B2M_PROGRESS", "0")

_PRELUDE = r"""
import json, resource, sys, time
import numpy as np
import psutil

process = psutil.Process()

def report(run, **extra):
    before = process.memory_info().rss
    t0 = time.perf_counter()
    out = run()
    seconds = time.perf_counter() - t0
    end = process.memory_info().rss
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"before": before, "peak": peak, "end": end, "seconds": seconds} | extra))
    return out
"""

_MUSICNN = r"""
config, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import torch  # noqa: F401
import b2m.features._musicnn as m
from b2m.features import get_feature_space
from b2m.features._base import check_waveforms

if config == "baseline":
    m.check_waveforms = lambda waveforms, dtype=None: check_waveforms(waveforms)
fs = get_feature_space("musicnn", batch_size=16 if config == "baseline" else 8)
clips = [
    (0.1 * np.random.default_rng(i).standard_normal(330_750)).astype(np.float32)
    for i in range(n)
]
fs.embed_audio(clips[:1], 22050)  # weights loaded, oneDNN primitives built
np.save(path, report(lambda: fs.embed_audio(clips, 22050)))
"""

_EVALUATION = r"""
config, path = sys.argv[1], sys.argv[3]
import b2m.reconstruction._evaluate as e
from b2m.analysis import decode_study
from b2m.datasets import load_study
from b2m.reconstruction import evaluate_reconstructions, reconstruct_study

if config == "baseline":
    e.release_freed_memory = lambda: False
study = load_study("simulated", "sub-001")
decoding = decode_study(study, "acoustic")
recs = reconstruct_study(study, decoding, ["synth"])
ev = report(lambda: evaluate_reconstructions(recs, study, "acoustic", decoded=decoding))
np.save(path, ev.clips["identification"].to_numpy())
"""


def _run(code: str, config: str, n: int, path: str) -> dict:
    return run_json_worker(["-c", _PRELUDE + code, config, str(n), path], config)


def _table(title: str, rows: dict, results: dict) -> None:
    import numpy as np

    gb = 1e9
    print(f"\n{title}; RSS in GB")
    print(f"{'':10s} {'before':>7s} {'peak':>7s} {'rise':>6s} {'end':>7s} {'kept':>6s} {'s':>6s}")
    for config, r in rows.items():
        print(
            f"{config:10s} {r['before'] / gb:7.3f} {r['peak'] / gb:7.3f} "
            f"{(r['peak'] - r['before']) / gb:6.3f} {r['end'] / gb:7.3f} "
            f"{(r['end'] - r['before']) / gb:6.3f} {r['seconds']:6.1f}"
        )
    base, now = rows["baseline"], rows["now"]
    rise = (now["peak"] - now["before"]) / max(base["peak"] - base["before"], 1)
    kept = (now["end"] - now["before"]) / max(base["end"] - base["before"], 1)
    diff = float(np.abs(results["now"] - results["baseline"]).max())
    print(
        f"now / baseline: peak rise {rise:.2f}x, kept {kept:.2f}x, "
        f"time {now['seconds'] / base['seconds']:.2f}x; max |result difference| {diff:.1e}"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=60, help="clips musicnn embeds (60)")
    args = parser.parse_args(argv)
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        for title, code in (
            (f"musicnn, {args.clips} clips of 15 s", _MUSICNN),
            ("evaluation of 60 synthesised reconstructions (acoustic)", _EVALUATION),
        ):
            rows, results = {}, {}
            for config in ("baseline", "now"):
                path = os.path.join(tmp, f"{config}.npy")
                rows[config] = _run(code, config, args.clips, path)
                results[config] = np.load(path)
            _table(title, rows, results)


if __name__ == "__main__":
    main()
