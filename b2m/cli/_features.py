"""``b2m features``: embed a study's clips into the feature cache, or a music folder."""

from __future__ import annotations

import sys
from pathlib import Path

from b2m.cli._common import (
    REAL_DATA_OPTIONS,
    add_study_options,
    check_space,
    load_study_from_args,
    new_parser,
)

__all__ = ["add_features_command", "parse_excerpt"]

_LIBRARY_OPTIONS = {
    "out": None,
    "scheduler": "none",
    "chunk_size": 64,
    "excerpt": None,
    "whole": False,
    "sample_rate": None,
    "n_workers": None,
    "connect_timeout": 10.0,
}


def parse_excerpt(text: str | None, whole: bool):
    """``--excerpt``/``--whole`` → the ``excerpt`` argument of ``embed_music_folder``."""
    if whole:
        if text is not None:
            raise ValueError("--excerpt and --whole exclude each other; give one of them.")
        return None
    if text is None:
        return 15.0
    expected = (
        "START:END in seconds with 0 <= START < END (e.g. 10:25), or one LENGTH in seconds "
        "taken from the middle (e.g. 15)"
    )
    try:
        if ":" in text:
            start_text, end_text = text.split(":")
            start, end = float(start_text), float(end_text)
            if not 0 <= start < end < float("inf"):
                raise ValueError
            return (start, end)
        length = float(text)
        if not 0 < length < float("inf"):
            raise ValueError
        return length
    except ValueError:
        raise ValueError(f"--excerpt must be {expected}; received {text!r}.") from None


def _study_features(args) -> int:
    # lazy: keeps `b2m --help` fast
    from b2m.analysis import study_embeddings
    from b2m.features._cache import feature_cache_path

    space = check_space(args.space)
    study = load_study_from_args(args)
    embeddings = study_embeddings(study, args.space)
    if space.modality == "label":
        where = "computed from the clips' genre labels (not cached)"
    else:
        where = str(
            feature_cache_path(space, dataset_key=study.feature_key, data_home=study.data_home)
        )
    print(where)
    print(
        f"{args.space} features of {study.dataset} ({study.key}): "
        f"{embeddings.shape[0]} clips × {embeddings.shape[1]} dims"
    )
    return 0


def _library_features(args) -> int:
    # lazy: keeps `b2m --help` fast (pulls numpy, pandas and scipy)
    from b2m._utils._io import save_json
    from b2m.features import embed_music_folder

    if args.out is None:
        raise ValueError("--out is required with --music-dir (the library's folder).")
    out = Path(args.out).expanduser()
    if out.suffix == ".npz":
        raise ValueError(
            "--out must be a folder (the library is saved as index.npz and a metadata file "
            f"inside it, see LibraryIndex.save); received {args.out!r}. Drop the .npz suffix."
        )
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out must be a folder; received {args.out!r}, which is a file.")
    excerpt = parse_excerpt(args.excerpt, args.whole)
    scheduler = None if args.scheduler.lower() == "none" else args.scheduler
    space = check_space(args.space)
    index, failures = embed_music_folder(
        args.music_dir,
        space,
        scheduler=scheduler,
        chunk_size=args.chunk_size,
        excerpt=excerpt,
        sample_rate=args.sample_rate,
        connect_timeout=args.connect_timeout,
        n_workers=args.n_workers,
        return_failures=True,
    )
    index.save(out)
    info = {
        "space": space.name,
        "version": space.version,
        "params": space.params,
        "cache_key": space.cache_key,
        "folder": str(Path(args.music_dir).expanduser().resolve()),
        "excerpt": excerpt,
        "sample_rate": args.sample_rate,
        "n_items": index.n_items,
        "dim": index.dim,
        "skipped": [{"path": p, "reason": why} for p, why in failures],
    }
    save_json(out / "library.json", info)
    print(out)
    print(f"{index.n_items} files embedded with {space.name} ({index.dim} dims)")
    if failures:
        print(f"Skipped {len(failures)} unreadable file(s):", file=sys.stderr)
        for path, why in failures:
            print(f"  {path}: {why}", file=sys.stderr)
    return 0


def _features(args) -> int:
    if args.music_dir is not None:
        study_flags = [f"--{k.replace('_', '-')}" for k in REAL_DATA_OPTIONS if getattr(args, k)]
        if args.dataset != "simulated" and not study_flags:
            study_flags = ["--dataset"]
        if study_flags:
            raise ValueError(f"{study_flags[0]} applies to a study's clips, not to --music-dir.")
        return _library_features(args)
    given = [k for k, v in _LIBRARY_OPTIONS.items() if getattr(args, k) != v]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise ValueError(f"{flag} applies with --music-dir only (embedding a music folder).")
    return _study_features(args)


def add_features_command(sub) -> None:
    """Register ``features``."""
    p = new_parser(
        sub,
        "features",
        help="embed a study's clips (into the feature cache) or a folder of music (a library)",
        description="""
            Two uses.

            1. Embed every clip of a study in a feature space and store the embeddings in the
               feature cache (<data home>/features/...), where the notebooks and `b2m fit`
               find them. Prints the cache file and the shape.

            2. With --music-dir: embed every audio file (wav, flac, ogg, mp3) under a folder
               as a retrieval library, by default a 15 s excerpt from the middle of each, and
               save a LibraryIndex (embeddings + metadata: path, duration, genre from the
               parent folder's name) in the folder --out, with library.json beside it.
               Unreadable files are skipped and listed at the end. --scheduler runs the work
               on Dask: 'local' starts a local cluster, an address joins a running one.
        """,
        examples="""
            b2m features --space acoustic                      # simulated study, sub-001
            b2m features --space acoustic --dataset ds003720 --bids-root ~/ds003720 \\
                --gtzan-dir ~/gtzan
            b2m features --music-dir ~/gtzan/genres --space acoustic --out ~/libs/gtzan
            b2m features --music-dir ~/fma_large --space acoustic --out ~/libs/fma \\
                --scheduler tcp://10.0.0.5:8786 --chunk-size 128 --excerpt 0:30
        """,
    )
    p.add_argument("--space", required=True, help="feature space, e.g. acoustic, genre, text-lsa")
    add_study_options(p)
    lib = p.add_argument_group("music folder (library)")
    lib.add_argument("--music-dir", default=None, metavar="DIR", help="folder of audio files")
    lib.add_argument("--out", default=None, metavar="DIR", help="folder to save the library in")
    lib.add_argument(
        "--scheduler",
        default="none",
        metavar="ADDRESS|local|none",
        help="Dask scheduler address, 'local' (a local cluster) or 'none' (default: in-process)",
    )
    lib.add_argument(
        "--chunk-size", type=int, default=64, metavar="N", help="files per task (default 64)"
    )
    lib.add_argument(
        "--excerpt",
        default=None,
        metavar="START:END",
        help="seconds to embed of each file, START:END or a LENGTH from the middle (default 15)",
    )
    lib.add_argument("--whole", action="store_true", help="embed whole files")
    lib.add_argument(
        "--sample-rate",
        type=int,
        default=None,
        metavar="HZ",
        help="resample to this rate first (Hz)",
    )
    lib.add_argument(
        "--n-workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of --scheduler local",
    )
    lib.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait this long for a scheduler address (default 10)",
    )
    p.set_defaults(func=_features)
