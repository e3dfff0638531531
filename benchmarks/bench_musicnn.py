"""musicnn's front-end: banded matrix products against torch's direct convolution.

The five front-end convolutions of musicnn (two "timbral" kernels of 7 frames x 38 and 67
mel bands with 204 filters, three "temporal" kernels of 128, 64 and 32 frames x 1 band with
51 filters, one input channel, each followed by a max over frequency) are timed on a batch
of log-mel patches two ways:

* **baseline**: ``torch.nn.functional.conv2d(x, w).amax(dim=3)``, what the network used
  until 2026-12;
* **banded**: :func:`b2m.features._musicnn_model._max_over_frequency` (each convolution as
  one matrix product against a banded matrix of its filters), what it uses now.

Then the whole network (``MusicnnFeatures().embed_audio`` on ``--clips`` random 15-s clips at
22.05 kHz) is timed three ways: as it runs now (banded, NumPy's OpenBLAS held to one thread
while the loop alternates log-mel products with the network,
:func:`b2m._utils._parallel.numpy_blas_beside_torch`), with the convolution patched back to
the baseline, and with OpenBLAS left on all cores (its spinning threads then compete with
torch's). Each time is the minimum of ``--repeats`` runs; ratios are measured in the same run.

Run it both ways: as a batch run does (``b2m.demo`` and the tests keep freed memory, see
:func:`b2m._utils._memory.retain_freed_memory`) and as a notebook kernel does (``--release``,
glibc's defaults, where every large temporary is mapped afresh). On a virtual machine whose
host reclaims free guest pages the second is much slower for the baseline.

Usage::

    python benchmarks/bench_musicnn.py              # ~1 min
    python benchmarks/bench_musicnn.py --release
"""

from __future__ import annotations

import argparse
import contextlib
import time


def _best(function, repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="patches per batch (default 8)")
    parser.add_argument("--clips", type=int, default=40, help="clips for the network timing")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--release", action="store_true",
                        help="keep glibc's defaults (a notebook kernel) instead of retaining memory")  # fmt: skip
    args = parser.parse_args(argv)

    if not args.release:
        from b2m._utils._memory import retain_freed_memory

        retain_freed_memory()
    import numpy as np
    import torch
    import torch.nn.functional as F

    from b2m.features import _musicnn, _musicnn_model
    from b2m.features._musicnn import MusicnnFeatures

    def baseline(x, w):
        return F.conv2d(x[:, None], w[:, None]).amax(dim=3).transpose(1, 2)

    banded = _musicnn_model._max_over_frequency
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{'glibc defaults' if args.release else 'freed memory retained'}")  # fmt: skip
    gen = torch.Generator().manual_seed(0)
    total = {"baseline": 0.0, "banded": 0.0}
    print(
        f"{'kernel':>12} {'filters':>7} {'baseline ms':>11} {'banded ms':>9} {'ratio':>6}  max rel diff"
    )
    for kt, kf, n_filters in ((7, 38, 204), (7, 67, 204), (128, 1, 51), (64, 1, 51), (32, 1, 51)):
        n_time = _musicnn_model.PATCH_FRAMES + kt - 1
        x = torch.randn(args.batch, n_time, _musicnn_model.N_MELS, generator=gen)
        w = torch.randn(n_filters, kt, kf, generator=gen)
        with torch.inference_mode():
            ref, new = baseline(x, w), banded(x, w)
            t_base = _best(lambda: baseline(x, w), args.repeats)  # noqa: B023
            t_new = _best(lambda: banded(x, w), args.repeats)  # noqa: B023
        diff = float((new - ref).abs().max() / ref.abs().max())
        total["baseline"] += t_base
        total["banded"] += t_new
        print(f"{f'{kt}x{kf}':>12} {n_filters:>7} {t_base * 1e3:11.1f} {t_new * 1e3:9.1f} "
              f"{t_base / t_new:6.2f}  {diff:.1e}")  # fmt: skip
    print(f"{'front-end':>12} {'':>7} {total['baseline'] * 1e3:11.1f} {total['banded'] * 1e3:9.1f} "
          f"{total['baseline'] / total['banded']:6.2f}")  # fmt: skip

    rng = np.random.default_rng(0)
    clips = [0.1 * rng.standard_normal(15 * 22050) for _ in range(args.clips)]
    space = MusicnnFeatures(progressbar=False)
    network = {}
    configurations = (
        ("banded", banded, _musicnn.numpy_blas_beside_torch),
        ("baseline", baseline, _musicnn.numpy_blas_beside_torch),
        ("banded, numpy BLAS on all cores", banded, contextlib.nullcontext),
    )
    for name, function, blas in configurations:
        _musicnn_model._max_over_frequency, _musicnn.numpy_blas_beside_torch = function, blas
        try:
            network[name] = _best(
                lambda: space.embed_audio(clips, 22050), max(1, args.repeats // 2)
            )
        finally:
            _musicnn_model._max_over_frequency = banded
            _musicnn.numpy_blas_beside_torch = configurations[0][2]
    print(f"embed_audio, {args.clips} clips of 15 s (ms/clip, and time / banded's):")
    for name, seconds in network.items():
        print(f"  {name:32s} {1e3 * seconds / args.clips:7.1f}  {seconds / network['banded']:5.2f}")


if __name__ == "__main__":
    main()
