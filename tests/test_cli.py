"""The ``b2m`` command line, in-process, on the session's simulated study and small folders."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from b2m._utils._validation import NotAvailableError, UnknownNameError
from b2m.cli import _report as _report_module
from b2m.cli import main
from b2m.datasets import _fetch
from b2m.datasets._manifest import load_manifest
from b2m.models import LibraryIndex

pytestmark = pytest.mark.slow

COMMANDS = ("fetch", "fetch-music", "simulate", "demo", "features", "fit", "decode", "report")


def _run(capsys, *argv):
    """Run ``b2m argv`` in-process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code, err, command, message):
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"b2m {command}: error: ")
    assert message in lines[0], lines[0]


# --------------------------------------------------------------------------------------------
# Help
# --------------------------------------------------------------------------------------------
def test_installed_b2m_help():
    exe = shutil.which("b2m", path=str(Path(sys.executable).parent))
    assert exe is not None, "the b2m entry point is not installed beside this Python"
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert command in done.stdout
    assert "examples:" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "b2m.cli", "report", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "RESULTS_DIR" in done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: b2m {command}" in out
    assert "examples:" in out and f"b2m {command}" in out.split("examples:")[1]


def test_malformed_options_exit_through_argparse(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fit", "--space", "acoustic", "--kind", "predict"])
    assert info.value.code == 2
    assert "invalid choice: 'predict'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# features, fit, report, decode on the simulated study
# --------------------------------------------------------------------------------------------
def test_features_of_the_study(study_home, capsys):
    code, out, _ = _run(capsys, "--data-home", study_home, "features", "--space", "acoustic")
    assert code == 0
    path, shape_line = out.strip().splitlines()
    cached = Path(path)
    assert cached.is_file() and cached.is_relative_to(study_home / "features")
    with np.load(cached) as data:
        assert data["embeddings"].shape == (540, 129)
    assert "540 clips × 129 dims" in shape_line
    # --data-home may also follow the subcommand; label spaces are not cached.
    code, out, _ = _run(capsys, "features", "--space", "genre", "--data-home", study_home)
    assert code == 0 and "not cached" in out and "540 clips × 10 dims" in out


@pytest.fixture(scope="module")
def fitted(study_home, tmp_path_factory):
    """Decode and encode sub-001 (acoustic) through the CLI; return the results folder."""
    results = tmp_path_factory.mktemp("results")
    home = str(study_home)
    common = ["--data-home", home, "fit", "--space", "acoustic", "--subject", "1"]
    decode = main([*common, "--kind", "decode", "--out", str(results / "dec")])
    options = ["--n-permutations", "20", "--alphas", "1", "100", "10000"]
    encode = main([*common, "--kind", "encode", *options, "--out", str(results / "enc")])
    assert (decode, encode) == (0, 0)
    return results


def test_fit_decode_saves_arrays_table_params(fitted):
    folder = fitted / "dec"
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "params.json", "table.csv"]
    params = json.loads((folder / "params.json").read_text())
    assert params["kind"] == "decode" and params["subject"] == "sub-001"
    assert params["dataset"] == "simulated" and params["space"] == "acoustic"
    summary = params["summary"]
    assert 0.7 < summary["identification"] <= 1.0
    assert summary["chance_low"] < 0.5 < summary["chance_high"] < summary["identification"]
    with np.load(folder / "arrays.npz") as arrays:
        assert arrays["decoded"].shape == arrays["true"].shape == (60, 129)
        assert arrays["accuracy"].mean() == pytest.approx(summary["identification"])
        assert arrays["test_ids"].dtype.kind == "U"
    table = pd.read_csv(folder / "table.csv")
    assert len(table) == 60 and {"clip_id", "accuracy", "rank"} <= set(table.columns)


