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
    assert {"acoustic", "genre"} <= spaces
    for row in on_disk["decoding"]:
        assert 0.5 < row["identification"] <= 1.0 and 0 <= row["top1"] <= row["top5"] <= 1
    assert on_disk["genre_classification"]["acoustic"] >= 0.8
    enc = on_disk["encoding"][0]
    assert enc["best_region_mean_r"] > enc["outside_mean_r"]
    assert {"simulate study", "decoding", "encoding", "total"} <= set(on_disk["timings_s"])
    rec = {row["backend"]: row for row in on_disk["reconstruction"]}
    assert set(rec) == {"retrieval", "synth", "decoded", "random training clip"}
    for backend in ("retrieval", "synth"):
        assert rec[backend]["subject"] == "sub-001" and rec[backend]["n"] == 60
        assert 0.7 < rec[backend]["identification"] <= 1.0
        assert rec[backend]["genre_agreement"] > 0.4
    assert abs(rec["random training clip"]["identification"] - 0.5) < 0.05
    assert "reconstruction" in on_disk["timings_s"]
    text = capsys.readouterr().out
    assert "Identification accuracy" in text and "Genre classification" in text
    assert "Reconstruction from the acoustic decoding" in text
    assert "Text vs music" in text
    assert format_summary(summary) in text


def test_cli_simulate_and_errors(study_home, capsys):
    assert cli_main(["--data-home", str(study_home), "simulate", "--subjects", "sub-001"]) == 0
    assert "seed0" in capsys.readouterr().out
    assert cli_main(["--data-home", str(study_home), "simulate", "--subjects", "sub-042"]) == 2
    assert "subjects must be among" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["frobnicate"])
