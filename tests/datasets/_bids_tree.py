"""Build tiny synthetic ds003720 BIDS trees with planted clip responses, for the loader's tests.

The layout is exactly the dataset's (``sub-001/func/sub-001_task-{Training,Test}_run-NN_...``),
with the real ``events.tsv`` files (CRLF and quote quirks included), the real ``_bold.json``
sidecars and ``dataset_description.json`` (all CC0, packaged with b2m), and NIfTI/GIFTI images
of 410 volumes whose time series are a planted response per clip, convolved with the SPM HRF,
plus drift and Gaussian noise. fMRIPrep-style trees go under ``derivatives/fmriprep``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import nibabel as nib
import numpy as np

from b2m.datasets import N_VOLUMES, TR, load_schedule

DATA = Path(str(resources.files("b2m.datasets") / "data"))
EVENTS = DATA / "ds003720_events"
SIDECARS = DATA / "ds003720_sidecars"
MNI = "MNI152NLin2009cAsym"
#: A coarse MNI grid (16 mm voxels) that still covers the whole fsaverage5 pial surface.
MNI_AFFINE = np.array(
    [[16.0, 0, 0, -90.0], [0, 16.0, 0, -126.0], [0, 0, 16.0, -72.0], [0, 0, 0, 1.0]]
)
MNI_SHAPE = (12, 15, 12)


@dataclass
class Planted:
    """What a synthetic tree holds.

    Attributes
    ----------
    root : pathlib.Path
        The BIDS root.
    clip_ids : list of str
        The 540 unique clips, in the order of ``patterns``' first axis.
    patterns : ndarray of shape (540, *spatial)
        The planted response of each clip (volume voxels or surface vertices).
    extra : dict
        Anything else a test needs (brain mask, spatial maps and weights, vertex patch…).
    """

    root: Path
    clip_ids: list[str]
    patterns: np.ndarray
    extra: dict = field(default_factory=dict)

    def truth(self, clip_ids) -> np.ndarray:
        """Planted responses of the given clips, shape (n, *spatial)."""
        index = {c: i for i, c in enumerate(self.clip_ids)}
        return self.patterns[[index[c] for c in clip_ids]]

    def expected(self, clip_ids, task: str, runs, values=None) -> np.ndarray:
        """Planted responses minus the mean planted response of the run that played each clip.

        Per-run z-scoring removes each run's mean; a test run plays only 10 clips, so the mean
        matters there. ``values`` (540, ...) replaces ``patterns`` (e.g. the MNI weights).
        Shape (n, ...).
        """
        values = self.patterns if values is None else values
        index = {c: i for i, c in enumerate(self.clip_ids)}
        schedule = load_schedule()
        out = values[[index[c] for c in clip_ids]].astype(np.float64)
        for i, run in enumerate(runs):
            rows = schedule[(schedule["task"] == task) & (schedule["run"] == int(run))]
            out[i] -= values[[index[c] for c in rows["clip_id"]]].mean(axis=0)
        return out


def _hrf_design(onsets: np.ndarray) -> np.ndarray:
    """Boxcars of 15 s at ``onsets`` convolved with the SPM HRF, sampled at TR: (410, n)."""
    from nilearn.glm.first_level import spm_hrf

    over = 10
    dt = TR / over
    t = np.arange(N_VOLUMES * over) * dt
    hrf = spm_hrf(TR, oversampling=over)
    box = ((t[:, None] >= onsets[None]) & (t[:, None] < onsets[None] + 15.0)).astype(float)
    conv = np.stack([np.convolve(box[:, j], hrf)[: len(t)] for j in range(len(onsets))], 1)
    return conv[::over] / conv.max()


def _runs(only=None):
    schedule = load_schedule()
    for (task, run), rows in schedule.groupby(["task", "run"], sort=False):
        if only is None or (task, run) in only:
            yield task, int(run), rows


def _write_common(root: Path, subject: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SIDECARS / "dataset_description.json", root / "dataset_description.json")


def _signal(rows, patterns, index, rng, noise, drift=True):
    """Time series (410, *spatial): planted responses through the HRF + drift + noise."""
    design = _hrf_design(rows["onset"].to_numpy(float))
    flat = patterns.reshape(len(patterns), -1)
    clips = flat[[index[c] for c in rows["clip_id"]]]
    ts = design @ clips
    if drift:
        ts += np.linspace(-1, 1, N_VOLUMES)[:, None] * rng.normal(0, 2 * noise, ts.shape[1])
    ts += rng.normal(0, noise, ts.shape)
    return ts.reshape((N_VOLUMES, *patterns.shape[1:]))


def make_raw_tree(
    root,
    *,
    subject: str = "sub-001",
    shape=(12, 12, 9),
    amplitude: float = 20.0,
    noise: float = 4.0,
    seed: int = 0,
    compress: bool = False,
    runs=None,
    confound_amplitude: float = 0.0,
    patterns=None,
    slow_drift: float = 0.0,
) -> Planted:
    """A raw ds003720 tree: int16 NIfTI (a box-shaped 'brain' at ~1000, background ~30).

    ``runs`` restricts the (task, run) pairs written (default: all 18). With
    ``confound_amplitude > 0``, a random walk is added to every brain voxel (per-voxel gain)
    and written as ``trans_x`` in fMRIPrep confounds tables under ``derivatives/fmriprep``.
    ``patterns`` (540, *shape), in the order of ``Planted.clip_ids``, replaces the random
    planted responses (e.g. responses driven by the clips' audio); voxels outside the box
    brain are ignored. With ``slow_drift > 0``, one sine period over each run (615 s, a
    random phase per run, far below 1/240 Hz) times a per-voxel gain is added to every brain
    voxel: a slow drift that linear detrending leaves in place.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    _write_common(root, subject)
    func = root / subject / "func"
    func.mkdir(parents=True, exist_ok=True)
    brain = np.zeros(shape, bool)
    brain[1:-1, 1:-1, 1:-1] = True
    schedule = load_schedule()
    ids = list(dict.fromkeys(schedule.loc[~schedule["is_lead_in"], "clip_id"]))
    index = {c: i for i, c in enumerate(ids)}
    if patterns is None:
        patterns = rng.normal(0, amplitude, (len(ids), *shape)) * brain
    else:
        patterns = _check_patterns(patterns, (len(ids), *shape)) * brain
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    base = np.where(brain, 1000.0, 30.0)
    ext = ".nii.gz" if compress else ".nii"
    gain = rng.uniform(0.5, 1.5, shape) * brain
    conf_dir = _fmriprep_dir(root, subject) if confound_amplitude else None
    for task, run, rows in _runs(runs):
        stem = f"{subject}_task-{task}_run-{run:02d}"
        ts = _signal(rows, patterns, index, rng, noise) + base[None]
        if confound_amplitude:
            walk = _walk(rng)
            ts += confound_amplitude * walk[:, None, None, None] * gain[None]
            _confounds_tsv(conf_dir / f"{stem}_desc-confounds_timeseries.tsv", rng, walk)
        if slow_drift:
            phase = rng.uniform(0, 2 * np.pi)
            sine = np.sin(2 * np.pi * np.arange(N_VOLUMES) / N_VOLUMES + phase)
            ts += slow_drift * sine[:, None, None, None] * gain[None]
        data = np.moveaxis(np.round(ts), 0, -1).astype(np.int16)
        img = nib.Nifti1Image(data, affine)
        img.header.set_xyzt_units("mm", "sec")
        img.header["pixdim"][4] = TR
        nib.save(img, func / f"{stem}_bold{ext}")
        shutil.copyfile(
            EVENTS / f"task-{task}_run-{run:02d}_events.tsv", func / f"{stem}_events.tsv"
        )
        shutil.copyfile(
            SIDECARS / f"sub-001_task-{task}_run-{run:02d}_bold.json", func / f"{stem}_bold.json"
        )
    return Planted(root, ids, patterns, {"brain": brain, "affine": affine})


def _check_patterns(patterns, shape) -> np.ndarray:
    patterns = np.asarray(patterns, dtype=np.float64)
    if patterns.shape != tuple(shape):
        raise ValueError(
            f"patterns must have shape {tuple(shape)} (one planted response per clip, in the "
            f"order of Planted.clip_ids); received shape {patterns.shape}."
        )
    if not np.isfinite(patterns).all():
        raise ValueError(
            f"patterns must be finite; received {int((~np.isfinite(patterns)).sum())} NaN or "
            "infinite values."
        )
    return patterns


def _walk(rng) -> np.ndarray:
    """A standardised random walk of 410 samples (a slow, motion-like confound)."""
    walk = np.cumsum(rng.normal(0, 1, N_VOLUMES))
    return (walk - walk.mean()) / walk.std()


def _fmriprep_dir(root: Path, subject: str) -> Path:
    out = root / "derivatives" / "fmriprep"
    (out / subject / "func").mkdir(parents=True, exist_ok=True)
    save = {
        "Name": "fMRIPrep",
        "BIDSVersion": "1.4.0",
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "fMRIPrep"}],
    }
    (out / "dataset_description.json").write_text(json.dumps(save))
    return out / subject / "func"