def test_fit_encode_saves_maps_and_prints_the_headline(fitted, study_home, capsys):
    folder = fitted / "enc"
    params = json.loads((folder / "params.json").read_text())
    assert params["kind"] == "encode" and params["alphas"] == [1.0, 100.0, 10000.0]
    assert params["n_permutations"] == 20
    with np.load(folder / "arrays.npz") as arrays:
        assert arrays["test_r"].shape == (20484,)
        assert set(np.unique(arrays["alphas"])) <= {1.0, 100.0, 10000.0}
    regions = pd.read_csv(folder / "table.csv")
    assert regions["region"].iloc[0] == params["summary"]["best_region"]
    assert "Heschl" in params["summary"]["best_region"]  # the planted acoustic region
    # The default output folder and the printed headline.
    argv = ["--data-home", study_home, "fit", "--space", "genre", "--kind", "decode"]
    code, out, _ = _run(capsys, *argv)
    default = study_home / "results" / "simulated" / "sub-001" / "decode-genre"
    assert code == 0 and (default / "params.json").is_file()
    acc = json.loads((default / "params.json").read_text())["summary"]["identification"]
    assert f"identification accuracy {acc:.3f}" in out and f"saved to {default}" in out


def test_report_formats(fitted, capsys):
    dec = json.loads((fitted / "dec" / "params.json").read_text())["summary"]
    enc = json.loads((fitted / "enc" / "params.json").read_text())["summary"]
    code, out, _ = _run(capsys, "report", fitted)
    assert code == 0
    assert "Identification accuracy" in out and "sub-001" in out
    assert f"{dec['identification']:.3f}" in out
    assert enc["best_region"] in out and "mean test r per region" in out
    code, out, _ = _run(capsys, "report", fitted, "--format", "json")
    report = json.loads(out)
    assert report["identification"] == [
        {"subject": "sub-001", "acoustic": pytest.approx(dec["identification"])}
    ]
    assert report["encoding"][0]["best_region"] == enc["best_region"]
    code, out, _ = _run(capsys, "report", fitted, "--format", "markdown")
    assert out.startswith("### Identification")
    assert f"| sub-001 | {dec['identification']:.3f} |" in out


def test_decode_prints_json(study_home, capsys):
    code, out, _ = _run(capsys, "--data-home", study_home, "decode", "--spaces", "genre")
    assert code == 0
    (row,) = json.loads(out)
    assert row["space"] == "genre" and 0.5 < row["identification"] <= 1


@pytest.mark.parametrize(
    ("argv", "command", "message"),
    [
        (
            ["fit", "--space", "acoustic", "--kind", "decode", "--subject", "sub-042"],
            "fit",
            "subject must be one of ['sub-001',",
        ),
        (["fit", "--space", "mulan", "--kind", "encode"], "fit", "--space must be one of ["),
        (["features", "--space", "mulan"], "features", "--space must be one of ["),
        (
            ["fit", "--space", "acoustic", "--kind", "decode", "--alphas", "0"],
            "fit",
            "--alphas must be positive numbers; received 0.0",
        ),
        (
            ["fit", "--space", "acoustic", "--kind", "encode", "--n-voxels", "10"],
            "fit",
            "--n-voxels applies to --kind decode only",
        ),
        (
            ["fit", "--space", "acoustic", "--kind", "decode", "--dataset", "hcp"],
            "fit",
            "dataset must be one of ['simulated', 'ds003720']; received 'hcp'",
        ),
        (
            ["features", "--space", "acoustic", "--bids-root", "/nowhere"],
            "features",
            "--bids-root applies to --dataset ds003720 only",
        ),
        (
            ["features", "--space", "acoustic", "--scheduler", "local"],
            "features",
            "--scheduler applies with --music-dir only",
        ),
    ],
)
def test_study_bad_inputs(study_home, capsys, argv, command, message):
    code, _, err = _run(capsys, "--data-home", study_home, *argv)
    _assert_one_line_error(code, err, command, message)


