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
* **decoding** — :func:`b2m.analysis.decode_study` of the acoustic space from one subject's
  20,484 vertices (the quickstart's heaviest step). Baseline: ``b2m`` as it was at
  ``--baseline-rev`` (default ``2ee1ade``, before wide designs were decomposed through the
  Gram matrix of their rows), extracted from git into a temporary folder. The decoded test
  embeddings are compared. Needs the simulated study, and this script run from a git
  checkout.
* **retention** — one subject's :func:`b2m.analysis.compare_text_music` (acoustic vs
  text-lsa, 1000 permutations). Baseline: glibc's defaults (large buffers ``mmap``-ed and
  returned to the system when freed). Now: :func:`b2m._utils._memory.retain_freed_memory`
  first, as the demo and the test suite do. The union model's R² maps are compared. Needs
  the simulated study.

Every worker starts without ``GLIBC_TUNABLES``, so that no configuration inherits the
retention of a demo or test run that started this script.

Numbers depend on the machine and its load; this is a benchmark, not a test.

Usage::

    python benchmarks/bench_memory.py                # 60 clips
    python benchmarks/bench_memory.py --clips 180
    python benchmarks/bench_memory.py --sections decoding
    python benchmarks/bench_memory.py --sections retention
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

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

_DECODING = r"""
path = sys.argv[3]
from b2m.analysis import decode_study
from b2m.datasets import load_study

study = load_study("simulated", "sub-001")
result = report(lambda: decode_study(study, "acoustic"))
np.save(path, result.decoded)
"""


_RETENTION = r"""
config, path = sys.argv[1], sys.argv[3]
from b2m._utils._memory import retain_freed_memory

if config == "now":
    assert retain_freed_memory()
from b2m.analysis import compare_text_music
from b2m.datasets import load_study

study = load_study("simulated", "sub-001")
result = report(lambda: compare_text_music(study, "acoustic", "text-lsa"))
np.save(path, result.r2["union"])
"""


def _run(code: str, config: str, n: int, path: str, src: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    if src is not None:
        env["PYTHONPATH"] = src
    # From the result's folder: a `-c` worker imports from its working folder first.
    cwd = os.path.dirname(path)
    return run_json_worker(["-c", _PRELUDE + code, config, str(n), path], config, env, cwd)


def _old_tree(rev: str, tmp: str) -> str:
    """The ``b2m`` package at git revision ``rev``, extracted under ``tmp``; its folder."""
    root = Path(__file__).resolve().parents[1]
    archive = os.path.join(tmp, "old.tar")
    with open(archive, "wb") as fh:
        subprocess.run(["git", "-C", str(root), "archive", rev, "b2m"], stdout=fh, check=True)
    out = os.path.join(tmp, "old")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return out


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


SECTIONS = ("musicnn", "evaluation", "decoding", "retention")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=60, help="clips musicnn embeds (60)")
    parser.add_argument(
        "--baseline-rev", default="2ee1ade", help="git revision of the decoding baseline"
    )
    parser.add_argument(
        "--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="what to run"
    )
    args = parser.parse_args(argv)
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        # the baseline tree only when its section runs (it needs a git checkout)
        old = _old_tree(args.baseline_rev, tmp) if "decoding" in args.sections else None
        sections = {
            "musicnn": (f"musicnn, {args.clips} clips of 15 s", _MUSICNN, None),
            "evaluation": (
                "evaluation of 60 synthesised reconstructions (acoustic)",
                _EVALUATION,
                None,
            ),
            "decoding": (
                f"decoding (acoustic), baseline b2m at {args.baseline_rev}",
                _DECODING,
                old,
            ),
            "retention": (
                "one subject's text vs music, glibc's defaults vs retained memory",
                _RETENTION,
                None,
            ),
        }
        for title, code, baseline_src in (sections[k] for k in args.sections):
            rows, results = {}, {}
            for config in ("baseline", "now"):
                path = os.path.join(tmp, f"{config}.npy")
                src = baseline_src if config == "baseline" else None
                rows[config] = _run(code, config, args.clips, path, src)
                results[config] = np.load(path)
            _table(title, rows, results)


if __name__ == "__main__":
    main()
