"""Helpers shared by the ``b2m`` subcommands: common options, loading a study, formatting."""

from __future__ import annotations

import argparse
import textwrap

from b2m.constants import DEFAULT_SNR

__all__ = [
    "REAL_DATA_OPTIONS",
    "add_common_options",
    "add_study_options",
    "check_space",
    "human_size",
    "load_study_from_args",
    "markdown_table",
    "new_parser",
]

#: Options passed to :func:`b2m.datasets.load_study` for ``--dataset ds003720`` only.
REAL_DATA_OPTIONS = ("bids_root", "derivatives", "gtzan_dir", "captions")


def new_parser(sub, name: str, *, help: str, description: str, examples: str):
    """Add a subcommand whose ``--help`` shows a description and examples."""
    parser = sub.add_parser(
        name,
        help=help,
        description=textwrap.dedent(description).strip(),
        epilog="examples:\n" + textwrap.indent(textwrap.dedent(examples).strip(), "  "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(parser, suppress=True)
    return parser


def add_common_options(parser, *, suppress: bool = False) -> None:
    """``--data-home`` and ``--debug``, accepted before or after the subcommand."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--data-home",
        default=default,
        metavar="DIR",
        help="data home (default: $B2M_DATA, else ~/b2m_data)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="show the full traceback of an error",
    )


def add_study_options(parser, *, subject: bool = True) -> None:
    """``--dataset``, ``--subject``, the simulated study's and the real data's options."""
    group = parser.add_argument_group("study")
    group.add_argument(
        "--dataset",
        default="simulated",
        help="'simulated' (default; built locally) or 'ds003720' (the real data)",
    )
    if subject:
        group.add_argument(
            "--subject", default="sub-001", help="sub-001 … sub-005 or 1 … 5 (default sub-001)"
        )
    group.add_argument("--seed", type=int, default=0, help="simulated study: seed (default 0)")
    group.add_argument(
        "--snr",
        type=float,
        default=DEFAULT_SNR,
        help=f"simulated study: SNR (default {DEFAULT_SNR})",
    )
    real = parser.add_argument_group("real data (--dataset ds003720 only)")
    real.add_argument(
        "--bids-root",
        default=None,
        metavar="DIR",
        help="the BIDS tree of ds003720 (default <data home>/ds003720)",
    )
    real.add_argument(
        "--derivatives",
        default=None,
        metavar="KIND",
        help="which runs to read: raw (default; native voxels), fmriprep-fsaverage5 or "
        "fmriprep-mni (fMRIPrep outputs in <bids-root>/derivatives/fmriprep; fsaverage5 surface)",
    )
    real.add_argument(
        "--gtzan-dir",
        default=None,
        metavar="DIR",
        help="your copy of GTZAN (default $B2M_GTZAN, else <data home>/gtzan if present)",
    )
    real.add_argument(
        "--captions",
        default=None,
        metavar="PATH",
        help="the clips' captions (default: the file in <data home>/brain2music_captions/ "
        "if present)",
    )


def check_space(name: str):
    """Build the feature space ``--space`` names; an unknown name is an error naming --space."""
    # lazy: keeps `b2m --help` fast
    from b2m.features import resolve_feature_space

    return resolve_feature_space(name, param="--space")


def load_study_from_args(args, subject: str | None = None):
    """Load the study the options name (``--dataset``, ``--subject``, …)."""
    # lazy: keeps `b2m --help` fast
    from b2m.datasets import load_study

    subject = args.subject if subject is None else subject
    if isinstance(subject, str) and subject.isdigit():
        subject = int(subject)
    real = {k: getattr(args, k) for k in REAL_DATA_OPTIONS if getattr(args, k, None) is not None}
    if args.dataset != "ds003720":
        if real:
            flag = "--" + next(iter(real)).replace("_", "-")
            raise ValueError(
                f"{flag} applies to --dataset ds003720 only; received --dataset {args.dataset!r}."
            )
        if args.dataset == "simulated":
            return load_study(
                "simulated", subject, data_home=args.data_home, seed=args.seed, snr=args.snr
            )
    return load_study(args.dataset, subject, data_home=args.data_home, **real)


def human_size(n_bytes: int) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def markdown_table(frame, *, floatfmt: str = ".3f") -> str:
    """A pandas DataFrame as a GitHub-flavoured Markdown table (index included when named)."""
    import pandas as pd

    if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()

    def cell(value) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else format(value, floatfmt)
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = [cell(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)