def test_ds003720_without_data_is_a_clear_error(tmp_path, capsys):
    argv = ["--data-home", tmp_path, "fit", "--dataset", "ds003720", "--space", "acoustic"]
    code, _, err = _run(capsys, *argv, "--kind", "decode")
    _assert_one_line_error(code, err, "fit", "ds003720")


def test_debug_shows_the_exception(study_home):
    with pytest.raises(ValueError, match="subject must be one of"):
        main(
            [
                "--data-home",
                str(study_home),
                "--debug",
                "fit",
                "--space",
                "genre",
                "--kind",
                "decode",
                "--subject",
                "sub-042",
            ]
        )


def test_report_without_results(tmp_path, capsys):
    code, _, err = _run(capsys, "report", tmp_path / "nothing")
    _assert_one_line_error(code, err, "report", "which does not exist")
    (tmp_path / "other" / "params.json").parent.mkdir()
    (tmp_path / "other" / "params.json").write_text('{"not": "a fit"}')
    code, _, err = _run(capsys, "report", tmp_path)
    _assert_one_line_error(code, err, "report", "RESULTS_DIR holds no fit results")
    code, _, err = _run(capsys, "--data-home", tmp_path / "home", "report")
    _assert_one_line_error(code, err, "report", "RESULTS_DIR")


# --------------------------------------------------------------------------------------------
# features --music-dir
# --------------------------------------------------------------------------------------------
@pytest.fixture
def music_dir(tmp_path):
    root = tmp_path / "music"
    t = np.arange(3 * 22050) / 22050
    for i, genre in enumerate(["jazz", "jazz", "metal", "metal"]):
        (root / genre).mkdir(parents=True, exist_ok=True)
        wave = 0.3 * np.sin(2 * np.pi * (200 + 60 * i) * t) * (1 + np.sin(2 * np.pi * 3 * t))
        sf.write(root / genre / f"{genre}.{i:05d}.wav", wave.astype(np.float32), 22050)
    (root / "metal" / "cut.flac").write_bytes(b"fLaC truncated")
    return root


def test_music_library(music_dir, tmp_path, capsys):
    out_dir = tmp_path / "lib"
    argv = ["features", "--music-dir", music_dir, "--space", "acoustic", "--out", out_dir]
    code, out, err = _run(capsys, *argv, "--excerpt", "0.5:2.5", "--chunk-size", "3")
    assert code == 0
    assert out.splitlines() == [str(out_dir), "4 files embedded with acoustic (129 dims)"]
    assert "Skipped 1 unreadable file(s):" in err and "metal/cut.flac" in err
    index = LibraryIndex.load(out_dir)
    assert index.n_items == 4 and index.dim == 129
    assert index.metadata["genre"].tolist() == ["jazz", "jazz", "metal", "metal"]
    assert np.allclose(index.metadata["start"], 0.5) and np.allclose(index.metadata["end"], 2.5)
    info = json.loads((out_dir / "library.json").read_text())
    assert info["space"] == "acoustic" and info["excerpt"] == [0.5, 2.5]
    assert [s["path"] for s in info["skipped"]] == ["metal/cut.flac"]
    # --whole, and a Dask scheduler by address: the same library as in-process.
    code, *_ = _run(capsys, *argv, "--whole")
    whole = LibraryIndex.load(out_dir)
    assert code == 0 and np.allclose(whole.metadata["end"], 3.0)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as cluster:
        code, *_ = _run(capsys, *argv, "--whole", "--scheduler", cluster.scheduler_address)
    assert code == 0
    np.testing.assert_array_equal(LibraryIndex.load(out_dir).embeddings, whole.embeddings)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--excerpt", "20:10"], "--excerpt must be START:END in seconds"),
        (["--excerpt", "ten"], "received 'ten'"),
        (["--excerpt", "1:2:3"], "received '1:2:3'"),
        (["--excerpt", "0"], "received '0'"),
        (["--excerpt", "1:3", "--whole"], "--excerpt and --whole exclude each other"),
        (["--chunk-size", "0"], "chunk_size must be a positive integer; received 0"),
        (["--sample-rate", "0"], "sample_rate must be a positive integer sampling rate"),
        (["--space", "genre"], "space must embed audio; received 'genre', a label space"),
        (["--space", "nope"], "--space must be one of"),
        (["--scheduler", "not-an-address"], "scheduler must be None, 'local' or a Dask"),
        (
            ["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "0.5"],
            "could not connect to a Dask scheduler at 'tcp://127.0.0.1:9' within 0.5 s",
        ),
        (["--dataset", "ds003720"], "--dataset applies to a study's clips, not to --music-dir"),
    ],
)
def test_music_library_bad_inputs(music_dir, tmp_path, capsys, extra, message):
    argv = ["features", "--music-dir", music_dir, "--out", tmp_path / "lib"]
    if "--space" not in extra:
        argv += ["--space", "acoustic"]
    code, _, err = _run(capsys, *argv, *extra)
    _assert_one_line_error(code, err, "features", message)
    assert not (tmp_path / "lib").exists()


