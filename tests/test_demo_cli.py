"""The demo summary and the command line, on the session's simulated study."""

import json

import pytest

from b2m.cli import main as cli_main
from b2m.demo import format_summary, run_demo

pytestmark = pytest.mark.slow


def test_demo_summary(study_home, tmp_path, capsys):
    out = tmp_path / "demo"
    summary = run_demo(out, data_home=study_home, subjects=["sub-001"], notebooks=False)
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["subjects"] == ["sub-001"]
    spaces = {row["space"] for row in on_disk["decoding"]}
    assert {"acoustic", "musicnn", "genre"} <= spaces
    for row in on_disk["decoding"]:
        assert 0.5 < row["identification"] <= 1.0 and 0 <= row["top1"] <= row["top5"] <= 1
    assert on_disk["genre_classification"]["acoustic"] >= 0.8
    enc = on_disk["encoding"][0]
    assert enc["best_region_mean_r"] > enc["outside_mean_r"]
    assert {"simulate study", "decoding", "encoding", "total"} <= set(on_disk["timings_s"])
    rec = {
        (row["decoded_space"], row["evaluation_space"], row["backend"]): row
        for row in on_disk["reconstruction"]
    }
    own = {b: row for (d, e, b), row in rec.items() if d == e == "acoustic"}
    assert set(own) == {"retrieval", "synth", "decoded", "random training clip"}
    for backend in ("retrieval", "synth"):
        assert own[backend]["subject"] == "sub-001" and own[backend]["n"] == 60
        assert 0.7 < own[backend]["identification"] <= 1.0
        assert own[backend]["genre_agreement"] > 0.4
    assert own["retrieval"]["library"] == "train"
    for backend in ("retrieval", "decoded", "random training clip"):  # distribution metrics
        row = own[backend]
        assert 0 <= row["top1"] <= row["top5"] <= row["top10"] <= 1
        assert row["frechet_low"] <= row["frechet"] <= row["frechet_high"]
    assert own["retrieval"]["top5"] > 2 * own["random training clip"]["top5"]
    assert abs(own["random training clip"]["identification"] - 0.5) < 0.05
    # Independent evaluation: acoustic decodings scored in musicnn (no decoded reference there).
    independent = {b for (d, e, b) in rec if (d, e) == ("acoustic", "musicnn")}
    assert independent == {"retrieval", "synth", "random training clip"}
    assert rec[("acoustic", "musicnn", "retrieval")]["identification"] > 0.65
    assert rec[("musicnn", "acoustic", "retrieval")]["identification"] > 0.65
    assert ("musicnn", "musicnn", "decoded") in rec
    (tags,) = on_disk["decoded_tags"]
    assert tags["space"] == "musicnn" and tags["n_tags_tested"] >= 10
    assert tags["mean_tag_auc"] > tags["tag_auc_chance_high"]
    assert tags["tag_precision"] > tags["tag_precision_chance_high"]
    assert "reconstruction" in on_disk["timings_s"]
    text = capsys.readouterr().out
    assert "Identification accuracy" in text and "Genre classification" in text
    assert "Reconstruction from the acoustic decoding" in text
    own_table, oracle_table = text.split("Reconstruction from the acoustic decoding")[1].split(
        "Oracle, possible only on simulated data"
    )
    assert "frechet" in own_table and "retrieval" in own_table and "synth" not in own_table
    assert "synth" in oracle_table.split("\n\n")[0]
    assert "Decoded musicnn tags" in text and "evaluated in each" in text
    assert "Text vs music" in text
    assert format_summary(summary) in text


def test_cli_simulate_and_errors(study_home, capsys):
    assert cli_main(["--data-home", str(study_home), "simulate", "--subjects", "sub-001"]) == 0
    assert "seed0" in capsys.readouterr().out
    assert cli_main(["--data-home", str(study_home), "simulate", "--subjects", "sub-042"]) == 2
    assert "subjects must be among" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["frobnicate"])


def test_reconstruction_rows_are_the_same_in_worker_processes(study):
    """Subjects reconstructed two at a time in worker processes give the rows of one process."""
    from b2m.analysis import decode_study
    from b2m.demo import _reconstruction_rows

    fit = decode_study(study, "acoustic")
    studies = {"sub-001": study, "again": study}  # two independent jobs with known answers
    fits = {(name, "acoustic", None): fit for name in studies}
    backends = {"acoustic": ("retrieval",)}  # synth would add 6 s of rendering per subject
    alone = _reconstruction_rows(
        {"sub-001": study}, fits, ["acoustic"], backends=backends, n_jobs=1
    )
    both = _reconstruction_rows(studies, fits, ["acoustic"], backends=backends, n_jobs=2)
    assert len(both) == 2 * len(alone) and "retrieval" in {r["backend"] for r in alone}
    for row, expected in zip(both, alone + alone, strict=True):
        assert row.keys() == expected.keys()
        for key, value in expected.items():
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, rel=1e-9, nan_ok=True), key
            else:
                assert row[key] == value, key
