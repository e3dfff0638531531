"""Calibrate the simulated study: identification per feature space, per subject, and more.

Builds the simulated study (default: all five subjects, seed 0) into a data home (default: a
new temporary folder), decodes every feature space for every subject with the demo's engine
(:func:`b2m.analysis.decoding_table`, whole-cortex ridge, as ``make demo`` does) and prints

- identification accuracy per subject and space, and its mean ± SD over subjects, with the
  qualitative check the simulation is calibrated for (Brain2Music: the music-derived space
  above the caption-derived one; all well above chance; between-subject SD ≥ 0.01);
- with ``--text-music``, the text-vs-music comparison (acoustic vs text-lsa) per subject and
  for the group: Dice of the significant maps with each other and with the planted regions
  (each subject against its own planted regions; the group against the canonical ones);
- how far the subjects' planted region centres moved (the per-subject jitter).

The analyses are the project's own, unchanged: only the simulation is calibrated. The
``--scales`` and ``--annotator`` options override the simulation's constants for exploring
(``COMPONENT_SCALES`` of :mod:`b2m.datasets.simulation._planted`, ``ANNOTATOR_ERRORS`` of
:mod:`b2m.datasets._captions`); the study is then built under a distinct key so that nothing
cached under the shipped parameters is reused or overwritten.

The audio feature spaces (``musicnn`` ~2 min for 540 clips, ``acoustic``) depend only on the
music, which depends only on the seed: ``--features-from HOME`` copies their cached embeddings
from another data home holding a simulated study of the same seed whose clip attributes and
audio seeds are identical (checked), instead of recomputing them.

Usage::

    python benchmarks/calibrate_simulation.py                      # 5 subjects, ~5 min
    python benchmarks/calibrate_simulation.py --subjects 1 2 --features-from ~/b2m_data
    python benchmarks/calibrate_simulation.py --scales 1,0.8,0.5 --annotator genre=0.2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SPACES = ("acoustic", "musicnn", "genre", "text-lsa", "sentence-minilm")
MUSIC_SPACES = ("acoustic", "musicnn")
TEXT_SPACES = ("text-lsa", "sentence-minilm")
AUDIO_CACHE_SPACES = ("acoustic", "musicnn")


def _parse_overrides(text: str | None, names, what: str) -> dict[str, float]:
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in names:
            raise SystemExit(
                f"{what}: expected name=value with name in {list(names)}; got {item!r}"
            )
        out[key.strip()] = float(value)
    return out


def _apply_overrides(scales: str | None, annotator: str | None) -> dict:
    """Patch the simulation's constants in place; return what was changed."""
    from b2m.datasets import _captions
    from b2m.datasets.simulation import _planted, _simulate

    changed = {}
    if scales:
        values = [float(v) for v in scales.split(",")]
        if len(values) != len(_planted.COMPONENTS):
            raise SystemExit(f"--scales: give {len(_planted.COMPONENTS)} numbers; got {scales!r}")
        changed["scales"] = dict(zip(_planted.COMPONENTS, values, strict=True))
        _planted.COMPONENT_SCALES.update(changed["scales"])
    errors = _parse_overrides(annotator, _captions.ANNOTATOR_ERRORS, "--annotator")
    if errors:
        changed["annotator"] = errors
        _captions.ANNOTATOR_ERRORS.update(errors)
    if changed:
        digest = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:8]
        _simulate.SIM_VERSION = f"{_simulate.SIM_VERSION}+calib-{digest}"
    return changed


def _same_music(a: Path, b: Path) -> bool:
    """Whether two built simulated studies render identical audio (same attributes and seeds)."""
    import pandas as pd

    try:
        ca, cb = (pd.read_csv(p / "clips.csv", dtype={"clip_id": str}) for p in (a, b))
        same_clips = ca[["clip_id", "audio_seed"]].equals(cb[["clip_id", "audio_seed"]])
        attrs = [json.loads((p / "attributes.json").read_text()) for p in (a, b)]
    except (OSError, KeyError, ValueError):
        return False
    return bool(same_clips) and attrs[0] == attrs[1]


def _copy_audio_features(source_home: Path, study) -> list[str]:
    """Copy cached audio embeddings from another study with identical music; return spaces."""
    from b2m.datasets.simulation import stimulus_key
    from b2m.features import get_feature_space
    from b2m.features._cache import feature_cache_path

    copied = []
    for src_root in sorted((source_home / "simulated").glob("*")):
        if not (src_root / "study.json").is_file() or not _same_music(src_root, study.root):
            continue
        built = json.loads((src_root / "study.json").read_text())
        src_key = stimulus_key(built["seed"], built["version"])
        for space in AUDIO_CACHE_SPACES:
            fs = get_feature_space(space)
            src = feature_cache_path(fs, dataset_key=src_key, data_home=source_home)
            dst = feature_cache_path(fs, dataset_key=study.feature_key, data_home=study.data_home)
            if space in copied or not src.is_file():
                continue
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
            copied.append(space)
    return copied


