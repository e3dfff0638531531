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

from b2m._utils._io import atomic_path, save_json
from b2m._utils._memory import retain_freed_memory
from b2m._utils._parallel import n_cores, process_map, resolve_n_jobs

__all__ = [
    "execute_notebook",
    "execute_notebooks",
    "genre_classification_accuracy",
    "main",
    "notebook_workers",
    "run_demo",
]

NOTEBOOKS = (
    "00_quickstart.ipynb",
    "01_dataset_tour.ipynb",
    "02_embeddings.ipynb",
    "03_decoding.ipynb",
    "04_reconstruction.ipynb",
    "05_encoding_maps.ipynb",
    "06_text_vs_music.ipynb",
)
#: Relative cost of each notebook (seconds measured on a 2-core machine): the longest start
#: first when they run two at a time.
NOTEBOOK_COST = dict(zip(NOTEBOOKS, (17, 4, 16, 30, 42, 21, 50), strict=True))
#: Feature spaces decoded by default: hand-made acoustic descriptors, a learned music model
#: (musicnn, whose weights ship with the package; needs torch, the [musicnn] extra), genre labels
#: and two caption spaces ("sentence-minilm" needs the [text] extra).
DEFAULT_SPACES = ("acoustic", "musicnn", "genre", "text-lsa", "sentence-minilm")
#: Audio spaces in which reconstructions are evaluated: each decoding is scored in its own space
#: and in the other one, which it never searched or decoded (no circularity).
EVALUATION_SPACES = ("acoustic", "musicnn")
#: Reconstruction backends of the demo (no weights), per decoded space: retrieval from the
#: study's training clips, and (acoustic decoding only, to bound the time spent embedding new
#: audio with musicnn) generation with the simulator's synthesiser, an oracle of the simulation.
RECONSTRUCTION_BACKENDS = {"acoustic": ("retrieval", "synth"), "musicnn": ("retrieval",)}
#: Backends that share the simulator's renderer: shown apart from retrieval and generation.
ORACLE_BACKENDS = ("synth",)


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


#: Thread pools of the numerical libraries a kernel uses (OpenMP: torch and OpenBLAS builds
#: on OpenMP; OpenBLAS's own; MKL's).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def kernel_environment(threads: int | None = None) -> dict[str, str]:
    """The environment a notebook kernel of the demo starts with.

    This process's environment, with two changes:

    * no ``MPLBACKEND``: a non-interactive backend inherited from here (e.g. Agg) would
      leave every static figure out of the executed notebooks; kernels draw inline, as
      for a user;
    * with ``threads``, each numerical thread pool (:data:`THREAD_VARIABLES`) is capped at
      that many threads, unless this environment already sets any of them (then they are
      left as they are). Kernels that run side by side must share the cores: two kernels
      each running two OpenMP/BLAS threads on two cores spin in each other's way, and
      notebooks 04 and 06 together took 91 s that way against 45 s with one thread each.

    Parameters
    ----------
    threads : int, optional
        Threads per kernel.

    Returns
    -------
    dict of str to str
    """
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if threads is not None and not any(v in env for v in THREAD_VARIABLES):
        env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    return env


def execute_notebook(
    path: Path, out_dir: Path, *, timeout: int = 900, threads: int | None = None
) -> Path:
    """Execute a notebook headless (nbclient) and write the executed copy and its HTML.

    Parameters
    ----------
    path : path-like
        The notebook.
    out_dir : path-like
        Where the executed copy (same name) and its HTML go (each written atomically).
    timeout : int, default 900
        Per cell, in seconds.
    threads : int, optional
        Threads of each numerical library in the kernel (see :func:`kernel_environment`):
        set it when several kernels run at once.

    Returns
    -------
    pathlib.Path
        The executed copy.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises (nothing is written then).
    """
    return _execute(Path(path), Path(out_dir), timeout, kernel_environment(threads))


