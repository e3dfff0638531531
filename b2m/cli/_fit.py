"""``b2m fit`` (decode or encode one subject, save the result) and ``b2m decode``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import b2m
from b2m.cli._common import add_study_options, check_space, load_study_from_args, new_parser
from b2m.config import get_data_home

__all__ = ["RESULT_FILES", "add_fit_commands", "default_results_dir", "save_fit"]

#: Files of a saved fit; ``params.json`` is written last and marks a complete result.
RESULT_FILES = ("arrays.npz", "table.csv", "params.json")


def default_results_dir(data_home, dataset: str, subject: str, kind: str, space: str) -> Path:
    """``<data home>/results/<dataset>/<subject>/<kind>-<space>``."""
    return (
        get_data_home(data_home, create=False) / "results" / dataset / subject / f"{kind}-{space}"
    )


def _decode_arrays(result) -> dict:
    import numpy as np

    ident = result.identification
    arrays = {
        "decoded": result.decoded,
        "true": result.true,
        "test_ids": np.asarray(result.test_ids, dtype=str),
        "test_genres": np.asarray(result.test_genres, dtype=str),
        "accuracy": ident.accuracy,
        "rank": ident.rank,
        "correlations": ident.correlations,
        "dimension_r": result.dimension_r.to_numpy(),
        "dimension_names": np.asarray(result.dimension_r.index, dtype=str),
        "alphas": np.asarray(result.decoder.ridge_.alpha_),
    }
    if result.voxels is not None:
        arrays["voxels"] = result.voxels
    return arrays


def _encode_arrays(result) -> dict:
    import numpy as np

    return {
        "test_r": result.test_r,
        "test_r2": result.test_r2,
        "normalised_r": result.normalised_r,
        "max_r": np.asarray(result.noise_ceiling.max_r),
        "pvalues": result.pvalues,
        "qvalues": result.qvalues,
        "significant": result.significant,
        "alphas": np.asarray(result.encoder.ridge_.alpha_),
    }


def save_fit(out, kind: str, result, params: dict) -> Path:
    """Save a decoding or encoding result in ``out``: arrays, table and parameters.

    Parameters
    ----------
    out : str or path-like
        Folder (created).
    kind : {"decode", "encode"}
    result : DecodingResult or EncodingResult
    params : dict
        How the result was made (JSON-ready); ``kind``, ``summary`` and the file names are
        added.

    Returns
    -------
    pathlib.Path
        ``out``. Each file is written atomically and ``params.json`` last; a previous
        ``params.json`` is removed first.
    """
    # lazy: pulls numpy into `import b2m.cli`
    from b2m._utils._io import atomic_path, save_json, save_npz

    out = Path(out)
    # params.json marks a complete result: drop an old one first, so that an interrupted
    # rewrite leaves no folder that mixes two fits.
    (out / "params.json").unlink(missing_ok=True)
    arrays = _decode_arrays(result) if kind == "decode" else _encode_arrays(result)
    save_npz(out / "arrays.npz", **arrays)
    with atomic_path(out / "table.csv") as tmp:
        result.to_frame().to_csv(tmp, index=False)
    summary = result.summary()
    if kind == "decode":
        summary.update(result.chance_band(n_permutations=100, seed=0))
    else:
        regions = result.to_frame()
        summary["regions"] = [
            {"region": str(row["region"]), "mean_r": _float(row["mean r"])}
            for _, row in regions.iterrows()
        ]
    record = {"kind": kind, **params, "summary": summary, "files": list(RESULT_FILES)}
    save_json(out / "params.json", record, default=_json_default)
    return out


def _float(x):
    x = float(x)
    return x if x == x and abs(x) != float("inf") else None


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _headline(kind: str, summary: dict) -> str:
    who = f"{summary['subject']} · {summary['space']} · {kind}"
    if kind == "decode":
        return (
            f"{who}: identification accuracy {summary['identification']:.3f} "
            f"(chance 0.5, permutation band {summary['chance_low']:.3f}–"
            f"{summary['chance_high']:.3f}); top-1 {summary['top1']:.3f}, top-5 "
            f"{summary['top5']:.3f} among {summary['n_test']} test clips"
        )
    lines = [
        f"{who}: best region {summary['best_region']} (mean test r "
        f"{summary['best_region_mean_r']:.3f}); {summary['n_significant']} vertices significant "
        f"(FDR q < {summary['fdr_alpha']:g}, {summary['n_permutations']} permutations)",
        "best regions (mean test r):",
    ]
    best = [r for r in summary["regions"] if r["region"] != "whole cortex"][:3]
    lines += [f"  {r['region']}: {r['mean_r']:.3f}" for r in best if r["mean_r"] is not None]
    return "\n".join(lines)


def _check_alphas(alphas):
    if alphas is None:
        return None
    bad = [a for a in alphas if not (a > 0 and a < float("inf"))]
    if bad:
        raise ValueError(f"--alphas must be positive numbers; received {bad[0]!r}.")
    return sorted(alphas)


def _fit(args) -> int:
    # lazy: keeps `b2m --help` fast
    from b2m.analysis import decode_study, encode_study

    check_space(args.space)  # an unknown space fails before the study loads
    alphas = _check_alphas(args.alphas)
    if args.kind == "encode" and args.n_voxels is not None:
        raise ValueError("--n-voxels applies to --kind decode only.")
    study = load_study_from_args(args)
    started = time.perf_counter()
    if args.kind == "decode":
        result = decode_study(
            study, args.space, alphas=alphas, n_splits=args.n_splits, n_voxels=args.n_voxels
        )
    else:
        result = encode_study(
            study,
            args.space,
            alphas=alphas,
            n_splits=args.n_splits,
            n_permutations=args.n_permutations,
            alpha=args.fdr,
        )
    elapsed = time.perf_counter() - started
    out = args.out or default_results_dir(
        args.data_home, study.dataset, study.subject, args.kind, args.space
    )
    params = {
        "dataset": study.dataset,
        "subject": study.subject,
        "space": args.space,
        "study_key": study.key,
        "seed": args.seed if study.dataset == "simulated" else None,
        "snr": args.snr if study.dataset == "simulated" else None,
        "alphas": alphas,
        "n_splits": args.n_splits,
        "n_voxels": args.n_voxels,
        "n_permutations": args.n_permutations if args.kind == "encode" else None,
        "fdr_alpha": args.fdr if args.kind == "encode" else None,
        "b2m_version": b2m.__version__,
        "fit_seconds": round(elapsed, 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = save_fit(out, args.kind, result, params)
    summary = json.loads((Path(out) / "params.json").read_text())["summary"]
    print(_headline(args.kind, summary))
    print(f"saved to {out}")
    return 0


def _decode(args) -> int:
    # lazy: keeps `b2m --help` fast
    from b2m.analysis import decode_study

    study = load_study_from_args(args)
    rows = [decode_study(study, sp).summary() for sp in args.spaces]
    print(json.dumps(rows, indent=2))
    return 0


def add_fit_commands(sub) -> None:
    """Register ``fit`` and ``decode``."""
    p = new_parser(
        sub,
        "fit",
        help="decode or encode one subject in one feature space; save and summarise",
        description="""
            Fit a decoding model (brain → embedding; identification of the 60 test clips) or
            a vertex-wise encoding model (embedding → brain; test r, permutation test, FDR)
            for one subject and feature space. Saves arrays.npz, table.csv and params.json in
            --out (default <data home>/results/<dataset>/<subject>/<kind>-<space>/), then
            prints the headline. `b2m report` tabulates saved results.
        """,
        examples="""
            b2m fit --space acoustic --kind decode
            b2m fit --subject sub-002 --space text-lsa --kind encode --n-permutations 1000
            b2m fit --space genre --kind decode --alphas 1 10 100 1000 --out results/genre
        """,
    )
    p.add_argument("--space", required=True, help="feature space, e.g. acoustic, genre, text-lsa")
    p.add_argument("--kind", required=True, choices=("decode", "encode"), help="decode or encode")
    p.add_argument("--out", default=None, metavar="DIR", help="where to save the result")
    p.add_argument(
        "--alphas", type=float, nargs="+", default=None, help="ridge strengths to cross-validate"
    )
    p.add_argument("--n-splits", type=int, default=5, help="run-grouped CV folds (default 5)")
    p.add_argument(
        "--n-voxels", type=int, default=None, help="decode: keep the best-predicted vertices"
    )
    p.add_argument(
        "--n-permutations", type=int, default=1000, help="encode: permutations (default 1000)"
    )
    p.add_argument("--fdr", type=float, default=0.05, help="encode: FDR level (default 0.05)")
    add_study_options(p)
    p.set_defaults(func=_fit)

    p = new_parser(
        sub,
        "decode",
        help="decode feature spaces for one subject; print identification (JSON)",
        description="Decode several feature spaces for one subject and print their summaries "
        "as JSON (nothing is saved; see `b2m fit`).",
        examples="b2m decode --subject sub-001 --spaces acoustic genre",
    )
    p.add_argument("--spaces", nargs="*", default=["acoustic", "genre"])
    add_study_options(p)
    p.set_defaults(func=_decode)
