"""The ds003720 loader on synthetic BIDS trees in the dataset's exact layout (see _bids_tree)."""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import types

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from _bids_tree import (
    MNI_AFFINE,
    MNI_SHAPE,
    link_tree,
    make_fmriprep_fsaverage5_tree,
    make_fmriprep_mni_tree,
    make_raw_tree,
)

from b2m.datasets import (
    BIDSFileError,
    ResponseWindow,
    ScheduleError,
    load_ds003720_responses,
    load_ds003720_run,
    load_study,
)
from b2m.datasets.bids._surface import surface_projection

FUNC = "sub-001/func"


def _load(root, **kw):
    kw.setdefault("progressbar", False)
    return load_ds003720_responses(root, "sub-001", **kw)


def _voxel_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = (a - a.mean(0)) / a.std(0)
    b = (b - b.mean(0)) / b.std(0)
    return (a * b).mean(0)


def _replace(tree, name: str, data: bytes):
    """Replace a linked file of a mirrored tree by a real file holding ``data``."""
    path = tree / FUNC / name
    path.unlink()
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# Raw runs, native space
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return make_raw_tree(tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="module")
def raw_loaded(raw, tmp_path_factory):
    return _load(raw.root, data_home=tmp_path_factory.mktemp("home"))


def test_raw_mask_is_compute_epi_mask_of_the_mean_image(raw, raw_loaded):
    from nilearn.masking import compute_epi_mask

    paths = sorted((raw.root / FUNC).glob("*_bold.nii"))
    assert len(paths) == 18
    mean = np.mean([nib.load(p).get_fdata().mean(axis=3) for p in paths], axis=0)
    want = compute_epi_mask(nib.Nifti1Image(mean, raw.extra["affine"])).get_fdata() != 0
    got = np.asarray(raw_loaded.mask_img.dataobj) != 0
    assert raw_loaded.space == "native"
    assert np.array_equal(got, want)
    assert got.sum() > 100 and not (got & ~raw.extra["brain"]).any()
    assert np.allclose(raw_loaded.mask_img.affine, raw.extra["affine"])
    assert raw_loaded.info["n_features"] == got.sum()


def test_raw_recovers_planted_training_responses(raw, raw_loaded):
    r = raw_loaded.responses
    mask = np.asarray(raw_loaded.mask_img.dataobj) != 0
    assert r.train.shape == (480, mask.sum()) and r.train.dtype == np.float32
    assert len(set(r.train_ids)) == 480
    assert np.array_equal(np.bincount(r.train_runs)[1:], [40] * 12)
    expected = raw.expected(r.train_ids, "Training", r.train_runs)[:, mask]
    corr = _voxel_corr(r.train, expected)
    assert corr.min() > 0.9, np.sort(corr)[:5]


def test_raw_test_repeats_are_kept_and_averaged(raw, raw_loaded):
    r = raw_loaded.responses
    mask = np.asarray(raw_loaded.mask_img.dataobj) != 0
    assert r.test_repeats.shape == (4, 60, mask.sum())
    assert np.allclose(r.test, r.test_repeats.mean(axis=0))
    assert not np.allclose(r.test_repeats[0], r.test_repeats[1])
    assert set(r.test_ids).isdisjoint(r.train_ids)
    expected = raw.expected(r.test_ids, "Test", r.test_runs)[:, mask]
    corr = _voxel_corr(r.test, expected)
    single = np.mean([_voxel_corr(rep, expected).mean() for rep in r.test_repeats])
    assert corr.min() > 0.85 and np.median(corr) > 0.9, np.sort(corr)[:5]
    assert corr.mean() > single  # averaging the repeats removes noise


