"""``make demo``: build the simulated study, run the analyses and the notebooks, print the numbers.

Run as ``python -m b2m.demo --out build/demo``. Writes ``summary.json`` (headline numbers and
the wall time of each step) and the executed notebooks (``.ipynb`` and ``.html``) into the
output directory, and prints a short table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from b2m._utils._io import save_json

__all__ = ["execute_notebook", "genre_classification_accuracy", "main", "run_demo"]

NOTEBOOKS = ("00_quickstart.ipynb", "03_decoding.ipynb")


@contextmanager
def _step(timings: dict, name: str):
    print(f"[demo] {name} ...", flush=True)
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 2)
    print(f"[demo] {name}: {timings[name]:.1f} s", flush=True)


def genre_classification_accuracy(embeddings, genres, *, n_splits: int = 5, seed: int = 0) -> float:
    """Cross-validated 10-way genre accuracy of a logistic regression on embeddings.

    Parameters
    ----------
    embeddings : array of shape (n_clips, n_dims)
    genres : array of shape (n_clips,)
    n_splits : int, default 5
        Stratified folds.
    seed : int, default 0

    Returns
    -------
    float
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, embeddings, genres, cv=cv).mean())


def execute_notebook(path: Path, out_dir: Path, *, timeout: int = 900) -> Path:
    """Execute a notebook headless (nbclient) and write the executed copy and its HTML."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    nbformat.write(nb, out)
    html, _ = HTMLExporter().from_notebook_node(nb)
    out.with_suffix(".html").write_text(html)
    return out


def run_demo(
    out_dir: str | os.PathLike = "build/demo",
    *,
    data_home=None,
    subjects=None,
    spaces=("acoustic", "genre"),
    notebooks: bool = True,
) -> dict:
    """Run the whole demo and return the summary (also written to ``out_dir/summary.json``).

    Parameters
    ----------
    out_dir : path-like, default "build/demo"
    data_home : path-like, optional
        See :func:`b2m.get_data_home`.
    subjects : list of str, optional
        Default all five.
    spaces : tuple of str
        Feature spaces to decode.
    notebooks : bool, default True
        Execute the notebooks too.
    """
    from b2m.analysis import decode_study, encode_study, study_embeddings
    from b2m.datasets import SUBJECTS, load_study, make_simulated_study

    out_dir = Path(out_dir)
    subjects = list(subjects or SUBJECTS)
    timings: dict[str, float] = {}
    summary: dict = {"dataset": "simulated", "subjects": subjects, "timings_s": timings}
    with _step(timings, "simulate study"):
        root = make_simulated_study(data_home, subjects=subjects)
    summary["study_dir"] = str(root)
    studies = {s: load_study("simulated", s, data_home=data_home) for s in subjects}
    first = studies[subjects[0]]
    with _step(timings, "features"):
        embeddings = {sp: study_embeddings(first, sp) for sp in spaces}
    with _step(timings, "genre classification"):
        summary["genre_classification"] = {
            sp: genre_classification_accuracy(embeddings[sp], first.clips["genre"].to_numpy())
            for sp in spaces
            if sp != "genre"
        }
    with _step(timings, "decoding"):
        summary["decoding"] = [
            decode_study(studies[s], sp).summary() for s in subjects for sp in spaces
        ]
    with _step(timings, "encoding"):
        enc = []
        for s in subjects:
            res = encode_study(studies[s], "acoustic")
            row = res.summary()
            gains = studies[s].ground_truth["gains"]
            planted = gains.max(0) > 0.25
            row["planted_region_mean_r"] = float(res.test_r[planted].mean())
            row["outside_mean_r"] = float(res.test_r[~planted].mean())
            enc.append(row)
        summary["encoding"] = enc
    if notebooks:
        if data_home is not None:  # the notebook kernels inherit the data home
            os.environ["B2M_DATA"] = str(Path(data_home).resolve())
        nb_dir = Path(__file__).resolve().parents[1] / "notebooks"
        for name in NOTEBOOKS:
            with _step(timings, f"notebook {name}"):
                execute_notebook(nb_dir / name, out_dir)
    timings["total"] = round(sum(timings.values()), 2)
    save_json(out_dir / "summary.json", summary)
    print(format_summary(summary))
    return summary


def format_summary(summary: dict) -> str:
    """The headline numbers as a short text table."""
    import pandas as pd

    lines = ["", "== b2m-explorer demo: simulated study =="]
    dec = pd.DataFrame(summary["decoding"])
    table = dec.pivot_table(
        index="subject", columns="space", values=["identification", "top1", "top5"]
    )
    lines.append("Decoding (60 test clips; chance: identification 0.50, top-1 0.017, top-5 0.083)")
    lines.append(table.round(3).to_string())
    means = dec.groupby("space")[["identification", "top1", "top5"]].agg(["mean", "std"]).round(3)
    lines.append("\nMean ± SD over subjects\n" + means.to_string())
    for sp, acc in summary.get("genre_classification", {}).items():
        lines.append(f"\nGenre classification of the stimuli ({sp} features, 5-fold CV): {acc:.3f}")
    enc = pd.DataFrame(summary["encoding"])
    lines.append("\nEncoding (acoustic features → each vertex; test Pearson r)")
    lines.append(
        enc[
            [
                "subject",
                "best_region",
                "best_region_mean_r",
                "planted_region_mean_r",
                "outside_mean_r",
            ]
        ]
        .round(3)
        .to_string(index=False)
    )
    lines.append(
        "\nWall time (s): " + ", ".join(f"{k} {v:.1f}" for k, v in summary["timings_s"].items())
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command-line entry point of ``python -m b2m.demo``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/demo", help="output directory (default build/demo)")
    parser.add_argument(
        "--data-home", default=None, help="data home (default $B2M_DATA or ~/b2m_data)"
    )
    parser.add_argument("--subjects", nargs="*", default=None, help="subjects (default all five)")
    parser.add_argument("--no-notebooks", action="store_true", help="skip executing the notebooks")
    args = parser.parse_args(argv)
    np.seterr(all="ignore")
    run_demo(
        args.out, data_home=args.data_home, subjects=args.subjects, notebooks=not args.no_notebooks
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
