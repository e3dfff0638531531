"""``b2m report``: tabulate the results saved by ``b2m fit``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from b2m.cli._common import markdown_table, new_parser
from b2m.config import get_data_home

__all__ = ["add_report_command", "load_results"]

_DECODE_COLUMNS = ["identification", "top1", "top5", "chance_low", "chance_high"]
_ENCODE_COLUMNS = ["best_region", "best_region_mean_r", "n_significant", "cortex_mean_r"]


def load_results(results_dir) -> list[dict]:
    """Every ``params.json`` written by ``b2m fit`` under a folder (recursively).

    Files that are not fit results (no ``kind``/``summary``) or unreadable are skipped with a
    note on stderr.

    Raises
    ------
    FileNotFoundError
        If ``results_dir`` is not a folder or holds no result.
    """
    root = Path(results_dir).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"RESULTS_DIR must be a folder of results written by `b2m fit`; received "
            f"{str(root)!r}, which {'is a file' if root.exists() else 'does not exist'}."
        )
    records = []
    for path in sorted(root.rglob("params.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            print(f"b2m report: skipping unreadable {path}: {exc}", file=sys.stderr)
            continue
        if not isinstance(record, dict) or record.get("kind") not in ("decode", "encode"):
            continue
        if not isinstance(record.get("summary"), dict):
            continue
        record["path"] = str(path.parent)
        records.append(record)
    if not records:
        raise FileNotFoundError(
            f"RESULTS_DIR holds no fit results (params.json written by `b2m fit`) under "
            f"{str(root)!r}; run `b2m fit` first."
        )
    return records


def _frames(records: list[dict]):
    import pandas as pd

    def rows(kind):
        out = []
        for rec in records:
            if rec["kind"] == kind:
                out.append({"dataset": rec.get("dataset"), **rec["summary"]})
        return pd.DataFrame(out)

    frames = {}
    dec = rows("decode")
    if len(dec):
        several = dec["dataset"].nunique() > 1
        index = ["dataset", "subject"] if several else "subject"
        frames["identification"] = dec.pivot_table(
            index=index, columns="space", values="identification", sort=True
        )
        cols = ["dataset", "subject", "space"] + [c for c in _DECODE_COLUMNS if c in dec]
        frames["decoding"] = dec[cols].sort_values(["dataset", "subject", "space"])
    enc = rows("encode")
    if len(enc):
        cols = ["dataset", "subject", "space"] + [c for c in _ENCODE_COLUMNS if c in enc]
        frames["encoding"] = enc[cols].sort_values(["dataset", "subject", "space"])
        regions = []
        for _, row in enc.iterrows():
            for reg in row.get("regions") or []:
                regions.append(
                    {
                        "region": reg["region"],
                        "fit": f"{row['subject']} {row['space']}",
                        "mean_r": reg["mean_r"],
                    }
                )
        if regions:
            table = pd.DataFrame(regions).pivot_table(
                index="region", columns="fit", values="mean_r", sort=False
            )
            frames["regions"] = table.loc[table.mean(axis=1).sort_values(ascending=False).index]
    return frames


_TITLES = {
    "identification": "Identification accuracy (test clips; chance 0.5): subject × space",
    "decoding": "Decoding (identification, top-1/top-5, permutation chance band)",
    "encoding": "Encoding (test Pearson r; best region, significant vertices)",
    "regions": "Encoding: mean test r per region",
}


def format_report(records: list[dict], fmt: str = "table") -> str:
    """The saved results as text tables, Markdown or JSON."""
    frames = _frames(records)
    if fmt == "json":
        out = {}
        for name, frame in frames.items():
            flat = frame.reset_index() if name in ("identification", "regions") else frame
            out[name] = json.loads(flat.to_json(orient="records"))
        return json.dumps(out, indent=2)
    parts = []
    for name, frame in frames.items():
        if fmt == "markdown":
            parts.append(f"### {_TITLES[name]}\n\n{markdown_table(frame.round(3))}")
        else:
            body = frame.to_string(
                index=name in ("identification", "regions"), float_format=lambda v: f"{v:.3f}"
            )
            parts.append(f"{_TITLES[name]}\n{body}")
    return "\n\n".join(parts)


def _report(args) -> int:
    results_dir = args.results_dir
    if results_dir is None:
        results_dir = get_data_home(args.data_home, create=False) / "results"
    print(format_report(load_results(results_dir), args.format))
    return 0


def add_report_command(sub) -> None:
    """Register ``report``."""
    p = new_parser(
        sub,
        "report",
        help="tabulate the results saved by `b2m fit`",
        description="""
            Read every result saved by `b2m fit` under RESULTS_DIR (default <data
            home>/results) and print the subject × feature-space identification table, the
            decoding details, the encoding summaries and the mean test r per region.
        """,
        examples="""
            b2m report
            b2m report ~/b2m_data/results/simulated --format markdown > results.md
            b2m report --format json | jq .identification
        """,
    )
    p.add_argument("results_dir", nargs="?", default=None, metavar="RESULTS_DIR")
    p.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="default table"
    )
    p.set_defaults(func=_report)