def test_cache_is_hit_and_invalidated_by_parameters_and_files(raw, tmp_path, monkeypatch):
    tree = link_tree(raw.root, tmp_path / "tree")
    home = tmp_path / "home"
    first = _load(tree, data_home=home)
    assert not first.from_cache and first.cache_path.is_file()
    assert first.cache_path.is_relative_to(home)

    import b2m.datasets.bids._load as bids

    def no_reading(*args, **kwargs):
        raise AssertionError("the cache should have served this load")

    with monkeypatch.context() as m:
        m.setattr(bids, "reader", no_reading)
        second = _load(tree, data_home=home)
    assert second.from_cache and second.cache_path == first.cache_path
    for name in ("train", "test_repeats", "train_ids", "test_ids", "train_runs"):
        assert np.array_equal(getattr(second.responses, name), getattr(first.responses, name))
    assert np.array_equal(second.mask_img.dataobj, first.mask_img.dataobj)

    later = _load(tree, data_home=home, window=ResponseWindow(delay=4.5))
    assert not later.from_cache and later.cache_path != first.cache_path
    assert later.responses.window.delay == 4.5
    assert not np.allclose(later.responses.train, first.responses.train)

    mask = nib.Nifti1Image(raw.extra["brain"].astype(np.uint8), raw.extra["affine"])
    masked = _load(tree, data_home=home, mask_img=mask)
    assert not masked.from_cache and masked.responses.train.shape[1] == raw.extra["brain"].sum()

    # a changed input file (new modification time) is a new key
    name = "sub-001_task-Test_run-06_bold.nii"
    _replace(tree, name, (raw.root / FUNC / name).read_bytes())
    changed = _load(tree, data_home=home)
    assert not changed.from_cache and changed.cache_path != first.cache_path
    assert np.allclose(changed.responses.train, first.responses.train, atol=1e-6)


