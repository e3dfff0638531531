"""The data manifest: the packaged file validates, matches ds003720, and bad files are rejected."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from b2m.datasets._manifest import (
    MANIFEST_PATH,
    DatasetEntry,
    FileEntry,
    Manifest,
    ManifestError,
    load_manifest,
)

REPO = Path(__file__).resolve().parents[2]
ANNEXED_TSV = REPO.parent / "shared" / "ds003720-metadata" / "annexed-files.tsv"
S3_PREFIX = "https://s3.amazonaws.com/openneuro.org/ds003720/"
MD5 = "md5:" + "0" * 32
SHA = "sha256:" + "a" * 64


# --------------------------------------------------------------------------------------------
# The packaged manifest
# --------------------------------------------------------------------------------------------
def test_packaged_manifest_validates():
    manifest = load_manifest()
    assert isinstance(manifest, Manifest)
    assert manifest.version == 1
    assert manifest.names == (
        "ds003720",
        "gtzan",
        "brain2music_captions",
        "clap_music",
        "w2v_bert",
        "musicgen_small",
        "audioldm_s_full_v2",
        "musicldm",
    )
    assert load_manifest() is manifest  # cached
    assert load_manifest(MANIFEST_PATH) == manifest


def test_packaged_manifest_terms():
    manifest = load_manifest()
    ds = manifest.dataset("ds003720")
    assert ds.licence == "CC0-1.0" and ds.redistributable and not ds.local_only
    assert ds.doi == "10.18112/openneuro.ds003720.v1.0.0"
    assert "Brain and Behavior" in ds.citation
    for name in ("gtzan", "brain2music_captions", "clap_music"):
        entry = manifest.dataset(name)
        assert entry.local_only and entry.files == () and entry.instructions
    assert not manifest.dataset("gtzan").redistributable
    assert any("jazz.00054" in issue for issue in manifest.dataset("gtzan").known_issues)
    clap = manifest.dataset("clap_music")
    assert clap.repo_id == "laion/larger_clap_music"
    assert len(clap.revision) == 40 and clap.pinned is True  # a commit, not a moving branch
    w2v = manifest.dataset("w2v_bert")
    assert w2v.repo_id == "facebook/w2v-bert-2.0" and w2v.local_only and w2v.pinned


def test_ds003720_urls_point_to_openneuro_s3():
    ds = load_manifest().dataset("ds003720")
    for entry in ds.files:
        assert entry.urls == (S3_PREFIX + entry.path,)
        assert entry.kind == entry.path.split("/")[1]
    assert ds.subjects == ("sub-001", "sub-002", "sub-003", "sub-004", "sub-005")
    assert ds.tasks == ("Test", "Training")


def test_ds003720_matches_annexed_files():
    if not ANNEXED_TSV.is_file():
        pytest.skip(f"the ds003720 metadata is not beside the repository ({ANNEXED_TSV} missing)")
    with ANNEXED_TSV.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    expected = {r["path"]: (int(r["size_bytes"]), "md5:" + r["md5"]) for r in rows}
    ds = load_manifest().dataset("ds003720")
    listed = {f.path: (f.size, f.hash) for f in ds.files}
    assert len(expected) == 95
    assert listed == expected


def test_repo_root_symlink_points_to_packaged_manifest():
    link = REPO / "data_manifest.yaml"
    if not link.exists():
        pytest.skip("not running from a source checkout (no data_manifest.yaml at the root)")
    assert link.is_symlink()
    assert link.resolve() == MANIFEST_PATH.resolve()


# --------------------------------------------------------------------------------------------
# Lookups and BIDS filtering
# --------------------------------------------------------------------------------------------
def test_unknown_dataset_lists_known_ones():
    with pytest.raises(KeyError, match=r"dataset must be one of \['ds003720', 'gtzan'.*'nope'"):
        load_manifest().dataset("nope")
    assert "gtzan" in load_manifest()


def test_file_entry_entities():
    ds = load_manifest().dataset("ds003720")
    bold = ds.file("sub-002/func/sub-002_task-Training_run-11_bold.nii")
    assert bold.entities == {"sub": "002", "task": "Training", "run": "11"}
    assert bold.suffix == "bold" and bold.name == "sub-002_task-Training_run-11_bold.nii"
    assert bold.hash_algorithm == "md5" and bold.url == bold.urls[0]
    anat = ds.file("sub-002/anat/sub-002_T1w.nii")
    assert anat.entities == {"sub": "002"} and anat.suffix == "T1w"
    with pytest.raises(KeyError, match="path must be a file of dataset 'ds003720'"):
        ds.file("sub-009/anat/sub-009_T1w.nii")


@pytest.mark.parametrize(
    ("kwargs", "n_files"),
    [
        ({}, 95),
        ({"subjects": 1}, 19),
        ({"subjects": ["sub-001", "002"]}, 38),
        ({"subjects": "sub-003", "tasks": "Test"}, 1 + 6),
        ({"tasks": "training", "runs": [1, 2]}, 5 * (1 + 2)),
        ({"tasks": "Test", "runs": "run-06"}, 5 * 2),
        ({"kinds": "func"}, 90),
        ({"kinds": ["anat"]}, 5),
        ({"subjects": 4, "tasks": "Test", "kinds": "func"}, 6),
    ],
)
def test_files_matching(kwargs, n_files):
    files = load_manifest().dataset("ds003720").files_matching(**kwargs)
    assert len(files) == n_files
    assert all(isinstance(f, FileEntry) for f in files)


def test_files_matching_keeps_manifest_order_and_anat():
    files = load_manifest().dataset("ds003720").files_matching(subjects=5, tasks="Test", runs=3)
    assert [f.path for f in files] == [
        "sub-005/anat/sub-005_T1w.nii",
        "sub-005/func/sub-005_task-Test_run-03_bold.nii",
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"subjects": 9}, ValueError, r"subjects must be among \['sub-001', .*'sub-005'\].*9"),
        ({"subjects": "sub-010"}, ValueError, r"subjects must be among .*received 'sub-010'"),
        ({"tasks": "Rest"}, ValueError, r"tasks must be among \['Test', 'Training'\].*'Rest'"),
        ({"runs": 13}, ValueError, r"runs must be among \['01', .*'12'\].*received 13"),
        ({"kinds": "dwi"}, ValueError, r"kinds must be among \['anat', 'func'\].*'dwi'"),
        ({"subjects": 1.0}, TypeError, r"subjects must be .*received float"),
        ({"subjects": [True]}, TypeError, r"subjects must contain str or int values"),
        ({"tasks": [1]}, TypeError, r"tasks must contain str values; received 1"),
    ],
)
def test_files_matching_rejects_bad_values(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        load_manifest().dataset("ds003720").files_matching(**kwargs)


def test_files_matching_on_local_only_dataset():
    with pytest.raises(ValueError, match="dataset 'gtzan' is local_only"):
        load_manifest().dataset("gtzan").files_matching()


# --------------------------------------------------------------------------------------------
# Malformed manifests
# --------------------------------------------------------------------------------------------
def _dataset(**overrides):
    body = {
        "description": "Tiny test dataset.",
        "licence": "CC0-1.0",
        "redistributable": True,
        "provenance": "Made up for a test.",
        "homepage": "https://example.org/tiny",
        "files": [
            {"path": "a/one.bin", "url": "https://example.org/one.bin", "size": 3, "hash": MD5},
            {"path": "a/two.bin", "urls": ["https://example.org/two.bin"], "size": 4, "hash": SHA},
        ],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _write(tmp_path, doc) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def _file(**overrides):
    entry = {"path": "a/one.bin", "url": "https://example.org/one.bin", "size": 3, "hash": MD5}
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


def test_minimal_manifest_loads(tmp_path):
    manifest = load_manifest(_write(tmp_path, {"version": 1, "datasets": {"tiny": _dataset()}}))
    tiny = manifest.dataset("tiny")
    assert isinstance(tiny, DatasetEntry)
    assert [f.path for f in tiny.files] == ["a/one.bin", "a/two.bin"]
    assert tiny.files[1].hash_algorithm == "sha256"
    assert tiny.total_size == 7
    assert manifest.source == str(tmp_path / "manifest.yaml")


@pytest.mark.parametrize(
    ("files", "pattern"),
    [
        ([_file(hash=None)], r"datasets\.tiny\.files\[0\] \('a/one\.bin'\): missing .*'hash'"),
        ([_file(size=None)], r"files\[0\] \('a/one\.bin'\): missing required field 'size'"),
        ([_file(url=None)], r"files\[0\] \('a/one\.bin'\): missing required field 'url'"),
        ([_file(hash="sha1:" + "0" * 40)], r"field 'hash' must be .*received 'sha1:0+'"),
        ([_file(hash="md5:abc")], r"field 'hash' must be .*received 'md5:abc'"),
        ([_file(hash="0" * 32)], r"field 'hash' must be a string 'sha256:"),
        ([_file(hash="MD5:" + "A" * 32)], r"field 'hash' must be"),
        ([_file(size=-1)], r"field 'size' must be a non-negative integer .*received -1"),
        ([_file(size="3")], r"field 'size' must be a non-negative integer .*received '3'"),
        ([_file(url="ftp://example.org/x")], r"field 'url' must be an http.*'ftp://example"),
        ([_file(urls=["https://a/b"])], r"give either 'url' or 'urls', not both"),
        ([_file(url=None, urls=[])], r"field 'urls' must be a non-empty list"),
        ([_file(path="../escape.bin")], r"field 'path' must be a relative POSIX path"),
        ([_file(path="/abs.bin")], r"field 'path' must be a relative POSIX path"),
        ([_file(checksum="x")], r"files\[0\] \('a/one\.bin'\): unknown field 'checksum'"),
        (
            [_file(), _file()],
            r"files\[1\] \('a/one\.bin'\): duplicate path 'a/one\.bin'.*files\[0\]",
        ),
        ([], r"datasets\.tiny: field 'files' must be a non-empty list"),
        (["a/one.bin"], r"files\[0\]: expected a mapping"),
    ],
)
def test_malformed_file_entries(tmp_path, files, pattern):
    path = _write(tmp_path, {"version": 1, "datasets": {"tiny": _dataset(files=files)}})
    with pytest.raises(ManifestError, match=pattern):
        load_manifest(path)


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"licence": None}, r"datasets\.tiny: missing required field 'licence'"),
        ({"homepage": None}, r"datasets\.tiny: missing required field 'homepage'"),
        ({"license": "MIT"}, r"datasets\.tiny: unknown field 'license'"),
        ({"redistributable": "yes"}, r"field 'redistributable' must be true or false"),
        ({"files": None}, r"datasets\.tiny: missing required field 'files'"),
        ({"local_only": True}, r"datasets\.tiny: give either 'files' or 'local_only: true'"),
        (
            {"files": None, "local_only": True},
            r"datasets\.tiny: missing required field 'instructions'",
        ),
        ({"authors": "A. Person"}, r"field 'authors' must be a list of strings"),
        ({"pinned": "no"}, r"field 'pinned' must be true or false"),
        ({"default_dir": "../up"}, r"field 'default_dir' must be a relative POSIX path"),
    ],
)
def test_malformed_dataset_entries(tmp_path, overrides, pattern):
    path = _write(tmp_path, {"version": 1, "datasets": {"tiny": _dataset(**overrides)}})
    with pytest.raises(ManifestError, match=pattern):
        load_manifest(path)


@pytest.mark.parametrize(
    ("doc", "pattern"),
    [
        ({"version": 2, "datasets": {"tiny": _dataset()}}, r"field 'version' must be 1; .* 2"),
        ({"datasets": {"tiny": _dataset()}}, r"top level: missing required field 'version'"),
        ({"version": 1}, r"top level: missing required field 'datasets'"),
        ({"version": 1, "datasets": {}}, r"field 'datasets' must be a non-empty mapping"),
        ({"version": 1, "datasets": {"tiny": _dataset()}, "extra": 1}, r"unknown field 'extra'"),
        ({"version": 1, "datasets": {"bad name": _dataset()}}, r"dataset names must be"),
        ({"version": 1, "datasets": {"tiny": "oops"}}, r"datasets\.tiny: expected a mapping"),
        ("- just\n- a list\n", r"top level: expected a mapping; received list"),
        ("version: 1\ndatasets: {tiny: [\n", r"not valid YAML"),
    ],
)
def test_malformed_manifests(tmp_path, doc, pattern):
    with pytest.raises(ManifestError, match=pattern):
        load_manifest(_write(tmp_path, doc))


def test_manifest_error_names_the_file(tmp_path):
    path = _write(tmp_path, {"version": 3, "datasets": {"tiny": _dataset()}})
    with pytest.raises(ManifestError, match=r"Invalid data manifest '.*manifest\.yaml'"):
        load_manifest(path)


def test_missing_manifest_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="path must be an existing manifest file"):
        load_manifest(tmp_path / "nope.yaml")
