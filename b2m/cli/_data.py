"""``b2m fetch``, ``b2m simulate`` and ``b2m demo``."""

from __future__ import annotations

import os

from b2m._utils._parallel import environ_restored
from b2m.cli._common import human_size, new_parser
from b2m.config import get_data_home
from b2m.constants import DEFAULT_SNR

__all__ = ["add_data_commands"]


def _fetch(args) -> int:
    # lazy: keeps `b2m --help` fast
    from b2m.datasets import MIRROR_ENV_VAR, _fetch, fetch_ds003720

    selection = {"subjects": args.subjects, "tasks": args.tasks, "runs": args.runs}
    if args.mirror is not None and not args.mirror.startswith(("http://", "https://")):
        raise ValueError(
            f"--mirror must be an http:// or https:// URL prefix; received {args.mirror!r}."
        )
    ds = _fetch.load_manifest().dataset("ds003720")
    files = ds.files_matching(**selection, kinds=("func",) if args.no_anat else None)
    asked = " ".join(f"--{k} {' '.join(v)}" for k, v in selection.items() if v) or "--no-anat"
    if not any("task" in f.entities for f in files) and (args.tasks or args.runs or args.no_anat):
        raise ValueError(
            f"No ds003720 BOLD run matches {asked}; Test runs are 1-6 and Training runs 1-12."
        )
    if args.dry_run:
        root = get_data_home(args.data_home, create=False) / "ds003720"
        present = 0
        for entry in files:
            path = root / entry.path
            here = path.is_file() and path.stat().st_size == entry.size
            present += entry.size if here else 0
            print(f"{human_size(entry.size):>10}  {entry.path}{'  (present)' if here else ''}")
        total = sum(f.size for f in files)
        print(
            f"{len(files)} files, {human_size(total)} in all, {human_size(total - present)} to "
            f"download into {root} (dry run: nothing was downloaded)"
        )
        return 0
    with environ_restored():  # --mirror holds for this command only
        if args.mirror is not None:
            os.environ[MIRROR_ENV_VAR] = args.mirror
        root = fetch_ds003720(**selection, data_home=args.data_home, include_anat=not args.no_anat)
    print(root)
    return 0


def _simulate(args) -> int:
    # lazy: keeps `b2m --help` fast
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


def _demo(args) -> int:
    # lazy: keeps `b2m --help` fast
    from b2m.demo import main as demo_main

    argv = ["--out", args.out] + (["--no-notebooks"] if args.no_notebooks else [])
    if args.notebooks_dir:
        argv += ["--notebooks-dir", args.notebooks_dir]
    return demo_main(argv + (["--data-home", args.data_home] if args.data_home else []))


def add_data_commands(sub) -> None:
    """Register ``fetch``, ``simulate`` and ``demo``."""
    p = new_parser(
        sub,
        "fetch",
        help="download (part of) the real study, OpenNeuro ds003720, verified",
        description="""
            Download the Music Genre fMRI Dataset (OpenNeuro ds003720) into
            <data home>/ds003720 as a BIDS tree: the selected BOLD runs and T1 images, checked
            against the sizes and MD5 sums of the data manifest (46.5 GB in all; one run is
            490 MiB). Files already present and verified are skipped; an interrupted download
            leaves nothing half-written.
        """,
        examples="""
            b2m fetch --subjects 1 --tasks Test --dry-run     # list files and sizes only
            b2m fetch --subjects 1 2 --runs 1 2 --tasks Training
            b2m fetch --mirror http://lab-cache:8000/openneuro --data-home /scratch/b2m
        """,
    )
    p.add_argument("--subjects", nargs="+", default=None, help="1 … 5 or sub-001 … (default all)")
    p.add_argument("--tasks", nargs="+", default=None, help="Training and/or Test (default both)")
    p.add_argument("--runs", nargs="+", default=None, help="run numbers (default all)")
    p.add_argument("--no-anat", action="store_true", help="skip the T1-weighted images")
    p.add_argument(
        "--mirror",
        default=None,
        metavar="URL",
        help="download from <URL>/ds003720/<path> instead of OpenNeuro (sets B2M_MIRROR_URL)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="list the files and sizes; download nothing"
    )
    p.set_defaults(func=_fetch)

    p = new_parser(
        sub,
        "simulate",
        help="build (or reuse) the simulated study",
        description="""
            Build the simulated study (the real ds003720 schedule, synthetic music and
            captions, planted brain responses on fsaverage5) under
            <data home>/simulated/. Deterministic from the seed; a valid existing study is
            reused.
        """,
        examples="""
            b2m simulate                        # all five subjects
            b2m simulate --subjects sub-001 --seed 1
        """,
    )
    p.add_argument("--subjects", nargs="*", default=None, help="e.g. sub-001 sub-002 (default all)")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--snr", type=float, default=DEFAULT_SNR, help=f"default {DEFAULT_SNR}")
    p.add_argument("--overwrite", action="store_true", help="rebuild even if a valid study exists")
    p.set_defaults(func=_simulate)

    p = new_parser(
        sub,
        "demo",
        help="run the demo (as `make demo`)",
        description="""
            Build the simulated study, embed, decode and encode every subject, execute the
            notebooks headless and print the headline numbers (as `make demo`).
        """,
        examples="""
            b2m demo --out build/demo
            b2m demo --no-notebooks
        """,
    )
    p.add_argument("--out", default="build/demo", help="output folder (default build/demo)")
    p.add_argument("--no-notebooks", action="store_true", help="skip executing the notebooks")
    p.add_argument(
        "--notebooks-dir",
        default=None,
        help="folder of the numbered notebooks (default ./notebooks; they ship with the repository)",
    )
    p.set_defaults(func=_demo)
