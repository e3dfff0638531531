"""Finding the files of a ds003720 BIDS tree (raw runs and fMRIPrep derivatives), sidecars.

Missing runs are listed together; a sidecar with the wrong repetition time names the file and
says what was expected and received. Reading the images is :mod:`b2m.datasets.bids._read`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from b2m.datasets._events import N_RUNS, TR

__all__ = [
    "DERIVATIVES",
    "MNI_SPACE",
    "BIDSFileError",
    "RunFiles",
    "check_tr",
    "find_runs",
]

#: Accepted values of ``derivatives``.
DERIVATIVES = ("raw", "fmriprep-mni", "fmriprep-fsaverage5")
#: The fMRIPrep volume space read by ``derivatives="fmriprep-mni"``.
MNI_SPACE = "MNI152NLin2009cAsym"
_EXTRA_ENTITIES = {"acq", "ce", "rec", "dir", "res", "echo"}
_KIND_LABELS = {
    "bold": "BOLD",
    "events": "events.tsv",
    "bold_L": "left-hemisphere GIFTI",
    "bold_R": "right-hemisphere GIFTI",
    "mask": "brain mask",
    "confounds": "confounds table",
}
_NAME_RE = re.compile(r"^sub-(?P<sub>[A-Za-z0-9]+)_task-(?P<task>[A-Za-z0-9]+)_(?P<rest>.+)$")


class BIDSFileError(ValueError):
    """A file of the BIDS tree is unreadable or differs from what ds003720 promises.

    Attributes
    ----------
    path : str
        The offending file.
    """

    def __init__(self, message: str, *, path):
        super().__init__(message)
        self.path = str(path)


@dataclass(frozen=True)
class RunFiles:
    """The files of one run.

    Attributes
    ----------
    task : str
        ``"Training"`` or ``"Test"``.
    run : int
        1-based run number.
    bold : tuple of pathlib.Path
        The NIfTI image (one path) or the left and right GIFTI files (two paths).
    events, mask, confounds : pathlib.Path or None
        The run's ``events.tsv`` (raw), brain mask and confounds table (fMRIPrep), when found.
    """

    task: str
    run: int
    bold: tuple[Path, ...]
    events: Path | None = None
    mask: Path | None = None
    confounds: Path | None = None

    @property
    def label(self) -> str:
        """``"Training run 03"``."""
        return f"{self.task} run {self.run:02d}"


def _parse(name: str):
    """Split a BIDS file name into (subject, task, run, other entities, suffix, extension)."""
    m = _NAME_RE.match(name)
    if not m:
        return None
    *pairs, last = m["rest"].split("_")
    suffix, dot, ext = last.partition(".")
    entities = {}
    for pair in pairs:
        key, dash, value = pair.partition("-")
        if not dash:
            return None
        entities[key] = value
    if "run" not in entities or not entities["run"].isdigit():
        return None
    run = int(entities.pop("run"))
    return m["sub"], m["task"], run, entities, suffix, "." + ext if dot else ""


# (suffix, required entities, extensions) of each kind of file, per derivatives value.
def _specs(derivatives: str) -> dict[str, list[tuple[str, dict, tuple[str, ...]]]]:
    nii = (".nii", ".nii.gz")
    if derivatives == "raw":
        return {"bold": [("bold", {}, nii)], "events": [("events", {}, (".tsv",))]}
    confounds = [
        ("timeseries", {"desc": "confounds"}, (".tsv",)),
        ("regressors", {"desc": "confounds"}, (".tsv",)),
    ]
    if derivatives == "fmriprep-mni":
        return {
            "bold": [("bold", {"space": MNI_SPACE, "desc": "preproc"}, nii)],
            "mask": [("mask", {"space": MNI_SPACE, "desc": "brain"}, nii)],
            "confounds": confounds,
        }
    gii = (".func.gii",)
    return {
        "bold_L": [("bold", {"space": "fsaverage5", "hemi": "L"}, gii)],
        "bold_R": [("bold", {"space": "fsaverage5", "hemi": "R"}, gii)],
        "confounds": confounds,
    }


def _matches(entities: dict, suffix: str, ext: str, spec) -> bool:
    want_suffix, required, exts = spec
    if suffix != want_suffix or ext not in exts:
        return False
    if any(entities.get(k) != v for k, v in required.items()):
        return False
    return set(entities) - set(required) <= _EXTRA_ENTITIES


def func_dir(bids_root: Path, subject: str, derivatives: str, *, what: str = "runs") -> Path:
    """The folder holding a subject's files; raise FileNotFoundError naming what was searched.

    ``derivatives="raw"`` is ``<bids_root>/sub-XXX/func``; fMRIPrep outputs are looked for in
    ``<bids_root>/derivatives/fmriprep`` (then ``.../fmriprep/fmriprep`` and ``<bids_root>``).
    """
    if derivatives == "raw":
        candidates = [bids_root / subject / "func"]
    else:
        candidates = [
            bids_root / "derivatives" / "fmriprep" / subject / "func",
            bids_root / "derivatives" / "fmriprep" / "fmriprep" / subject / "func",
            bids_root / subject / "func",
        ]
    pattern = "*_space-*" if what == "runs" else "*_desc-confounds_*"
    for folder in candidates:
        if folder.is_dir() and (derivatives == "raw" or any(folder.glob(pattern))):
            return folder
    present = sorted(p.name for p in bids_root.glob("sub-*") if p.is_dir())
    searched = ", ".join(repr(str(c)) for c in candidates)
    label = "fMRIPrep" if derivatives != "raw" else "raw"
    raise FileNotFoundError(
        f"subject {subject!r}: no folder with its {label} {what} in bids_root "
        f"{str(bids_root)!r}; searched {searched}. Subjects present there: {present or 'none'}."
    )


def find_runs(
    bids_root: Path, subject: str, derivatives: str, *, need_confounds: bool = False
) -> list[RunFiles]:
    """Locate the files of all 18 runs (12 Training, 6 Test) of one subject.

    Run entities are accepted with and without zero padding (``run-01`` and ``run-1``).

    Raises
    ------
    FileNotFoundError
        Listing every missing run file (and missing confounds tables when ``need_confounds``).
    ValueError
        If several files match one run (e.g. both ``.nii`` and ``.nii.gz``).
    """
    folder = func_dir(bids_root, subject, derivatives)
    specs = _specs(derivatives)
    folders = {kind: folder for kind in specs}
    if derivatives == "raw" and need_confounds:  # motion etc. estimated by fMRIPrep
        specs["confounds"] = _specs("fmriprep-mni")["confounds"]
        folders["confounds"] = func_dir(bids_root, subject, "fmriprep", what="confounds")
    found: dict[tuple[str, str, int], list[Path]] = {}
    for where in dict.fromkeys(folders.values()):
        for path in sorted(where.iterdir()):
            parsed = _parse(path.name)
            if parsed is None or parsed[0] != subject.removeprefix("sub-"):
                continue
            _, task, run, entities, suffix, ext = parsed
            for kind, alternatives in specs.items():
                if folders[kind] == where and any(
                    _matches(entities, suffix, ext, spec) for spec in alternatives
                ):
                    found.setdefault((kind, task, run), []).append(path)
    required = [k for k in specs if k.startswith("bold") or k == "events"]
    if need_confounds:
        required.append("confounds")
    missing: dict[str, list[tuple[str, int]]] = {}
    runs = []
    for task, n_runs in N_RUNS.items():
        for run in range(1, n_runs + 1):
            files = {}
            for kind in specs:
                paths = found.get((kind, task, run), [])
                if len(paths) > 1 and kind != "confounds":
                    names = [p.name for p in paths]
                    raise ValueError(
                        f"{task} run {run:02d} of {subject}: several {kind} files match in "
                        f"{str(folders[kind])!r}: {names}; keep one."
                    )
                if paths:
                    files[kind] = paths[0]
                elif kind in required:
                    missing.setdefault(kind, []).append((task, run))
            runs.append((task, run, files))
    if missing:
        n = sum(len(v) for v in missing.values())
        parts = []
        for kind, which in missing.items():
            task, run = which[0]
            name = _expected_name(subject, task, run, kind, derivatives)
            example = (folders[kind] / name).relative_to(bids_root)
            parts.append(f"{_KIND_LABELS[kind]} of {_runs_text(which)} (e.g. {example})")
        hint = (
            " Fetch raw runs with b2m.datasets.fetch_ds003720(subjects=..., runs=...)."
            if derivatives == "raw"
            else ""
        )
        raise FileNotFoundError(
            f"{subject} ({derivatives}): {n} run file(s) missing under {str(bids_root)!r}: "
            + "; ".join(parts)
            + "."
            + hint
        )
    out = []
    for task, run, files in runs:
        bold = (files["bold"],) if "bold" in files else (files["bold_L"], files["bold_R"])
        out.append(
            RunFiles(
                task=task,
                run=run,
                bold=bold,
                events=files.get("events"),
                mask=files.get("mask"),
                confounds=files.get("confounds"),
            )
        )
    return out


def _runs_text(which: list[tuple[str, int]]) -> str:
    """``[("Training", 3), ("Training", 7), ("Test", 5)]`` -> "Training runs 03, 07 and Test run 05"."""
    parts = []
    for task in N_RUNS:
        nums = [f"{r:02d}" for t, r in which if t == task]
        if nums:
            parts.append(f"{task} run{'s' if len(nums) > 1 else ''} {', '.join(nums)}")
    return " and ".join(parts)


def _expected_name(subject: str, task: str, run: int, kind: str, derivatives: str) -> str:
    stem = f"{subject}_task-{task}_run-{run:02d}"
    names = {
        "bold": f"{stem}_bold.nii[.gz]"
        if derivatives == "raw"
        else f"{stem}_space-{MNI_SPACE}_desc-preproc_bold.nii.gz",
        "events": f"{stem}_events.tsv",
        "bold_L": f"{stem}_hemi-L_space-fsaverage5_bold.func.gii",
        "bold_R": f"{stem}_hemi-R_space-fsaverage5_bold.func.gii",
        "confounds": f"{stem}_desc-confounds_timeseries.tsv",
    }
    return names[kind]


# --------------------------------------------------------------------------------------------
# Sidecars
# --------------------------------------------------------------------------------------------
def _sidecars(bold: Path, bids_root: Path, subject: str, task: str, run: int) -> list[Path]:
    name = bold.name
    for ext in (".func.gii", ".nii.gz", ".nii"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    own = [bold.with_name(name + ".json"), bold.with_name(name + ".func.json")]
    raw = [
        bids_root / subject / "func" / f"{subject}_task-{task}_run-{label}_bold.json"
        for label in (f"{run:02d}", str(run))
    ]
    return [
        *own,
        *raw,
        bids_root / subject / f"{subject}_task-{task}_bold.json",
        bids_root / f"task-{task}_bold.json",
    ]


def check_tr(bold: Path, bids_root: Path, subject: str, task: str, run: int) -> Path | None:
    """Check ``RepetitionTime`` in the nearest sidecar (BIDS inheritance); return that sidecar.

    Raises
    ------
    BIDSFileError
        If the sidecar is not valid JSON or its ``RepetitionTime`` is not 1.5 s.
    """
    for path in _sidecars(bold, bids_root, subject, task, run):
        if not path.is_file():
            continue
        try:
            meta = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BIDSFileError(
                f"sidecar {str(path)!r} is not valid JSON: {exc}", path=path
            ) from exc
        if not isinstance(meta, dict) or "RepetitionTime" not in meta:
            continue
        tr = meta["RepetitionTime"]
        if not isinstance(tr, int | float) or abs(float(tr) - TR) > 1e-3:
            raise BIDSFileError(
                f"sidecar {str(path)!r}: RepetitionTime must be {TR} s (ds003720); "
                f"received {tr!r}.",
                path=path,
            )
        return path
    return None