def _jitter_table(studies):
    import pandas as pd

    from b2m.datasets.simulation._planted import COMPONENTS, canonical_centres

    canon = canonical_centres()
    rows = []
    for st in studies:
        shifts = np.concatenate(
            [(st.ground_truth[f"centres_{c}"] - canon[c]).reshape(-1, 3) for c in COMPONENTS]
        )
        dist = np.linalg.norm(shifts, axis=1)
        overlap = {}
        for c, comp in enumerate(COMPONENTS):
            own = st.ground_truth["gains"][c] > 0.5
            ref = st.ground_truth["canonical_gains"][c] > 0.5
            overlap[f"dice_{comp}"] = 2 * (own & ref).sum() / (own.sum() + ref.sum())
        rows.append(
            {
                "subject": st.subject,
                "mean_shift_mm": dist.mean(),
                "max_shift_mm": dist.max(),
                "max_axis_mm": np.abs(shifts).max(),
                **overlap,
            }
        )
    return pd.DataFrame(rows).set_index("subject")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="default: a new temporary folder")
    parser.add_argument("--subjects", nargs="*", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spaces", nargs="*", default=list(SPACES))
    parser.add_argument(
        "--features-from", default=None, help="data home to copy audio features from"
    )
    parser.add_argument("--text-music", action="store_true", help="also run text vs music (slow)")
    parser.add_argument("--scales", default=None, help="component scales, e.g. 1,0.8,0.5")
    parser.add_argument("--annotator", default=None, help="annotator errors, e.g. genre=0.2")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    np.seterr(all="ignore")

    changed = _apply_overrides(args.scales, args.annotator)
    from b2m.analysis import decoding_table
    from b2m.datasets import load_study, make_simulated_study
    from b2m.datasets._captions import ANNOTATOR_ERRORS
    from b2m.datasets.simulation._planted import COMPONENT_SCALES
    from b2m.features import available_spaces

    home = Path(args.data_home or tempfile.mkdtemp(prefix="b2m_calibrate_")).expanduser()
    subjects = [f"sub-{s:03d}" for s in args.subjects]
    print(f"data home {home}; component scales {COMPONENT_SCALES}", flush=True)
    print(f"annotator errors {ANNOTATOR_ERRORS}", flush=True)
    t0 = time.perf_counter()
    make_simulated_study(home, subjects=subjects, seed=args.seed, progressbar=False)
    studies = [load_study("simulated", s, data_home=home, seed=args.seed) for s in subjects]
    print(f"built {len(subjects)} subject(s) in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.features_from:
        copied = _copy_audio_features(Path(args.features_from).expanduser(), studies[0])
        found = copied or "none (no study with the same music)"
        print(f"cached audio features from --features-from: {found}")
    spaces = available_spaces(args.spaces, report=lambda m: print(m, flush=True))

    t0 = time.perf_counter()
    table = decoding_table(studies, spaces, n_permutations=20)
    print(f"decoded {len(spaces)} space(s) in {time.perf_counter() - t0:.0f} s\n", flush=True)
    wide = table.pivot_table(index="subject", columns="space", values="identification", sort=False)
    print("Identification accuracy (60 test clips; chance 0.5)")
    print(wide.round(3).to_string())
    stats = wide.agg(["mean", "std"]).T.rename(columns={"std": "sd"})
    print("\nMean ± SD over subjects")
    print(stats.round(3).to_string())
    means = stats["mean"]
    music = [s for s in MUSIC_SPACES if s in means]
    text = [s for s in TEXT_SPACES if s in means]
    if music and text:
        ok = min(means[music]) > max(means[text])
        print(
            f"\nmusic spaces {dict(means[music].round(3))} above text spaces "
            f"{dict(means[text].round(3))}: {'yes' if ok else 'NO'}"
        )
    print("\nPlanted region centres moved per subject (mm) and Dice of own vs canonical regions")
    jitter = _jitter_table(studies)
    print(jitter.round(2).to_string())
    out = {
        "seed": args.seed,
        "overrides": changed,
        "component_scales": dict(COMPONENT_SCALES),
        "annotator_errors": dict(ANNOTATOR_ERRORS),
        "identification": {s: wide[s].round(4).to_dict() for s in wide},
        "mean": means.round(4).to_dict(),
        "sd": stats["sd"].round(4).to_dict(),
    }
    if args.text_music:
        import pandas as pd

        from b2m.analysis import combine_text_music, compare_text_music

        t0 = time.perf_counter()
        results = [compare_text_music(st, "acoustic", "text-lsa") for st in studies]
        rows = [r.summary() for r in results]
        if len(results) > 1:
            canonical = studies[0].ground_truth["canonical_gains"]
            rows.append(combine_text_music(results, gains=canonical).summary())
        tvm = pd.DataFrame(rows)
        keep = ["subject", "dice_music_vs_text", "dice_planted_vertex_union"]
        keep += ["dice_planted_region_union"]
        keep += [f"dice_planted_region_dominant_{p}" for p in ("unique_music", "unique_text")]
        keep += ["dice_planted_region_dominant_shared"]
        print(f"\nText vs music (acoustic vs text-lsa), {time.perf_counter() - t0:.0f} s")
        print(tvm[[c for c in keep if c in tvm]].round(3).to_string(index=False))
        out["text_vs_music"] = tvm[[c for c in keep if c in tvm]].to_dict(orient="records")
    if args.json:
        from b2m._utils._io import save_json

        save_json(args.json, out, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