def test_music_library_bad_folders(tmp_path, capsys):
    base = ["features", "--space", "acoustic"]
    code, _, err = _run(capsys, *base, "--music-dir", tmp_path / "none", "--out", tmp_path / "o")
    _assert_one_line_error(code, err, "features", "folder must be an existing directory")
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, *base, "--music-dir", tmp_path / "empty", "--out", tmp_path / "o")
    _assert_one_line_error(code, err, "features", "folder must contain audio files")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.mp3").write_bytes(b"ID3 nothing")
    code, _, err = _run(capsys, *base, "--music-dir", tmp_path / "junk", "--out", tmp_path / "o")
    _assert_one_line_error(code, err, "features", "none of the 1 audio files")
    code, _, err = _run(capsys, *base, "--music-dir", tmp_path / "junk")
    _assert_one_line_error(code, err, "features", "--out is required with --music-dir")
    code, _, err = _run(capsys, *base, "--music-dir", tmp_path, "--out", tmp_path / "lib.npz")
    _assert_one_line_error(code, err, "features", "--out must be a folder")
    assert not any(tmp_path.glob("o*"))


# --------------------------------------------------------------------------------------------
# fetch
# --------------------------------------------------------------------------------------------
def test_fetch_dry_run_lists_sizes_and_downloads_nothing(tmp_path, capsys):
    argv = ["--data-home", tmp_path, "fetch", "--subjects", "1", "--tasks", "Test", "--runs", "2"]
    code, out, _ = _run(capsys, *argv, "--dry-run")
    assert code == 0
    lines = out.splitlines()
    entries = load_manifest().dataset("ds003720")
    anat = entries.file("sub-001/anat/sub-001_T1w.nii")
    run = entries.file("sub-001/func/sub-001_task-Test_run-02_bold.nii")
    assert lines[:2] == [
        f"{anat.size / 2**20:>6.1f} MiB  {anat.path}",
        f"{run.size / 2**20:>6.1f} MiB  {run.path}",
    ]
    assert lines[2].startswith("2 files, ") and "nothing was downloaded" in lines[2]
    assert not (tmp_path / "ds003720").exists()
    code, out, _ = _run(capsys, *argv, "--no-anat", "--dry-run")
    assert code == 0 and "T1w" not in out and out.count("\n") == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--subjects", "7"], "subjects must be among ['sub-001',"),
        (["--tasks", "Rest"], "tasks must be among ['Test', 'Training']"),
        (["--runs", "13"], "runs must be among ['01', '02',"),
        (["--tasks", "Test", "--runs", "9"], "No ds003720 BOLD run matches --tasks Test --runs 9"),
        (["--mirror", "ftp://mirror"], "--mirror must be an http:// or https:// URL prefix"),
    ],
)
def test_fetch_bad_inputs(tmp_path, capsys, extra, message):
    code, _, err = _run(capsys, "--data-home", tmp_path, "fetch", "--dry-run", *extra)
    _assert_one_line_error(code, err, "fetch", message)


