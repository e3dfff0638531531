import numpy as np
import pytest

from b2m.datasets import ResponseWindow, clean_run, extract_clip_responses, load_schedule


def _runs(signal_of, n_vertices=6, noise=0.0, seed=0):
    """Boxcar time series: each clip's value held during [onset+3, onset+18) s."""
    rng = np.random.default_rng(seed)
    s = load_schedule()
    runs = []
    for _, ev in s.groupby(["task", "run"], sort=False):
        bold = np.zeros((410, n_vertices), np.float32)
        t = np.arange(410) * 1.5
        for onset, cid in zip(ev.onset, ev.clip_id, strict=True):
            bold[(t >= onset + 3) & (t < onset + 18)] = signal_of(cid)
        bold += noise * rng.standard_normal(bold.shape).astype(np.float32)
        runs.append((ev, bold))
    return runs


def test_recovers_planted_clip_values():
    values = {}

    def signal_of(cid):
        return values.setdefault(cid, np.random.default_rng(len(values)).standard_normal(6))

    r = extract_clip_responses(_runs(signal_of), window=ResponseWindow(delay=3.0))
    assert r.train.shape == (480, 6) and r.test_repeats.shape == (4, 60, 6)
    want_train = np.stack([values[c] for c in r.train_ids])
    np.testing.assert_allclose(r.train, want_train, atol=1e-6)
    np.testing.assert_allclose(r.test, np.stack([values[c] for c in r.test_ids]), atol=1e-6)
    assert len(set(r.train_runs)) == 12 and len(set(r.test_runs)) == 6
    assert len(r.to_frame()) == 540
    # A window with the wrong delay blends neighbouring clips.
    shifted = extract_clip_responses(_runs(signal_of), window=ResponseWindow(delay=0.0))
    assert not np.allclose(shifted.train, want_train, atol=1e-3)


def test_window_validation():
    with pytest.raises(ValueError, match="delay must be"):
        ResponseWindow(delay=-1)
    with pytest.raises(ValueError, match="duration must be"):
        ResponseWindow(duration=0)
    w = ResponseWindow(delay=3.0)
    assert list(w.volumes(0.0, 15.0, 410, 1.5)) == list(range(2, 12))


def test_clean_run_zscores_and_detrends():
    t = np.arange(410, dtype=np.float32)[:, None]
    bold = 5 + 0.01 * t + np.sin(t / 7.0)
    out = clean_run(bold)
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(0, ddof=1), 1, atol=1e-3)
    with pytest.raises(ValueError, match="bold must be finite"):
        clean_run(np.full((10, 3), np.nan))
    with pytest.raises(ValueError, match="confounds must have shape"):
        clean_run(bold, confounds=np.zeros((5, 2)))


def test_inconsistent_runs_error():
    runs = _runs(lambda c: np.ones(6))
    ev, bold = runs[1]
    runs[1] = (ev, bold[:, :4])
    with pytest.raises(ValueError, match=r"runs\[1\] bold has 4 vertices"):
        extract_clip_responses(runs)


def test_clip_responses_save_and_load_round_trip(tmp_path):
    from b2m.datasets import ClipResponses, ResponseWindow

    rng = np.random.default_rng(0)
    responses = ClipResponses(
        train=rng.standard_normal((4, 3)).astype(np.float32),
        train_ids=np.array(["blues.00001", "jazz.00002", "pop.00003", "rock.00004"]),
        train_runs=np.array([1, 1, 2, 2]),
        test_repeats=rng.standard_normal((2, 2, 3)).astype(np.float32),
        test_ids=np.array(["metal.00005", "disco.00006"]),
        test_runs=np.array([1, 1]),
        window=ResponseWindow(delay=0.0, duration=9.0),
    )
    path = responses.save(tmp_path / "r.npz", note=np.array("kept beside"))
    back = ClipResponses.load(path)
    for key in ("train", "train_ids", "train_runs", "test_repeats", "test_ids", "test_runs"):
        np.testing.assert_array_equal(getattr(back, key), getattr(responses, key))
    assert back.window == responses.window
    default = ClipResponses(**{**responses.__dict__, "window": ResponseWindow()})
    assert ClipResponses.load(default.save(tmp_path / "d.npz")).window == ResponseWindow()
    with pytest.raises(
        ValueError, match=r"must not reuse the responses' keys; received \['train'\]"
    ):
        responses.save(tmp_path / "x.npz", train=np.zeros(1))
    assert not (tmp_path / "x.npz").exists()
    np.savez(tmp_path / "other.npz", a=np.zeros(1))
    with pytest.raises(KeyError, match="not a clip-responses file"):
        ClipResponses.load(tmp_path / "other.npz")