def _execute(path: Path, out_dir: Path, timeout: int, env: dict[str, str]) -> Path:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # No widget state: offline, without a kernel, no widget manager could draw it; every
        # widget leaves a static figure beside it, which is what a reader of the copy or its
        # HTML sees (and the copy stays ~0.5 MB).
        store_widget_state=False,
    ).execute(env=env)  # the kernel's whole environment (kernel_environment)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    with atomic_path(out) as tmp:
        nbformat.write(nb, tmp)
    # Offline HTML: no require.js or MathJax from a public CDN (the page must open without
    # a network; TeX then shows as typed).
    html, _ = HTMLExporter(mathjax_url="", require_js_url="").from_notebook_node(nb)
    with atomic_path(out.with_suffix(".html")) as tmp:
        tmp.write_text(html)
    return out


def notebook_workers(workers: int | None = None) -> tuple[int, int | None]:
    """Kernels to run at once, and the numerical threads each gets.

    Parameters
    ----------
    workers : int, optional
        Kernels at once; default ``min(2, cores)`` (on 2 cores the kernels' single-threaded
        work overlaps; more would only compete).

    Returns
    -------
    workers : int
    threads : int or None
        ``cores // workers`` (at least one) when several kernels share the cores; None (the
        libraries' own defaults) for one (see :func:`kernel_environment`).

    Raises
    ------
    ValueError
        If ``workers`` is not a positive integer.
    """
    if workers is None:
        workers = max(1, min(2, n_cores()))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer; received {workers!r}.")
    return workers, (max(1, n_cores() // workers) if workers > 1 else None)


def execute_notebooks(
    paths, out_dir: Path, *, workers: int | None = None, timeout: int = 900
) -> dict[str, float]:
    """Execute notebooks, several at a time (each in its own kernel process).

    Parameters
    ----------
    paths : sequence of path-like
        Notebooks, longest first for the best packing (they are started in this order).
    out_dir : path-like
        Where the executed copies and their HTML go (see :func:`execute_notebook`).
    workers : int, optional
        Notebooks run at once; default ``min(2, cores)`` (on 2 cores the kernels'
        single-threaded work overlaps; more would only compete). Each kernel's numerical
        libraries get ``cores // workers`` threads (at least one; see
        :func:`kernel_environment`).
    timeout : int, default 900
        Per cell, in seconds.

    Returns
    -------
    dict of str to float
        Wall time of each notebook in seconds, by file name.

    Raises
    ------
    Exception
        The first notebook's error (the others still finish).
    """
    from concurrent.futures import ThreadPoolExecutor

    paths = [Path(p) for p in paths]
    workers, threads = notebook_workers(workers)

    def run(path: Path) -> float:
        t0 = time.perf_counter()
        execute_notebook(path, out_dir, timeout=timeout, threads=threads)
        seconds = round(time.perf_counter() - t0, 2)
        print(f"[demo] notebook {path.name}: {seconds:.1f} s", flush=True)
        return seconds

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, p) for p in paths]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return {p.name: f.result() for p, f in zip(paths, futures, strict=True)}


def find_notebooks(notebooks_dir=None) -> Path:
    """The folder holding the numbered notebooks the demo executes.

    The notebooks live in the repository, not in the installed package: ``notebooks_dir``
    if given, else ``$B2M_NOTEBOOKS``, else ``notebooks/`` in the current directory (``make
    demo`` runs from the repository root), else the one beside an editable install.

    Raises
    ------
    FileNotFoundError
        If the chosen folder lacks a notebook; the message says how to point at them.
    """
    if notebooks_dir is not None:
        candidates = [Path(notebooks_dir)]
    elif os.environ.get("B2M_NOTEBOOKS"):
        candidates = [Path(os.environ["B2M_NOTEBOOKS"])]
    else:
        candidates = [Path.cwd() / "notebooks", Path(__file__).resolve().parents[1] / "notebooks"]
    for folder in candidates:
        if all((folder / name).is_file() for name in NOTEBOOKS):
            return folder
    raise FileNotFoundError(
        f"notebooks_dir: no folder with the demo's notebooks ({', '.join(NOTEBOOKS[:2])}, ...); "
        f"looked in {[str(c) for c in candidates]}. The notebooks ship with the repository, "
        "not the package: run from a checkout, pass --notebooks-dir DIR (or set "
        "B2M_NOTEBOOKS), or use --no-notebooks."
    )