_TINY_MANIFEST = """
version: 1
datasets:
  ds003720:
    description: A two-file stand-in for the test.
    licence: CC0-1.0
    redistributable: true
    provenance: Written by the test.
    homepage: https://openneuro.org/datasets/ds003720
    files:
"""


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A 127.0.0.1 server holding a tiny ds003720, and the manifest that lists it."""
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv(_fetch.MIRROR_ENV_VAR, raising=False)
    served = tmp_path / "served"
    bodies = {
        "sub-001/anat/sub-001_T1w.nii": (b"anat" * 300, "anat"),
        "sub-001/func/sub-001_task-Test_run-01_bold.nii": (b"bold" * 500, "func"),
    }
    text = _TINY_MANIFEST
    for path, (body, kind) in bodies.items():
        (served / "ds003720" / path).parent.mkdir(parents=True, exist_ok=True)
        (served / "ds003720" / path).write_bytes(body)
        digest = hashlib.md5(body).hexdigest()
        text += (
            f"      - path: {path}\n        url: https://example.invalid/{path}\n"
            f"        size: {len(body)}\n        hash: md5:{digest}\n        kind: {kind}\n"
        )
    (tmp_path / "manifest.yaml").write_text(text)
    manifest = load_manifest(tmp_path / "manifest.yaml")
    monkeypatch.setattr(_fetch, "load_manifest", lambda path=None: manifest)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=served))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", bodies
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_fetch_from_a_mirror(mirror, tmp_path, capsys):
    url, bodies = mirror
    home = tmp_path / "home"
    code, out, _ = _run(
        capsys, "fetch", "--subjects", "sub-001", "--data-home", home, "--mirror", url
    )
    assert code == 0 and out.strip() == str(home / "ds003720")
    for path, (body, _) in bodies.items():
        assert (home / "ds003720" / path).read_bytes() == body
    events = home / "ds003720" / "sub-001" / "func" / "sub-001_task-Test_run-01_events.tsv"
    assert events.is_file()
    assert _fetch.MIRROR_ENV_VAR not in __import__("os").environ  # restored
    code, out, _ = _run(capsys, "--data-home", home, "fetch", "--dry-run")
    assert code == 0 and out.count("(present)") == 2 and "0 B to download" in out
    # A mirror without the files: one line naming the URL and the HTTP status.
    code, _, err = _run(capsys, "--data-home", tmp_path / "h2", "fetch", "--mirror", url + "/x")
    _assert_one_line_error(code, err, "fetch", "HTTP 404")
    assert url + "/x/ds003720/sub-001/anat/sub-001_T1w.nii" in err


@pytest.mark.parametrize(
    ("error", "is_user_error"),
    [
        (UnknownNameError("clip_ids: unknown clip 'x' in study simulated/sub-001."), True),
        (NotAvailableError("The 'acoustic' feature space has no text embedding."), True),
        (KeyError("internal"), False),
        (NotImplementedError("internal"), False),
    ],
)
def test_only_bad_input_is_reported_in_one_line(
    monkeypatch, tmp_path, capsys, error, is_user_error
):
    """Unknown names and unavailable operations are bad input (exit 2, one line); a bare
    KeyError or NotImplementedError is a bug and must keep its traceback."""

    def fail(args):
        raise error

    monkeypatch.setattr(_report_module, "_report", fail)
    argv = ["--data-home", str(tmp_path), "report"]
    if is_user_error:
        code, _, err = _run(capsys, *argv)
        _assert_one_line_error(code, err, "report", str(error))
    else:
        with pytest.raises(type(error)):
            main(argv)