def test_missing_runs_are_all_listed(raw, tmp_path):
    skip = {"sub-001_task-Training_run-03_bold.nii", "sub-001_task-Test_run-05_bold.nii"}
    tree = link_tree(raw.root, tmp_path / "tree", skip=skip)
    with pytest.raises(FileNotFoundError, match="2 run file") as err:
        _load(tree)
    msg = str(err.value)
    assert "Training run 03" in msg and "Test run 05" in msg
    assert "sub-001_task-Training_run-03_bold.nii" in msg and "fetch_ds003720" in msg


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("truncated", "is truncated"),
        ("garbage", "cannot read NIfTI"),
        ("volumes", "must hold 410 volumes.*received 400"),
        ("gz-truncated", "cannot read volumes"),
    ],
)
def test_bad_nifti_names_the_file(raw, tmp_path, kind, match):
    tree = link_tree(raw.root, tmp_path / "tree")
    name = "sub-001_task-Training_run-02_bold.nii"
    good = (raw.root / FUNC / name).read_bytes()
    if kind == "truncated":
        path = _replace(tree, name, good[: len(good) // 2])
    elif kind == "garbage":
        path = _replace(tree, name, b"not a nifti file at all" * 40)
    elif kind == "volumes":
        img = nib.load(raw.root / FUNC / name)
        short = nib.Nifti1Image(np.asarray(img.dataobj)[..., :400], img.affine, img.header)
        (tree / FUNC / name).unlink()
        path = tree / FUNC / name
        nib.save(short, path)
    else:
        (tree / FUNC / name).unlink()
        path = tree / FUNC / (name + ".gz")
        path.write_bytes(gzip.compress(good)[: len(good) // 3])
    with pytest.raises(BIDSFileError, match=match) as err:
        _load(tree)
    assert str(path) in str(err.value) and err.value.path == str(path)


def test_wrong_repetition_time_in_sidecar(raw, tmp_path):
    tree = link_tree(raw.root, tmp_path / "tree")
    name = "sub-001_task-Test_run-03_bold.json"
    meta = json.loads((raw.root / FUNC / name).read_text())
    meta["RepetitionTime"] = 2.0
    path = _replace(tree, name, json.dumps(meta).encode())
    with pytest.raises(BIDSFileError, match=r"RepetitionTime must be 1.5 s .*received 2.0") as e:
        _load(tree)
    assert str(path) in str(e.value) and e.value.path == str(path)


def test_events_that_differ_from_the_design_are_reported(raw, tmp_path):
    tree = link_tree(raw.root, tmp_path / "tree")
    name = "sub-001_task-Training_run-05_events.tsv"
    lines = [x for x in (raw.root / FUNC / name).read_bytes().split(b"\r\n") if x.strip()]
    _replace(tree, name, b"\r\n".join(lines[:-1]) + b"\r\n")  # drop the last clip
    with pytest.raises(ScheduleError, match="Training run 5: expected 41 clips, found 40") as e:
        _load(tree)
    assert str(tree / FUNC) in str(e.value)


def test_bad_arguments(raw, tmp_path):
    with pytest.raises(ValueError, match=r"derivatives must be one of .*received 'fmriprep'"):
        _load(raw.root, derivatives="fmriprep")
    with pytest.raises(FileNotFoundError, match=r"does not exist.*fetch_ds003720"):
        _load(tmp_path / "nowhere")
    with pytest.raises(
        FileNotFoundError, match=r"'sub-002'.*Subjects present there: \['sub-001'\]"
    ):
        load_ds003720_responses(raw.root, 2, progressbar=False)
    with pytest.raises(ValueError, match="subject must be one of"):
        load_ds003720_responses(raw.root, "sub-009", progressbar=False)
    with pytest.raises(TypeError, match="confounds must be None or a list"):
        _load(raw.root, confounds="trans_x")
    with pytest.raises(TypeError, match="window must be a ResponseWindow"):
        _load(raw.root, window=3.0)
    with pytest.raises(ValueError, match="mask_img applies to volume data"):
        _load(raw.root, derivatives="fmriprep-fsaverage5", mask_img=tmp_path / "m.nii")
    small = nib.Nifti1Image(np.ones((4, 4, 4), np.uint8), np.eye(4))
    with pytest.raises(ValueError, match=r"mask_img must be on the runs' voxel grid"):
        _load(raw.root, mask_img=small)
    with pytest.raises(FileNotFoundError, match="fMRIPrep confounds"):
        _load(raw.root, confounds=["trans_x"])
    tree = link_tree(raw.root, tmp_path / "tree")
    name = "sub-001_task-Test_run-01_bold.nii"
    shutil.copyfile(raw.root / FUNC / name, tree / FUNC / (name + ".gz"))
    with pytest.raises(ValueError, match="several bold files match"):
        _load(tree)


# --------------------------------------------------------------------------------------------
# Confounds, empty masks (a tiny tree)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return make_raw_tree(tmp_path_factory.mktemp("small"), shape=(6, 6, 5), confound_amplitude=40)


def test_confound_regression_removes_a_planted_confound(small):
    brain = small.extra["brain"]
    mask = nib.Nifti1Image(brain.astype(np.uint8), small.extra["affine"])
    corr = {}
    for conf in (None, ["trans_*"]):
        r = _load(small.root, mask_img=mask, confounds=conf).responses
        expected = small.expected(r.train_ids, "Training", r.train_runs)[:, brain]
        corr[conf is not None] = _voxel_corr(r.train, expected)
    assert np.median(corr[False]) < 0.75
    assert corr[True].min() > 0.9
    with pytest.raises(ValueError, match=r"column 'rot_z' not found .*available: \['trans_x'"):
        _load(small.root, mask_img=mask, confounds=["rot_z"])


@pytest.fixture(scope="module")
def drifting(tmp_path_factory):
    return make_raw_tree(tmp_path_factory.mktemp("drift"), shape=(6, 6, 5), slow_drift=60)


def test_high_pass_removes_a_slow_drift_and_keys_the_cache(drifting, tmp_path):
    brain = drifting.extra["brain"]
    mask = nib.Nifti1Image(brain.astype(np.uint8), drifting.extra["affine"])
    home = tmp_path / "home"
    loaded, corr = {}, {}
    for cutoff in (None, 1 / 240):
        loaded[cutoff] = _load(drifting.root, mask_img=mask, data_home=home, high_pass=cutoff)
        r = loaded[cutoff].responses
        expected = drifting.expected(r.train_ids, "Training", r.train_runs)[:, brain]
        corr[cutoff] = _voxel_corr(r.train, expected)
    assert np.median(corr[None]) < 0.6  # linear detrending leaves the drift in (0.43)
    assert np.median(corr[1 / 240]) > 0.85 and corr[1 / 240].min() > 0.8  # measured 0.89, 0.83
    assert loaded[1 / 240].cache_path != loaded[None].cache_path
    assert loaded[1 / 240].info["high_pass"] == 1 / 240
    again = _load(drifting.root, mask_img=mask, data_home=home, high_pass=1 / 240)
    assert again.from_cache and again.cache_path == loaded[1 / 240].cache_path
    for bad in (0, -0.01, 0.5, "1/240", True):
        with pytest.raises(ValueError, match=r"high_pass must be None or a cut-off in Hz.*"):
            _load(drifting.root, mask_img=mask, data_home=home, high_pass=bad)
    study = load_study(
        "ds003720", 1, bids_root=drifting.root, mask_img=mask, data_home=home,
        high_pass=1 / 240, progressbar=False,
    )  # fmt: skip
    assert np.array_equal(study.responses.train, loaded[1 / 240].responses.train)
    assert study.source["high_pass"] == 1 / 240
    _, bold = study.load_example_run()  # the example run is cleaned the same way
    kw = {"mask_img": mask, "data_home": home, "progressbar": False}
    _, direct = load_ds003720_run(drifting.root, 1, high_pass=1 / 240, **kw)
    _, detrended = load_ds003720_run(drifting.root, 1, **kw)
    assert np.array_equal(bold, direct) and not np.allclose(bold, detrended, atol=0.1)
    with pytest.raises(ValueError, match=r"high_pass applies to dataset='ds003720' only"):
        load_study("simulated", high_pass=1 / 240)


def test_empty_computed_mask_asks_for_mask_img(small):
    with pytest.raises(
        ValueError, match=r"mask computed from the mean image .* is empty.*mask_img"
    ):
        _load(small.root)


# --------------------------------------------------------------------------------------------
# fMRIPrep: MNI volumes projected onto fsaverage5, and fsaverage5 GIFTI
# --------------------------------------------------------------------------------------------
def test_mni_mask_img_on_another_grid_is_resampled(tmp_path):
    from b2m.datasets.bids._spaces import Plan, user_mask

    plan = Plan(tmp_path, "sub-001", "fmriprep-mni", [], None, None, [], MNI_SHAPE, MNI_AFFINE)
    fine = np.zeros((24, 30, 24), np.uint8)  # 8-mm grid over the same field of view
    fine[4:12, 6:14, 4:10] = 1
    affine = MNI_AFFINE.copy()
    affine[:3, :3] /= 2
    mask = user_mask(nib.Nifti1Image(fine, affine), plan, resample=True)
    want = np.zeros(MNI_SHAPE, bool)
    want[2:6, 3:7, 2:5] = True
    assert mask.shape == MNI_SHAPE and np.array_equal(mask, want)
    plan.derivatives = "raw"
    with pytest.raises(ValueError, match=r"voxel grid .*received shape \(24, 30, 24\)"):
        user_mask(nib.Nifti1Image(fine, affine), plan, resample=False)


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_surface_projection_equals_nilearn_vol_to_surf():
    from nilearn.datasets import load_fsaverage
    from nilearn.surface import vol_to_surf

    rng = np.random.default_rng(3)
    data = rng.normal(size=MNI_SHAPE).astype(np.float32)
    mask = np.zeros(MNI_SHAPE, bool)
    mask[2:-2, 1:-1, 1:-3] = True
    projection = surface_projection(MNI_AFFINE, MNI_SHAPE, mask)
    mine = projection.apply(data[..., None])[0]
    fs = load_fsaverage("fsaverage5")
    ref = np.concatenate(
        [
            vol_to_surf(
                nib.Nifti1Image(data, MNI_AFFINE),
                fs["pial"].parts[h],
                inner_mesh=fs["white_matter"].parts[h],
                mask_img=nib.Nifti1Image(mask.astype(np.uint8), MNI_AFFINE),
            )
            for h in ("left", "right")
        ]
    )
    assert np.array_equal(np.isnan(ref), ~projection.covered)
    ok = projection.covered
    assert ok.sum() > 15000 and np.abs(mine[ok] - ref[ok]).max() < 1e-4
    assert np.all(mine[~ok] == 0)
    with pytest.raises(ValueError, match=r"mask must have shape \(12, 15, 12\)"):
        surface_projection(MNI_AFFINE, MNI_SHAPE, mask[:-1])


@pytest.fixture(scope="module")
def mni(tmp_path_factory):
    tree = make_fmriprep_mni_tree(tmp_path_factory.mktemp("mni"), pad=False)
    return tree, _load(tree.root, derivatives="fmriprep-mni", data_home=tree.root / "home")


def test_mni_runs_are_projected_onto_fsaverage5(mni):
    from nilearn.datasets import load_fsaverage
    from nilearn.surface import vol_to_surf

    tree, loaded = mni
    r = loaded.responses
    assert loaded.space == "fsaverage5" and loaded.mask_img is None
    assert r.train.shape == (480, 20484) and r.test_repeats.shape == (4, 60, 20484)
    assert loaded.info["mask"] == "intersection of 18 fMRIPrep brain masks"
    fs = load_fsaverage("fsaverage5")
    maps = nib.Nifti1Image(np.moveaxis(tree.extra["maps"], 0, -1), MNI_AFFINE)
    mask = nib.Nifti1Image(tree.extra["mask"], MNI_AFFINE)
    surf_maps = np.concatenate(
        [
            vol_to_surf(
                maps, fs["pial"].parts[h], inner_mesh=fs["white_matter"].parts[h], mask_img=mask
            )
            for h in ("left", "right")
        ]
    )  # (20484, n_maps): the planted maps seen by vol_to_surf
    weights = tree.expected(r.train_ids, "Training", r.train_runs, values=tree.extra["weights"])
    expected = weights @ surf_maps.T
    strong = expected.std(0) > 0.5 * np.median(expected.std(0))
    assert strong.mean() > 0.8
    corr = _voxel_corr(r.train[:, strong], expected[:, strong])
    assert corr.min() > 0.9, np.sort(corr)[:5]


def test_mni_missing_unpadded_run_is_listed(mni, tmp_path):
    tree, _ = mni
    name = "sub-001_task-Training_run-7_space-MNI152NLin2009cAsym_desc-preproc_bold.nii"
    copy = link_tree(tree.root / "derivatives", tmp_path / "t" / "derivatives", skip={name})
    with pytest.raises(FileNotFoundError, match=r"1 run file.*Training run 07"):
        _load(copy.parent, derivatives="fmriprep-mni")


@pytest.fixture(scope="module")
def surf(tmp_path_factory):
    tree = make_fmriprep_fsaverage5_tree(tmp_path_factory.mktemp("fs"), pad=True)
    loaded = _load(tree.root, derivatives="fmriprep-fsaverage5", data_home=tree.root / "home")
    return tree, loaded


def test_fsaverage5_gifti_runs(surf):
    tree, loaded = surf
    r, active = loaded.responses, tree.extra["active"]
    assert loaded.space == "fsaverage5" and r.train.shape == (480, 20484)
    assert r.test_repeats.shape == (4, 60, 20484)
    inactive = np.setdiff1d(np.arange(20484), active)
    assert np.all(r.train[:, inactive] == 0)  # constant vertices stay 0 after z-scoring
    expected = tree.expected(r.train_ids, "Training", r.train_runs)[:, active]
    assert _voxel_corr(r.train[:, active], expected).min() > 0.9
    expected = tree.expected(r.test_ids, "Test", r.test_runs)[:, active]
    assert np.median(_voxel_corr(r.test[:, active], expected)) > 0.9


def test_corrupt_gifti_names_the_file(surf, tmp_path):
    tree, _ = surf
    copy = link_tree(tree.root / "derivatives", tmp_path / "t" / "derivatives")
    func = copy / "fmriprep" / FUNC
    path = func / "sub-001_task-Training_run-01_hemi-R_space-fsaverage5_bold.func.gii"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BIDSFileError, match="cannot read GIFTI") as err:
        _load(copy.parent, derivatives="fmriprep-fsaverage5")
    assert err.value.path == str(path)


# --------------------------------------------------------------------------------------------
# load_study("ds003720")
# --------------------------------------------------------------------------------------------
def test_load_study_ds003720_without_audio_or_captions(raw, monkeypatch):
    monkeypatch.delenv("B2M_GTZAN", raising=False)
    study = load_study("ds003720", 1, bids_root=raw.root, progressbar=False)
    clips = study.clips
    assert list(clips.columns) == ["clip_id", "genre", "track", "start", "end", "split", "caption"]
    assert len(clips) == 540 and clips["clip_id"].is_unique
    assert clips["split"].value_counts().to_dict() == {"train": 480, "test": 60}
    assert clips["clip_id"].str.fullmatch(r"[a-z]+\.\d{5}").all()
    assert (clips["caption"] == "").all() and study.key == "ds003720"
    assert study.space == "native" and study.mask_img is not None
    assert study.root == raw.root.resolve() and study.sample_rate == 22050
    assert study.responses.train.shape[0] == 480
    assert list(study.train_clips["clip_id"]) == list(study.responses.train_ids)
    with pytest.raises(FileNotFoundError, match=r"gtzan_dir=.*B2M_GTZAN"):
        study.load_audio(clips["clip_id"][0])
    events, bold = study.load_example_run()
    assert len(events) == 41 and set(events["task"]) == {"Training"}
    assert set(events["run"]) == {1}
    assert bold.shape == (410, study.responses.train.shape[1])
    assert np.allclose(bold.mean(0), 0, atol=1e-4) and np.allclose(bold.std(0), 1, atol=0.01)


def test_load_study_ds003720_with_gtzan_and_captions(raw, monkeypatch, tmp_path):
    calls = []

    class FakeStimuli:
        def __init__(self, root):
            self.root = root

        def load_clip(self, row):
            calls.append((row["genre"], int(row["track"]), float(row["start"]), float(row["end"])))
            return np.zeros(10, np.float64), 22050

    def fake_captions(path, clips):
        return pd.Series([f"caption of {c}" for c in clips["clip_id"]], index=clips["clip_id"])

    gtzan = types.ModuleType("b2m.datasets._gtzan")
    gtzan.GTZANStimuli = FakeStimuli
    captions = types.ModuleType("b2m.datasets._captions")
    captions.load_captions = fake_captions
    monkeypatch.setitem(sys.modules, "b2m.datasets._gtzan", gtzan)
    monkeypatch.setitem(sys.modules, "b2m.datasets._captions", captions)
    study = load_study(
        "ds003720",
        "sub-001",
        bids_root=raw.root,
        gtzan_dir=tmp_path,
        captions=tmp_path / "c.csv",
        progressbar=False,
    )
    assert study.stimuli.root == tmp_path
    row = study.clips.iloc[7]
    wave, sr = study.load_audio(row["clip_id"])
    assert wave.dtype == np.float32 and sr == 22050
    assert calls == [(row["genre"], int(row["track"]), float(row["start"]), float(row["end"]))]
    assert study.clips["caption"].iloc[3] == f"caption of {study.clips['clip_id'].iloc[3]}"
    assert study.key.startswith("ds003720-captions-") and "-gtzan-" in study.key
    # Audio features are cached by study key: another GTZAN copy must not reuse them.
    other = tmp_path / "other_gtzan"
    other.mkdir()
    again = load_study(
        "ds003720", 1, bids_root=raw.root, gtzan_dir=other, captions="x", progressbar=False
    )
    assert again.key != study.key


def test_simulated_study_rejects_real_data_options():
    with pytest.raises(ValueError, match=r"bids_root applies to dataset='ds003720' only"):
        load_study("simulated", bids_root="/data/ds003720")
    # derivatives is accepted for every dataset (one notebook call serves both), but checked.
    with pytest.raises(ValueError, match=r"derivatives must be one of .*received 'fmriprep'"):
        load_study("simulated", derivatives="fmriprep")
