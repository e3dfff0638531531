"""The ``b2m`` command line: the long steps users run outside a notebook.

``b2m simulate`` builds the simulated study; ``b2m demo`` runs the demo (as ``make demo``);
``b2m decode`` prints the identification table of one subject.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main"]


def _simulate(args) -> int:
    from b2m.datasets import make_simulated_study

    root = make_simulated_study(
        args.data_home,
        subjects=args.subjects,
        seed=args.seed,
        snr=args.snr,
        overwrite=args.overwrite,
    )
    print(root)
    return 0


def _decode(args) -> int:
    from b2m.analysis import decode_study
    from b2m.datasets import load_study

    study = load_study(
        "simulated", args.subject, data_home=args.data_home, seed=args.seed, snr=args.snr
    )
    rows = [decode_study(study, sp).summary() for sp in args.spaces]
    print(json.dumps(rows, indent=2))
    return 0


def _demo(args) -> int:
    from b2m.demo import main as demo_main

    argv = ["--out", args.out] + (["--no-notebooks"] if args.no_notebooks else [])
    return demo_main(argv + (["--data-home", args.data_home] if args.data_home else []))


def main(argv=None) -> int:
    """Entry point of the ``b2m`` command."""
    from b2m.datasets import DEFAULT_SNR

    parser = argparse.ArgumentParser(prog="b2m", description="b2m-explorer command line")
    parser.add_argument(
        "--data-home", default=None, help="data home (default $B2M_DATA or ~/b2m_data)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="build (or reuse) the simulated study")
    p.add_argument("--subjects", nargs="*", default=None, help="e.g. sub-001 sub-002 (default all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--snr", type=float, default=DEFAULT_SNR)
    p.add_argument("--overwrite", action="store_true", help="rebuild even if a valid study exists")
    p.set_defaults(func=_simulate)

    p = sub.add_parser("decode", help="decode feature spaces for one subject; print identification")
    p.add_argument("--subject", default="sub-001")
    p.add_argument("--spaces", nargs="*", default=["acoustic", "genre"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--snr", type=float, default=DEFAULT_SNR)
    p.set_defaults(func=_decode)

    p = sub.add_parser("demo", help="run the demo (as `make demo`)")
    p.add_argument("--out", default="build/demo")
    p.add_argument("--no-notebooks", action="store_true")
    p.set_defaults(func=_demo)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, NotImplementedError) as exc:
        print(f"b2m {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