def run_demo(
    out_dir: str | os.PathLike = "build/demo",
    *,
    data_home=None,
    subjects=None,
    spaces=DEFAULT_SPACES,
    notebooks: bool = True,
    notebooks_dir: str | os.PathLike | None = None,
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
        Feature spaces to decode (those whose extra is not installed are skipped, with a
        message).
    notebooks : bool, default True
        Execute the notebooks too.
    notebooks_dir : path-like, optional
        Where the numbered notebooks are (see :func:`find_notebooks`).

    Notes
    -----
    A batch run: from here on this process, and the notebook kernels it starts, keep the
    memory they free for reuse instead of returning it to the system
    (:func:`b2m._utils._memory.retain_freed_memory`; glibc only). On a virtual machine whose
    host reclaims free pages this roughly halves the time of the text-vs-music step.
    """
    retain_freed_memory()
    # lazy: keeps `import b2m.demo` light (pulls pandas, scipy, sklearn)
    from b2m.analysis import (
        combine_text_music,
        compare_text_music,
        decoded_tags,
        decoding_records,
        decoding_table,
        encode_study,
        study_embeddings,
    )
    from b2m.datasets import SUBJECTS, load_study, make_simulated_study
    from b2m.features import available_spaces, get_feature_space

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
        spaces = available_spaces(spaces, report=lambda m: print(f"[demo] {m}", flush=True))
        embeddings = {sp: study_embeddings(first, sp) for sp in spaces}
    summary["spaces"] = spaces
    with _step(timings, "genre classification"):
        # Stimulus features only: captions name the genre, so text spaces would be trivial.
        summary["genre_classification"] = {
            sp: genre_classification_accuracy(embeddings[sp], first.clips["genre"].to_numpy())
            for sp in spaces
            if get_feature_space(sp).modality == "audio"
        }
    with _step(timings, "decoding"):
        table, fits = decoding_table(
            [studies[s] for s in subjects], spaces, n_permutations=200, return_results=True
        )
        summary["decoding"] = decoding_records(table)
    if "musicnn" in spaces:
        with _step(timings, "decoded tags"):
            summary["decoded_tags"] = [
                decoded_tags(fits[(s, "musicnn", None)]).summary(n_permutations=1000)
                for s in subjects
            ]
    decoded_spaces = [sp for sp in EVALUATION_SPACES if sp in spaces]
    if decoded_spaces:
        with _step(timings, "reconstruction"):
            summary["reconstruction"] = _reconstruction_rows(studies, fits, decoded_spaces)
    with _step(timings, "encoding"):
        enc = []
        for s in subjects:
            res = encode_study(studies[s], "acoustic")
            row = res.summary()
            planted = studies[s].ground_truth.region()  # any component, PLANTED_THRESHOLD
            row["planted_region_mean_r"] = float(res.test_r[planted].mean())
            row["outside_mean_r"] = float(res.test_r[~planted].mean())
            enc.append(row)
        summary["encoding"] = enc
    if "text-lsa" in spaces:
        with _step(timings, "text vs music"):
            tvm = [compare_text_music(studies[s], "acoustic", "text-lsa") for s in subjects]
            summary["text_vs_music"] = [r.summary() for r in tvm]
            if len(tvm) > 1:  # one group map on fsaverage5 (means, Stouffer-combined p-values)
                gains = first.ground_truth["canonical_gains"]
                summary["text_vs_music"].append(combine_text_music(tvm, gains=gains).summary())
    if notebooks:
        if data_home is not None:  # the notebook kernels inherit the data home
            os.environ["B2M_DATA"] = str(Path(data_home).resolve())
        nb_dir = find_notebooks(notebooks_dir)
        with _step(timings, f"notebooks ({len(NOTEBOOKS)}, two at a time)"):
            order = sorted(NOTEBOOKS, key=NOTEBOOK_COST.get, reverse=True)
            summary["notebook_times_s"] = execute_notebooks([nb_dir / n for n in order], out_dir)
    timings["total"] = round(sum(timings.values()), 2)
    save_json(out_dir / "summary.json", summary)
    print(format_summary(summary))
    return summary


def _reconstruction_rows(
    studies: dict, fits: dict, decoded_spaces, *, backends=None, n_jobs: int | None = None
) -> list[dict]:
    """Reconstruct every subject's 60 test clips from each decoding; evaluate in each space.

    A decoding is evaluated in its own space (as Brain2Music did, with the decoded embedding
    as the upper reference) and in every other evaluation space, which the retrieval never
    searched and the decoder never fitted: an independent check.

    Subjects are independent: with more than one job they run in worker processes, two
    subjects at a time on two cores, each with one BLAS and torch thread. Much of a
    subject's work is single-threaded (rendering the generated clips, reading audio, the
    neighbourhood Fréchet fits), so one subject at a time leaves a core idle a third of the
    time. The rows are the same either way, in subject order.

    ``backends``: per decoded space, the reconstruction backends (default
    :data:`RECONSTRUCTION_BACKENDS`).
    """
    backends = RECONSTRUCTION_BACKENDS if backends is None else backends
    jobs = [
        (study, {space: fits[(subject, space, None)] for space in decoded_spaces}, decoded_spaces,
         backends)
        for subject, study in studies.items()
    ]  # fmt: skip
    parts = process_map(
        _subject_reconstruction_rows, jobs, resolve_n_jobs(n_jobs), desc="Reconstructing subjects"
    )
    return [row for part in parts for row in part]


def _subject_reconstruction_rows(job) -> list[dict]:
    """One subject's rows of :func:`_reconstruction_rows`: ``job`` is ``(study, decodings by
    space, decoded_spaces, backends)``."""
    # lazy: keeps `import b2m.demo` light (pulls pandas, scipy, sklearn)
    from b2m.reconstruction import evaluate_reconstructions, reconstruct_study

    study, decodings, decoded_spaces, backends = job
    rows = []
    for decoded_space in decoded_spaces:
        decoding = decodings[decoded_space]
        recs = reconstruct_study(study, decoding, backends[decoded_space])
        # read (synth: rendered) once for every evaluation space, not once per space
        recs = {b: [[r.in_memory() for r in row] for row in rs] for b, rs in recs.items()}
        for space in decoded_spaces:
            own = space == decoded_space
            evaluation = evaluate_reconstructions(
                recs, study, space, decoded=decoding if own else None
            )
            for row in evaluation.to_records():
                rows.append({"decoded_space": decoded_space, "evaluation_space": space} | row)
    return rows


def format_summary(summary: dict) -> str:
    """The headline numbers as a short text table."""
    import pandas as pd

    lines = ["", "== b2m-explorer demo: simulated study =="]
    dec = pd.DataFrame(summary["decoding"])
    table = dec.pivot_table(index="subject", columns="space", values="identification", sort=False)
    lines.append(
        "Identification accuracy (60 test clips; chance 0.5, permutation 95% band in summary.json)"
    )
    lines.append(table.round(3).to_string())
    cols = ["identification", "top1", "top5", "chance_low", "chance_high"]
    means = dec.groupby("space", sort=False)[cols].mean().round(3)
    sds = dec.groupby("space", sort=False)["identification"].std().round(3)
    means.insert(1, "identification_sd", sds)
    lines.append(
        "\nMean over subjects (top-1/top-5 among 60; chance 0.017/0.083)\n" + means.to_string()
    )
    if summary.get("decoded_tags"):
        tags = pd.DataFrame(summary["decoded_tags"]).set_index("subject")
        cols = ["mean_tag_auc", "tag_auc_chance_high", "n_tags_above_chance", "n_tags_tested"]
        cols += ["tag_precision", "tag_precision_chance_high"]
        k = int(tags["k"].iloc[0])
        lines.append(
            f"\nDecoded musicnn tags (the 200-d embedding decoded, then musicnn's last layer; per tag, "
            f"AUC over the 60 test clips\nfor the clips whose own top-{k} tags include it, chance 0.5; "
            f"precision: share of a clip's {k} decoded tags among its own {k};\n_chance_high: 97.5th "
            "percentile of 1000 permutations)"
        )
        lines.append(tags[cols].round(3).to_string())
    if summary.get("reconstruction"):
        rec = pd.DataFrame(summary["reconstruction"])
        if "decoded_space" not in rec:
            rec = rec.assign(decoded_space=rec["space"], evaluation_space=rec["space"])
        order = list(dict.fromkeys(rec["backend"]))
        first = rec[(rec["decoded_space"] == rec["decoded_space"].iloc[0])]
        first = first[first["evaluation_space"] == first["decoded_space"]]
        cols = ["identification", "top1", "top5", "genre_agreement"]
        cols += ["frechet", "frechet_low", "frechet_high"]
        table = first.groupby("backend", sort=False)[[c for c in cols if c in first]].mean()
        table = table.reindex(order)
        oracle = [b for b in order if b in ORACLE_BACKENDS]
        lines.append(
            f"\nReconstruction from the {first['decoded_space'].iloc[0]} decoding, evaluated in "
            "the same space, mean over subjects (60 test clips;\nidentification chance 0.5, "
            "top-1/top-5 among 60 chance 0.017/0.083, genre agreement chance 0.1; Fréchet "
            "distance of the set\nto the stimuli in 16 principal axes of the training clips, "
            "lower is closer, with a bootstrap interval; retrieval searches\nthe 480 training "
            "clips; 'decoded' is the decoded embedding itself (upper reference), 'random "
            "training clip' chance)"
        )
        lines.append(table.drop(index=oracle).round(3).to_string())
        if oracle:
            lines.append(
                "\nOracle, possible only on simulated data (the synthesiser renders with the "
                "simulator's own music grammar\nfrom attributes read out of the embedding; "
                "not comparable with retrieval or a neural generator)"
            )
            lines.append(table.loc[oracle].round(3).to_string())
        means = rec.pivot_table(
            index=["decoded_space", "evaluation_space"],
            columns="backend",
            values="identification",
            sort=False,
        ).reindex(columns=[b for b in order if b not in ORACLE_BACKENDS])
        lines.append(
            "\nReconstruction identification, mean over subjects: decoded in one space, evaluated "
            "in each (rows where the two\ndiffer are independent of the space the decoder fitted "
            "and the retrieval searched; 'decoded' exists only in its own space)"
        )
        lines.append(means.round(3).to_string())
    for sp, acc in summary.get("genre_classification", {}).items():
        lines.append(f"\nGenre classification of the stimuli ({sp} features, 5-fold CV): {acc:.3f}")
    enc = pd.DataFrame(summary["encoding"])
    lines.append(
        "\nEncoding (acoustic features → each vertex; test Pearson r; FDR q < 0.05; best region "
        "chosen on training cross-validation)"
    )
    cols = ["subject", "best_region", "best_region_mean_r", "n_significant"]
    cols += ["planted_region_mean_r", "outside_mean_r"]
    lines.append(enc[[c for c in cols if c in enc]].round(3).to_string(index=False))
    if summary.get("text_vs_music"):
        tvm = pd.DataFrame(summary["text_vs_music"])
        keep = ["subject", "dice_music_vs_text", "dice_planted_vertex_union"]
        keep += ["dice_planted_region_union"]
        keep += [f"dice_planted_region_dominant_{p}" for p in ("unique_music", "unique_text")]
        keep += ["dice_planted_region_dominant_shared"]
        table = tvm[[c for c in keep if c in tvm]].rename(
            columns=lambda c: c.replace("dice_planted_", "").replace("dice_", "")
        )
        lines.append(
            "\nText vs music (acoustic vs text-lsa): Dice of the significant maps with each other "
            "and with the planted regions\n(vertex/region level; 'dominant X': regions where "
            "partition X is the largest vs where its planted component is)"
        )
        lines.append(table.round(3).to_string(index=False))
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
    parser.add_argument(
        "--notebooks-dir", default=None, help="the notebooks' folder (default ./notebooks)"
    )
    args = parser.parse_args(argv)
    np.seterr(all="ignore")
    if not args.no_notebooks:
        find_notebooks(args.notebooks_dir)  # fail before minutes of computation, not after
    run_demo(
        args.out,
        data_home=args.data_home,
        subjects=args.subjects,
        notebooks=not args.no_notebooks,
        notebooks_dir=args.notebooks_dir,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
