"""GTZANStimuli: layouts, the excerpt cut, fades, RMS, resampling and every file error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from b2m.datasets import (
    GTZAN_ENV_VAR,
    GTZANFileError,
    GTZANFileNotFoundError,
    GTZANStimuli,
    load_schedule,
)
from b2m.datasets.simulation.music import GENRES

SR = 22050


def tone_freq(genre: str, track: int) -> float:
    """The tone of a fake GTZAN file: its frequency encodes genre and track."""
    return 100.0 + 40.0 * GENRES.index(genre) + 0.4 * track


def write_track(folder, genre, track, *, seconds=30.0, sr=SR, ext=".wav", data=None):
    """Write one fake GTZAN file (a sine tone unless ``data`` is given); return its path."""
    path = folder / genre / f"{genre}.{track:05d}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        t = np.arange(round(seconds * sr)) / sr
        data = 0.3 * np.sin(2 * np.pi * tone_freq(genre, track) * t)
    fmt = "AU" if ext == ".au" else "WAV"
    sf.write(path, data, sr, subtype="PCM_16", format=fmt)
    return path


def clip(genre, track, start=3.0, end=18.0, **extra):
    return {"genre": genre, "track": track, "start": start, "end": end, **extra}


def peak_freq(x, sr):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.fft.rfftfreq(x.size, 1 / sr)[np.argmax(spectrum)]


@pytest.fixture
def tree(tmp_path):
    """A tiny GTZAN copy in the original layout: blues.00017, jazz.00003, rock.00099."""
    root = tmp_path / "gtzan"
    for genre, track in (("blues", 17), ("jazz", 3), ("rock", 99)):
        write_track(root / "genres", genre, track)
    return root


# -- layouts and roots ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("layout", "sub", "ext"),
    [
        ("genres", "genres", ".wav"),
        ("genres", "genres", ".au"),
        ("genres_original", "genres_original", ".wav"),
        ("flat", "", ".wav"),
    ],
)
def test_layouts_are_found_and_clip_is_the_right_file(tmp_path, layout, sub, ext):
    root = tmp_path / "copy"
    folder = root / sub if sub else root
    path = write_track(folder, "disco", 42, ext=ext)
    write_track(folder, "disco", 41, ext=ext)  # a neighbour with another tone
    stim = GTZANStimuli(root)
    assert stim.layout == layout
    assert stim.genres_dir == folder
    assert stim.path("disco", 42) == path
    waveform, sr = stim.load_clip(clip("disco", 42))
    assert sr == SR and waveform.dtype == np.float32 and waveform.shape == (15 * SR,)
    assert peak_freq(waveform, sr) == pytest.approx(tone_freq("disco", 42), abs=0.1)


def test_default_root_from_env_then_data_home(tmp_path, monkeypatch, _isolated_data_home):
    env_root = tmp_path / "elsewhere"
    write_track(env_root / "genres_original", "pop", 1)
    monkeypatch.setenv(GTZAN_ENV_VAR, str(env_root))
    assert GTZANStimuli().genres_dir == env_root / "genres_original"
    monkeypatch.delenv(GTZAN_ENV_VAR)
    with pytest.raises(FileNotFoundError, match=r"default <data home>/gtzan.*does not exist"):
        GTZANStimuli()
    write_track(_isolated_data_home / "gtzan" / "genres", "pop", 1)
    stim = GTZANStimuli()
    assert stim.root == _isolated_data_home / "gtzan" and stim.layout == "genres"


def test_root_errors(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"root must be .*nope.*does not exist.*set B2M_GTZAN"
    ):
        GTZANStimuli(tmp_path / "nope")
    (tmp_path / "other" / "songs").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"genres_original.*contains \['songs'\]"):
        GTZANStimuli(tmp_path / "other")


# -- the cut, fades, RMS, resampling ---------------------------------------------------
def test_cut_is_sample_aligned(tmp_path):
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 30 * SR)
    path = write_track(tmp_path / "genres", "metal", 5, data=noise)
    raw, _ = sf.read(path, dtype="float64")
    waveform, _ = GTZANStimuli(tmp_path, fade=0.0).load_clip(clip("metal", 5, 3.3, 18.3))
    i0 = round(3.3 * SR)
    expected = raw[i0 : i0 + 15 * SR]
    np.testing.assert_allclose(waveform, expected * 0.1 / np.sqrt(np.mean(expected**2)), atol=1e-6)
    # the test can tell a one-sample shift: white noise decorrelates
    shifted = raw[i0 + 1 : i0 + 1 + 15 * SR]
    assert abs(np.corrcoef(waveform, shifted)[0, 1]) < 0.05
    assert np.corrcoef(waveform, expected)[0, 1] > 0.999999


def test_real_schedule_row(tmp_path):
    schedule = load_schedule()
    row = schedule.iloc[1]  # a pandas Series with extra columns
    write_track(tmp_path / "genres", row["genre"], int(row["track"]))
    waveform, sr = GTZANStimuli(tmp_path).load_clip(row)
    assert waveform.shape == (round((row["end"] - row["start"]) * SR),)
    assert peak_freq(waveform, sr) == pytest.approx(tone_freq(row["genre"], row["track"]), abs=0.1)
    # a namedtuple row (itertuples) works too
    named = next(schedule.iloc[[1]].itertuples(index=False))
    np.testing.assert_array_equal(GTZANStimuli(tmp_path).load_clip(named)[0], waveform)


def test_fades_and_rms(tree):
    start, end = 4.0, 19.0
    waveform, _ = GTZANStimuli(tree).load_clip(clip("blues", 17, start, end))
    raw, _ = sf.read(tree / "genres" / "blues" / "blues.00017.wav", dtype="float64")
    excerpt = raw[round(start * SR) : round(end * SR)]
    n_fade = 2 * SR
    ramp = np.ones(excerpt.size)
    ramp[:n_fade] = np.arange(n_fade) / (n_fade - 1)
    ramp[-n_fade:] = ramp[:n_fade][::-1]
    expected = excerpt * ramp
    expected *= 0.1 / np.sqrt(np.mean(expected**2))
    np.testing.assert_allclose(waveform, expected, atol=1e-6)
    assert np.sqrt(np.mean(waveform.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-5)
    assert waveform[0] == 0 and waveform[-1] == 0
    env = np.abs(waveform).reshape(-1, SR // 10).max(axis=1)  # 0.1 s envelope
    assert np.all(np.diff(env[:20]) > 0) and np.all(np.diff(env[-20:]) < 0)
    assert np.ptp(env[25:-25]) < 0.01 * env.max()  # flat between the fades


@pytest.mark.parametrize("rate", [48000, 16000])
def test_resampling(tree, rate):
    start = 3.0
    stim = GTZANStimuli(tree, sample_rate=rate, fade=0.0)
    waveform, sr = stim.load_clip(clip("jazz", 3, start, start + 15.0))
    assert sr == rate and waveform.shape == (15 * rate,)
    assert np.sqrt(np.mean(waveform.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)
    t = start + np.arange(waveform.size) / rate
    analytic = 0.1 * np.sqrt(2) * np.sin(2 * np.pi * tone_freq("jazz", 3) * t)
    middle = slice(rate, -rate)  # away from the filter's edge effects
    np.testing.assert_allclose(waveform[middle], analytic[middle], atol=3e-3)
    faded, _ = GTZANStimuli(tree, sample_rate=rate).load_clip(clip("jazz", 3))
    assert faded.shape == (15 * rate,) and faded[0] == 0 and faded[-1] == 0


def test_stereo_44100_is_mixed_to_mono_and_resampled(tmp_path):
    sr = 44100
    t = np.arange(30 * sr) / sr
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 300 * t), 0.3 * np.sin(2 * np.pi * 700 * t)], 1)
    write_track(tmp_path / "genres", "pop", 7, sr=sr, data=stereo)
    waveform, out_sr = GTZANStimuli(tmp_path).load_clip(clip("pop", 7))
    assert out_sr == SR and waveform.shape == (15 * SR,)
    spectrum = np.abs(np.fft.rfft(waveform))
    freqs = np.fft.rfftfreq(waveform.size, 1 / SR)
    peaks = [spectrum[np.argmin(np.abs(freqs - f))] for f in (300, 700)]
    assert peaks[0] == pytest.approx(peaks[1], rel=0.05)
    assert sorted(freqs[np.argsort(spectrum)[-2:]].round()) == [300.0, 700.0]


# -- file errors -----------------------------------------------------------------------
def corrupt(root, genre="jazz", track=54):
    path = root / "genres" / genre / f"{genre}.{track:05d}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    return path


def test_corrupt_file_names_file_and_clips(tree):
    path = corrupt(tree)
    stim = GTZANStimuli(tree)
    with pytest.raises(GTZANFileError, match=r"jazz\.00054\.wav.*cannot be read") as info:
        stim.load_clip(clip("jazz", 54))
    err = info.value
    assert isinstance(err, OSError) and not isinstance(err, FileNotFoundError)
    assert err.problem == "unreadable" and err.path == path and err.clip_ids == ("jazz.00054",)
    assert "needed by clip(s) jazz.00054" in str(err)
    # two excerpts of the bad file: both are named
    clips = pd.DataFrame(
        [clip("jazz", 54, 1.0, 16.0, clip_id="a"), clip("jazz", 54, 5.0, 20.0, clip_id="b")]
    )
    with pytest.raises(GTZANFileError, match=r"needed by clip\(s\) a, b\."):
        stim.load_clips(clips, progressbar=False)


def test_missing_file(tree):
    with pytest.raises(GTZANFileNotFoundError, match=r"country\.00012\.wav' not found") as info:
        GTZANStimuli(tree).load_clip(clip("country", 12))
    assert isinstance(info.value, FileNotFoundError)
    assert "needed by clip(s) country.00012" in str(info.value)
    assert info.value.problem == "missing"


def test_track_too_short(tree):
    write_track(tree / "genres", "rock", 1, seconds=20.0)
    stim = GTZANStimuli(tree)
    with pytest.raises(
        GTZANFileError, match=r"too short: it ends at 20\.000 s.*rock\.00001"
    ) as info:
        stim.load_clip(clip("rock", 1, 7.0, 22.0))
    assert info.value.problem == "too short"
    # starting after the end of the file is too short as well, not unreadable
    with pytest.raises(GTZANFileError, match="too short"):
        stim.load_clip(clip("rock", 1, 21.0, 36.0))
    # a track 0.02 s short of `end` is padded (within the default tolerance) ...
    write_track(tree / "genres", "rock", 2, seconds=29.98)
    waveform, _ = stim.load_clip(clip("rock", 2, 15.0, 30.0))
    assert waveform.shape == (15 * SR,) and waveform[-1] == 0
    # ... but not with tolerance=0
    with pytest.raises(GTZANFileError, match="too short"):
        GTZANStimuli(tree, tolerance=0).load_clip(clip("rock", 2, 15.0, 30.0))


def test_skip_continues_and_reports(tree):
    corrupt(tree)
    write_track(tree / "genres", "rock", 1, seconds=10.0)
    clips = pd.DataFrame(
        [
            clip("blues", 17),
            clip("jazz", 54),
            clip("country", 12),
            clip("rock", 1),
            clip("rock", 99),
        ]
    )
    raising = GTZANStimuli(tree)
    with pytest.raises(GTZANFileError, match=r"jazz\.00054"):
        raising.load_clips(clips, progressbar=False)
    stim = GTZANStimuli(tree, on_error="skip")
    with pytest.warns(
        UserWarning, match=r"Skipped 3 of 5 clip\(s\).*jazz\.00054 \(unreadable"
    ) as rec:
        out = stim.load_clips(clips, progressbar=False)
    message = str(rec[0].message)
    assert "country.00012 (missing" in message and "rock.00001 (too short" in message
    assert list(out) == ["blues.00017", "rock.00099"]
    assert all(w.shape == (15 * SR,) for w in out.values())
    assert stim.skipped["clip_id"].tolist() == ["jazz.00054", "country.00012", "rock.00001"]
    assert stim.skipped["problem"].tolist() == ["unreadable", "missing", "too short"]
    # check() finds the same problems, whatever on_error says, and never raises
    report = raising.check(clips)
    assert report[["clip_id", "problem"]].values.tolist() == [
        ["jazz.00054", "unreadable"],
        ["country.00012", "missing"],
        ["rock.00001", "too short"],
    ]
    assert report["path"].str.endswith("jazz.00054.wav").iloc[0]
    assert raising.check(clips.iloc[[0, 4]]).empty


def test_silent_excerpt(tree):
    write_track(tree / "genres", "classical", 8, data=np.zeros(30 * SR))
    with pytest.raises(GTZANFileError, match=r"classical\.00008\.wav' is silent"):
        GTZANStimuli(tree).load_clip(clip("classical", 8))


def test_load_clips_loads_each_clip_once(tree):
    rows = [clip("rock", 99), clip("blues", 17), clip("rock", 99)]
    out = GTZANStimuli(tree).load_clips(rows, progressbar=False)
    assert list(out) == ["rock.00099", "blues.00017"]
    single, _ = GTZANStimuli(tree).load_clip(rows[0])
    np.testing.assert_array_equal(out["rock.00099"], single)
    with pytest.raises(ValueError, match=r"one excerpt; rock\.00099 appears as"):
        GTZANStimuli(tree).load_clips([clip("rock", 99), clip("rock", 99, 5.0, 20.0)])


# -- bad arguments ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_rate": 0}, r"sample_rate must be a positive integer \(Hz\); received 0"),
        ({"sample_rate": 22050.0}, "sample_rate must be a positive integer"),
        ({"fade": -1}, r"fade must be a non-negative number \(s\); received -1"),
        ({"target_rms": 0}, "target_rms must be a positive number; received 0"),
        ({"tolerance": float("nan")}, "tolerance must be a non-negative number"),
        ({"on_error": "ignore"}, r"on_error must be one of \['raise', 'skip'\]; received 'ignore'"),
    ],
)
def test_bad_parameters(tree, kwargs, message):
    with pytest.raises(ValueError, match=message):
        GTZANStimuli(tree, **kwargs)


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        (clip("polka", 1), ValueError, r"clip_row\['genre'\] must be one of .*received 'polka'"),
        (clip("blues", -1), ValueError, r"clip_row\['track'\] must be a non-negative integer"),
        (clip("blues", 1.5), ValueError, r"clip_row\['track'\] .*received 1\.5"),
        (clip("blues", True), ValueError, r"clip_row\['track'\] .*received True"),
        (clip(3, 17), TypeError, r"clip_row\['genre'\] must be a GTZAN genre name; received int"),
        ({"genre": "blues", "track": 17, "start": 1.0}, ValueError, r"missing \['end'\]"),
        (clip("blues", 17, "abc", 18.0), ValueError, r"clip_row\['start'\] must be a non-neg"),
        (clip("blues", 17, 10.0, 12.0), ValueError, "must span more than two fades"),
        (clip("blues", 17, 10.0, 5.0), ValueError, "must span more than two fades"),
    ],
)
def test_bad_clip_rows(tree, row, error, message):
    with pytest.raises(error, match=message):
        GTZANStimuli(tree).load_clip(row)


def test_bad_clips_argument(tree):
    with pytest.raises(TypeError, match="clips must be a DataFrame of clip rows"):
        GTZANStimuli(tree).load_clips("blues.00017")
    with pytest.raises(ValueError, match=r"clips\[1\]\['track'\]"):
        GTZANStimuli(tree).check([clip("blues", 17), clip("blues", -3)])