def _confounds_tsv(path: Path, rng, planted: np.ndarray | None = None) -> None:
    cols = {
        "trans_x": rng.normal(0, 0.1, N_VOLUMES) if planted is None else planted,
        "rot_x": rng.normal(0, 0.01, N_VOLUMES),
        "framewise_displacement": np.abs(rng.normal(0, 0.1, N_VOLUMES)),
    }
    lines = ["\t".join(cols)]
    for t in range(N_VOLUMES):
        vals = [f"{cols[c][t]:.6f}" for c in cols]
        if t == 0:
            vals[2] = "n/a"
        lines.append("\t".join(vals))
    path.write_text("\n".join(lines) + "\n")


def make_fmriprep_mni_tree(
    root,
    *,
    subject: str = "sub-001",
    pad: bool = False,
    noise: float = 3.0,
    seed: int = 1,
    n_maps: int = 3,
) -> Planted:
    """fMRIPrep MNI outputs on a 16-mm grid; planted responses are ``weights @ maps``.

    ``extra["maps"]`` (n_maps, x, y, z) and ``extra["weights"]`` (540, n_maps) give the truth on
    the surface by projecting the maps (linear).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    _write_common(root, subject)
    func = _fmriprep_dir(root, subject)
    schedule = load_schedule()
    ids = list(dict.fromkeys(schedule.loc[~schedule["is_lead_in"], "clip_id"]))
    index = {c: i for i, c in enumerate(ids)}
    from scipy.ndimage import gaussian_filter

    maps = np.stack([gaussian_filter(rng.normal(0, 1, MNI_SHAPE), 1.5) for _ in range(n_maps)])
    maps /= maps.std(axis=(1, 2, 3), keepdims=True)
    weights = rng.normal(0, 10.0, (len(ids), n_maps))
    patterns = np.tensordot(weights, maps, axes=1)
    mask = np.zeros(MNI_SHAPE, np.uint8)
    mask[1:-1, 1:-1, 1:-1] = 1
    for task, run, rows in _runs():
        label = f"{run:02d}" if pad else str(run)
        stem = f"{subject}_task-{task}_run-{label}"
        ts = _signal(rows, patterns, index, rng, noise) + 500.0
        img = nib.Nifti1Image(np.moveaxis(ts, 0, -1).astype(np.float32), MNI_AFFINE)
        ext = ".nii.gz" if task == "Test" else ".nii"  # both occur; .nii is faster to write
        nib.save(img, func / f"{stem}_space-{MNI}_desc-preproc_bold{ext}")
        nib.save(
            nib.Nifti1Image(mask, MNI_AFFINE), func / f"{stem}_space-{MNI}_desc-brain_mask.nii.gz"
        )
        (func / f"{stem}_space-{MNI}_desc-preproc_bold.json").write_text(
            json.dumps({"RepetitionTime": TR, "SkullStripped": False})
        )
        _confounds_tsv(func / f"{stem}_desc-confounds_timeseries.tsv", rng)
    return Planted(root, ids, patterns, {"maps": maps, "weights": weights, "mask": mask})


def make_fmriprep_fsaverage5_tree(
    root,
    *,
    subject: str = "sub-001",
    pad: bool = True,
    noise: float = 3.0,
    seed: int = 2,
    n_active: int = 200,
    confound_amplitude: float = 0.0,
    patterns=None,
    active=None,
) -> Planted:
    """fMRIPrep fsaverage5 GIFTI outputs; only ``n_active`` vertices carry signal and noise.

    With ``confound_amplitude > 0`` the ``trans_x`` confound (a random walk) is added to every
    active vertex, scaled by a per-vertex gain. ``patterns`` (540, 20484), in the order of
    ``Planted.clip_ids``, replaces the random planted responses; then ``active`` (vertex
    indices; default: the vertices where ``patterns`` is not zero) carry signal and noise,
    and ``n_active`` is ignored.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    _write_common(root, subject)
    func = _fmriprep_dir(root, subject)
    schedule = load_schedule()
    ids = list(dict.fromkeys(schedule.loc[~schedule["is_lead_in"], "clip_id"]))
    index = {c: i for i, c in enumerate(ids)}
    if patterns is None:
        active = np.sort(rng.choice(2 * 10242, n_active, replace=False))
        patterns = np.zeros((len(ids), 2 * 10242))
        patterns[:, active] = rng.normal(0, 10.0, (len(ids), n_active))
    else:
        patterns = _check_patterns(patterns, (len(ids), 2 * 10242))
        if active is None:
            active = np.flatnonzero(np.any(patterns != 0, axis=0))
        active = np.unique(np.asarray(active, dtype=int))
        if active.size == 0 or active[0] < 0 or active[-1] >= 2 * 10242:
            got = f"{active.size} indices" + (
                f" from {active[0]} to {active[-1]}" if active.size else " (all-zero patterns)"
            )
            raise ValueError(f"active must hold vertex indices in 0..20483; received {got}.")
    gain = rng.uniform(0.5, 1.5, len(active))
    for task, run, rows in _runs():
        label = f"{run:02d}" if pad else str(run)
        stem = f"{subject}_task-{task}_run-{label}"
        ts = np.full((N_VOLUMES, 2 * 10242), 100.0, np.float32)
        ts[:, active] += _signal(rows, patterns[:, active], index, rng, noise)
        walk = _walk(rng)
        if confound_amplitude:
            ts[:, active] += confound_amplitude * walk[:, None] * gain[None]
        for h, part in (("L", ts[:, :10242]), ("R", ts[:, 10242:])):
            if (task, run) == ("Test", 1):  # fMRIPrep's layout: one data array per volume
                darrays = [
                    nib.gifti.GiftiDataArray(v, intent="NIFTI_INTENT_TIME_SERIES") for v in part
                ]
            else:  # one (10242, 410) array: also valid GIFTI, and much faster to write/read
                darrays = [nib.gifti.GiftiDataArray(np.ascontiguousarray(part.T))]
            nib.save(
                nib.GiftiImage(darrays=darrays),
                func / f"{stem}_hemi-{h}_space-fsaverage5_bold.func.gii",
            )
        _confounds_tsv(func / f"{stem}_desc-confounds_timeseries.tsv", rng, planted=walk)
    return Planted(root, ids, patterns, {"active": active})


def link_tree(src, dst, *, skip=()) -> Path:
    """Mirror ``src`` into ``dst`` with symbolic links to its files, except names in ``skip``."""
    src, dst = Path(src), Path(dst)
    for dirpath, _, files in os.walk(src):
        target = dst / Path(dirpath).relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if name not in skip:
                (target / name).symlink_to(Path(dirpath) / name)
    return dst
