import shutil
from pathlib import Path

import numpy as np
import pytest

from b2m.datasets import ScheduleError, load_schedule, read_events_tsv, validate_schedule

SHARED = Path(__file__).resolve().parents[3] / "shared" / "ds003720-metadata"


def test_packaged_schedule_matches_design():
    s = load_schedule()
    assert len(s) == 18 * 41
    kept = s[~s.is_lead_in]
    train, test = kept[kept.task == "Training"], kept[kept.task == "Test"]
    assert train.clip_id.nunique() == 480 and len(train) == 480
    assert test.clip_id.nunique() == 60 and len(test) == 240
    assert set(test.groupby("clip_id").size()) == {4}
    assert sorted(test.repeat.unique()) == [0, 1, 2, 3]
    assert set(s.genre) == {
        "blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"
    }  # fmt: skip
    # The half-quoted genres of Training run 04 are parsed like the others.
    r4 = s[(s.task == "Training") & (s.run == 4)]
    assert list(r4.genre.iloc[-3:]) == ["classical", "jazz", "metal"]


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/ds003720-metadata is not beside the repo"
)
def test_packaged_events_are_the_real_files():
    for f in sorted((SHARED / "sub-003" / "func").glob("*_events.tsv")):
        packaged = Path(load_schedule.__code__.co_filename).parent / "data" / "ds003720_events"
        assert (packaged / f.name.replace("sub-003_", "")).read_bytes() == f.read_bytes()
    s = load_schedule(SHARED / "sub-005" / "func")
    assert len(s) == 738


def test_read_events_quirks(tmp_path):
    p = tmp_path / "x_events.tsv"
    p.write_bytes(b"onset\tduration\tgenre\ttrack\tstart\tend\r\n0\t15\t'disco'\t9\t4.21\t19.21\r\n"
                  b"15\t15\tjazz'\t7\t1\t16\r\n30\t15\t \"rock\" \t3\t0\t15")  # fmt: skip
    f = read_events_tsv(p)
    assert list(f.genre) == ["disco", "jazz", "rock"]
    assert f.track.dtype.kind == "i" and np.allclose(f.onset, [0, 15, 30])


def test_read_events_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope_events\.tsv"):
        read_events_tsv(tmp_path / "nope_events.tsv")
    p = tmp_path / "bad_events.tsv"
    p.write_text("onset\tduration\tgenre\ttrack\tstart\n0\t15\tpop\t1\t0\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['end'\]"):
        read_events_tsv(p)
    p.write_text("onset\tduration\tgenre\ttrack\tstart\tend\n0\t15\tpop\tone\t0\t15\n")
    with pytest.raises(ValueError, match="column 'track' row 1 must be a number; received 'one'"):
        read_events_tsv(p)


def test_validate_schedule_says_what_differs(tmp_path):
    src = Path(load_schedule.__code__.co_filename).parent / "data" / "ds003720_events"
    shutil.copytree(src, tmp_path / "ev")
    # Break one test run: replace a clip's track in one repeat only.
    p = tmp_path / "ev" / "task-Test_run-02_events.tsv"
    lines = p.read_text().splitlines()
    cols = lines[5].split("\t")
    cols[3] = "77"
    lines[5] = "\t".join(cols)
    p.write_text("\n".join(lines))
    with pytest.raises(ScheduleError) as err:
        load_schedule(tmp_path / "ev")
    msg = str(err.value)
    assert "Test: expected 61" not in msg
    assert "expected every clip 4×" in msg and "expected 60 unique clips, found 61" in msg
    # A missing run is named.
    (tmp_path / "ev" / "task-Training_run-07_events.tsv").unlink()
    with pytest.raises(FileNotFoundError, match="task-Training_run-07"):
        load_schedule(tmp_path / "ev")


def test_validate_detects_wrong_lead_in():
    s = load_schedule()
    idx = s.index[(s.task == "Test") & (s.run == 1) & (s.position == 0)][0]
    s.loc[idx, "clip_id"] = "pop.00099"
    with pytest.raises(ScheduleError, match="Test run 1: first clip is not the run's last clip"):
        validate_schedule(s)
