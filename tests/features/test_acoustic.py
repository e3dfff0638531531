"""Acoustic descriptors, the genre one-hot, the FeatureSpace interface and the factory."""

from __future__ import annotations

import numpy as np
import pytest

from b2m.features import (
    AcousticFeatures,
    FeatureSpace,
    GenreOneHot,
    get_feature_space,
)
from b2m.features._acoustic import mel_filterbank

SR = 22050


def _clicks(bpm: float, seconds: float = 12.0, sr: int = SR, accent: int = 4) -> np.ndarray:
    """Decaying noise bursts on every beat, the first of each bar louder."""
    rng = np.random.default_rng(0)
    x = np.zeros(int(seconds * sr))
    burst = rng.standard_normal(int(0.03 * sr)) * np.exp(-np.arange(int(0.03 * sr)) / (0.005 * sr))
    for k, t in enumerate(np.arange(0.1, seconds - 0.1, 60.0 / bpm)):
        s = int(t * sr)
        x[s : s + burst.size] += burst * (1.0 if k % accent == 0 else 0.6)
    return x


def _tone(freq: float, seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return np.sin(2 * np.pi * freq * t)


@pytest.fixture(scope="module")
def space():
    return AcousticFeatures()


def test_shape_names_dtype(space):
    rng = np.random.default_rng(0)
    X = space.embed_audio(rng.standard_normal((3, 2 * SR)), SR)
    assert X.shape == (3, space.n_features)
    assert len(space.feature_names) == space.n_features == len(set(space.feature_names))
    assert 100 <= space.n_features <= 150
    assert X.dtype == np.float32
    assert np.isfinite(X).all()


def test_deterministic_and_sequences_of_unequal_length(space):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(SR), rng.standard_normal(2 * SR)
    X1 = space.embed_audio([a, b], SR)
    X2 = space.embed_audio([a, b], SR)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(X1[1], space.embed_audio([b], SR)[0])


def test_short_clip_is_padded(space):
    X = space.embed_audio([np.ones(100)], SR)
    assert X.shape == (1, space.n_features) and np.isfinite(X).all()


@pytest.mark.parametrize("bpm", [72, 100, 128, 150])
def test_tempo_of_click_track(space, bpm):
    X = space.embed_audio([_clicks(bpm)], SR)
    tempo = X[0, space.feature_names.index("tempo_bpm")]
    assert tempo == pytest.approx(bpm, rel=0.03)
    assert X[0, space.feature_names.index("pulse_clarity")] > 0.3


def test_pulse_clarity_low_for_noise(space):
    x = np.random.default_rng(2).standard_normal(10 * SR)
    X = space.embed_audio([x, _clicks(120, 10)], SR)
    clarity = X[:, space.feature_names.index("pulse_clarity")]
    assert clarity[0] < clarity[1]


def test_chroma_of_a_tone(space):
    names = space.feature_names
    X = space.embed_audio([_tone(440.0), _tone(261.63)], SR)
    chroma = X[:, names.index("chroma_C") : names.index("chroma_B") + 1]
    assert chroma[0].argmax() == 9  # A
    assert chroma[1].argmax() == 0  # C
    entropy = names.index("chroma_entropy")
    noise = space.embed_audio([np.random.default_rng(3).standard_normal(3 * SR)], SR)
    assert X[0, entropy] < noise[0, entropy]


def test_spectral_shape_orders_bright_and_dark(space):
    from scipy import signal

    rng = np.random.default_rng(4)
    white = rng.standard_normal(3 * SR)
    dark = signal.sosfilt(signal.butter(4, 800, fs=SR, output="sos"), white)
    X = space.embed_audio([white, dark], SR)
    names = space.feature_names
    for name in ("centroid_mean", "rolloff_mean", "flatness_mean", "zcr_mean"):
        assert X[0, names.index(name)] > X[1, names.index(name)], name


def test_amplitude_modulation_band(space):
    rng = np.random.default_rng(5)
    t = np.arange(8 * SR) / SR
    names = space.feature_names
    for rate, band in ((3.0, "2-4Hz"), (6.0, "4-8Hz"), (12.0, "8-16Hz")):
        x = rng.standard_normal(t.size) * (1.0 + 0.9 * np.sin(2 * np.pi * rate * t))
        X = space.embed_audio([x], SR)[0]
        cols = [i for i, n in enumerate(names) if n.startswith("am_group2_")]
        assert names[cols[int(np.argmax(X[cols]))]].endswith(band), rate


def test_resampling(space):
    from scipy import signal

    x = _clicks(110, 8)
    x44 = signal.resample_poly(x, 2, 1)
    a, b = space.embed_audio([x], SR)[0], space.embed_audio([x44], 2 * SR)[0]
    names = space.feature_names
    assert b[names.index("tempo_bpm")] == pytest.approx(a[names.index("tempo_bpm")], rel=0.02)
    assert np.corrcoef(a, b)[0, 1] > 0.99


def test_mel_filterbank():
    fb = mel_filterbank(SR, 1024, 32, 30.0, SR / 2)
    assert fb.shape == (32, 513)
    np.testing.assert_allclose(fb.sum(1), 1.0)
    assert (fb >= 0).all()
    centres = (fb * np.fft.rfftfreq(1024, 1 / SR)).sum(1)
    assert np.all(np.diff(centres) > 0)
    with pytest.raises(ValueError, match="fmin and fmax"):
        mel_filterbank(SR, 1024, 32, 100.0, 50.0)


def test_embed_audio_errors(space):
    good = np.zeros(SR)
    bad = np.ones(SR)
    bad[10] = np.nan
    with pytest.raises(ValueError, match=r"waveforms\[1\] must be finite"):
        space.embed_audio([good, bad], SR)
    with pytest.raises(ValueError, match="wrap a single clip in a list"):
        space.embed_audio(good, SR)
    with pytest.raises(ValueError, match=r"waveforms must be a 2-D array .* shape \(2, 3, 4\)"):
        space.embed_audio(np.zeros((2, 3, 4)), SR)
    with pytest.raises(ValueError, match=r"waveforms\[0\] must be a 1-D array"):
        space.embed_audio([np.zeros((2, 100))], SR)
    with pytest.raises(ValueError, match="at least one clip"):
        space.embed_audio([], SR)
    with pytest.raises(ValueError, match=r"waveforms\[0\] needs at least 1 sample"):
        space.embed_audio([np.zeros(0)], SR)
    for sr in (0, -5, 22050.5, "22050", True):
        with pytest.raises(ValueError, match="sr must be a positive integer"):
            space.embed_audio([good], sr)
    with pytest.raises(TypeError, match="waveforms must be a 2-D array or a sequence"):
        space.embed_audio("audio.wav", SR)


def test_constructor_errors():
    with pytest.raises(ValueError, match="n_mels must be an integer >= 4"):
        AcousticFeatures(n_mels=0)
    with pytest.raises(ValueError, match="hop_length must be an integer"):
        AcousticFeatures(hop_length=2.5)
    with pytest.raises(ValueError, match="fmin and fmax"):
        AcousticFeatures(fmax=20000.0)
    with pytest.raises(ValueError, match="sr_work must be a positive integer"):
        AcousticFeatures(sr_work=-1)


def test_embed_text_not_meaningful(space):
    with pytest.raises(NotImplementedError, match=r"'acoustic' feature space .* no text embedding"):
        space.embed_text(["a jazz tune"])


# ------------------------------------------------------------------------------------------
# Interface and cache keys
# ------------------------------------------------------------------------------------------


def test_cache_key_tracks_name_version_params():
    a, b = AcousticFeatures(), AcousticFeatures()
    assert a.cache_key == b.cache_key and a == b and len(a.cache_key) == 16
    assert AcousticFeatures(n_mels=24).cache_key != a.cache_key
    assert AcousticFeatures(hop_length=256).cache_key != a.cache_key

    class Newer(AcousticFeatures):
        version = "999"

    assert Newer().cache_key != a.cache_key
    assert a.params == {
        "sr_work": 22050, "n_fft": 1024, "hop_length": 512, "n_mels": 32,
        "fmin": 30.0, "fmax": None,
    }  # fmt: skip
    assert a.name == "acoustic" and a.modality == "audio"
    assert "AcousticFeatures(" in repr(a)


def test_feature_space_is_abstract():
    with pytest.raises(TypeError, match="FeatureSpace is abstract"):
        FeatureSpace()

    class Nameless(FeatureSpace):
        pass

    with pytest.raises(TypeError, match="must set the class attribute `name`"):
        Nameless()

    class Toy(FeatureSpace):
        name = "toy"

    with pytest.raises(TypeError, match="JSON-serialisable"):
        Toy(weights=np.zeros(3))
    toy = Toy(alpha=1)
    with pytest.raises(NotImplementedError, match=r"'toy' .* no text embedding"):
        toy.embed_text(["x"])
    with pytest.raises(NotImplementedError, match=r"'toy' .* no audio embedding"):
        toy.embed_audio([np.zeros(10)], SR)


def test_genre_one_hot():
    space = GenreOneHot()
    X = space.embed_labels(["blues", "'disco'", " Rock ", "hiphop"])
    assert X.shape == (4, 10) and X.dtype == np.float32
    np.testing.assert_array_equal(X.sum(1), 1.0)
    assert X.argmax(1).tolist() == [0, 3, 9, 4]
    assert space.feature_names[0] == "genre=blues"
    assert space.name == "genre" and space.modality == "label"
    with pytest.raises(ValueError, match=r"genres\[1\] must be one of .*received 'polka'"):
        space.embed_labels(["rock", "polka"])
    with pytest.raises(TypeError, match="single str"):
        space.embed_labels("rock")
    with pytest.raises(ValueError, match="at least one label"):
        space.embed_labels([])
    with pytest.raises(NotImplementedError, match=r"'genre' .* no audio embedding"):
        space.embed_audio([np.zeros(100)], SR)


def test_get_feature_space():
    assert isinstance(get_feature_space("acoustic"), AcousticFeatures)
    assert get_feature_space("acoustic", n_mels=24).params["n_mels"] == 24
    assert isinstance(get_feature_space("genre"), GenreOneHot)
    names = r"\['acoustic', 'clap', 'clap-text', 'genre', .*\]"
    with pytest.raises(ValueError, match=rf"name must be one of {names}; received 'clapp'"):
        get_feature_space("clapp")
    with pytest.raises(TypeError, match="Invalid parameters for feature space 'acoustic'"):
        get_feature_space("acoustic", n_bins=3)
