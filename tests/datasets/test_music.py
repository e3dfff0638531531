"""The simulator's music: attributes, audio, fades, captions, ground truth, genre separability."""

from __future__ import annotations

import json

import numpy as np
import pytest

from b2m.datasets.simulation.music import (
    ATTRIBUTE_FEATURE_NAMES,
    CLIP_SECONDS,
    DRUM_PATTERNS,
    FADE_SECONDS,
    FEELS,
    GENRES,
    IMAGERY,
    INSTRUMENTS,
    MODES,
    SAMPLE_RATE,
    apply_fades_and_rms,
    attribute_features,
    make_caption,
    render_clip,
    sample_clip_attributes,
)

GENRE_WORDS = {
    "blues": ("blues",),
    "classical": ("classical",),
    "country": ("country",),
    "disco": ("disco",),
    "hiphop": ("hip-hop", "hip hop"),
    "jazz": ("jazz",),
    "metal": ("metal",),
    "pop": ("pop",),
    "reggae": ("reggae",),
    "rock": ("rock",),
}


def _attrs(genre: str, seed: int = 0) -> dict:
    return sample_clip_attributes(genre, np.random.default_rng(seed))


def _acoustic_features_of(job: tuple[dict, int]) -> np.ndarray:
    """Render one clip (attributes, seed) and return its acoustic features (in a worker)."""
    from b2m.features import AcousticFeatures

    attrs, seed = job
    return AcousticFeatures().embed_audio([render_clip(attrs, seed=seed)], SAMPLE_RATE)[0]


@pytest.fixture(scope="module")
def corpus():
    """20 simulated clips per genre (200), their attributes and acoustic embeddings."""
    from b2m._utils._parallel import process_map
    from b2m.features import AcousticFeatures

    rng = np.random.default_rng(2024)
    attrs = [sample_clip_attributes(g, rng) for g in GENRES for _ in range(20)]
    # Rendering is single-threaded Python: two worker processes halve the fixture's time.
    jobs = [(a, 7000 + i) for i, a in enumerate(attrs)]
    rows = process_map(_acoustic_features_of, jobs, 2, disable=True)
    return attrs, np.stack(rows), AcousticFeatures().feature_names


# ------------------------------------------------------------------------------------------
# Attributes
# ------------------------------------------------------------------------------------------


def test_constants():
    assert GENRES == (
        "blues", "classical", "country", "disco", "hiphop",
        "jazz", "metal", "pop", "reggae", "rock",
    )  # fmt: skip
    assert SAMPLE_RATE == 22050
    assert CLIP_SECONDS == 15.0
    assert FADE_SECONDS == 2.0


@pytest.mark.parametrize("genre", GENRES)
def test_attributes_are_valid_and_json_serialisable(genre):
    rng = np.random.default_rng(1)
    for _ in range(5):
        a = sample_clip_attributes(genre, rng)
        assert json.loads(json.dumps(a)) == a  # plain Python types only
        assert a["genre"] == genre
        assert 40 <= a["tempo"] <= 240
        assert a["key"] in range(12)
        assert a["mode"] in MODES
        assert a["feel"] in FEELS
        assert a["drum_pattern"] in DRUM_PATTERNS
        assert set(a["instruments"]) <= set(INSTRUMENTS)
        assert a["drums"] == ("drums" in a["instruments"])
        assert 2 <= len(a["imagery"]) <= 3 and set(a["imagery"]) <= set(IMAGERY)
        for name in ("brightness", "distortion", "bass_level", "reverb", "dynamics"):
            assert 0.0 <= a[name] <= 1.0, name
        assert -1.0 <= a["valence"] <= 1.0 and -1.0 <= a["arousal"] <= 1.0
        assert a["progression"] and all(len(c) == 2 for c in a["progression"])


def test_attributes_deterministic_and_varied():
    assert _attrs("jazz", 3) == _attrs("jazz", 3)
    tempos = {_attrs("jazz", s)["tempo"] for s in range(10)}
    assert len(tempos) > 5  # within-genre variety


def test_genre_grammars_differ():
    rng = np.random.default_rng(0)
    tempo = {
        g: np.mean([sample_clip_attributes(g, rng)["tempo"] for _ in range(30)]) for g in GENRES
    }
    assert tempo["metal"] > tempo["rock"] > tempo["reggae"]
    assert tempo["hiphop"] < tempo["disco"]
    metal = [sample_clip_attributes("metal", rng) for _ in range(10)]
    classical = [sample_clip_attributes("classical", rng) for _ in range(10)]
    assert all("distorted_guitar" in a["instruments"] for a in metal)
    assert not any(a["drums"] for a in classical)
    assert min(a["distortion"] for a in metal) > max(a["distortion"] for a in classical)


def test_sample_attributes_bad_inputs():
    with pytest.raises(ValueError, match=r"genre must be one of .*'techno'"):
        sample_clip_attributes("techno", np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        sample_clip_attributes("rock", 0)


# ------------------------------------------------------------------------------------------
# Audio
# ------------------------------------------------------------------------------------------


def test_render_deterministic():
    a = _attrs("rock")
    x1 = render_clip(a, seed=11)
    x2 = render_clip(a, seed=11)
    x3 = render_clip(a, seed=12)
    np.testing.assert_array_equal(x1, x2)
    assert not np.allclose(x1, x3)


@pytest.mark.parametrize("genre", GENRES)
def test_render_length_fades_rms(genre):
    x = render_clip(_attrs(genre, 5), seed=3)
    assert x.shape == (round(SAMPLE_RATE * CLIP_SECONDS),)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()
    assert abs(x[0]) < 1e-6 and abs(x[-1]) < 1e-6
    n_fade = int(FADE_SECONDS * SAMPLE_RATE)
    # the fades are ramps: the first and last 50 ms are much quieter than the middle
    edge = np.sqrt(np.mean(np.r_[x[:1100], x[-1100:]] ** 2))
    middle = np.sqrt(np.mean(x[n_fade:-n_fade] ** 2))
    assert edge < 0.1 * middle
    assert np.sqrt(np.mean(x.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)
    assert np.abs(x).max() < 1.0


def test_render_other_rate_and_duration():
    x = render_clip(_attrs("pop"), sr=16000, duration=6.0, seed=0)
    assert x.shape == (96000,)


def test_render_bad_inputs():
    a = _attrs("blues")
    with pytest.raises(ValueError, match=r"attributes is missing key\(s\) \['tempo'\]"):
        render_clip({k: v for k, v in a.items() if k != "tempo"}, seed=0)
    with pytest.raises(ValueError, match="genre"):
        render_clip({**a, "genre": "polka"}, seed=0)
    with pytest.raises(ValueError, match="sr must be a positive integer"):
        render_clip(a, sr=0, seed=0)
    with pytest.raises(ValueError, match="duration must be"):
        render_clip(a, duration=3.0, seed=0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        render_clip(a, seed=1.5)
    with pytest.raises(TypeError, match="attributes must be a dict"):
        render_clip([a], seed=0)


# ------------------------------------------------------------------------------------------
# Fades and RMS
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["linear", "cosine"])
def test_apply_fades_and_rms(shape):
    sr = 1000
    x = np.ones(10 * sr)
    y = apply_fades_and_rms(x, sr, fade_seconds=2.0, target_rms=0.05, shape=shape)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert y[0] == 0.0 and y[-1] == 0.0
    assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(0.05, rel=1e-5)
    middle = y[2 * sr : -2 * sr]
    np.testing.assert_allclose(middle, middle[0])  # untouched between the fades
    assert np.all(np.diff(y[: 2 * sr]) >= 0)  # monotonic fade-in
    if shape == "linear":
        np.testing.assert_allclose(y[sr] / middle[0], 0.5, atol=1e-3)


def test_apply_fades_does_not_modify_input():
    x = np.ones(5000)
    apply_fades_and_rms(x, 1000, fade_seconds=1.0)
    assert np.all(x == 1.0)


def test_apply_fades_errors():
    with pytest.raises(ValueError, match="longer than two fades"):
        apply_fades_and_rms(np.ones(3000), 1000, fade_seconds=2.0)
    with pytest.raises(ValueError, match="silent"):
        apply_fades_and_rms(np.zeros(10000), 1000)
    bad = np.ones(10000)
    bad[5] = np.nan
    with pytest.raises(ValueError, match="waveform must be finite"):
        apply_fades_and_rms(bad, 1000)
    with pytest.raises(ValueError, match="waveform must be a 1-D array"):
        apply_fades_and_rms(np.ones((2, 10000)), 1000)
    with pytest.raises(ValueError, match="sr must be a positive integer"):
        apply_fades_and_rms(np.ones(10000), -1)
    with pytest.raises(ValueError, match="target_rms must be a positive number"):
        apply_fades_and_rms(np.ones(10000), 1000, target_rms=0)
    with pytest.raises(ValueError, match="shape must be one of"):
        apply_fades_and_rms(np.ones(10000), 1000, shape="exp")


# ------------------------------------------------------------------------------------------
# Captions
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("genre", GENRES)
def test_caption_describes_clip(genre):
    rng = np.random.default_rng(8)
    for _ in range(5):
        a = sample_clip_attributes(genre, rng)
        caption = make_caption(a, rng)
        text = caption.lower()
        assert any(w in text for w in GENRE_WORDS[genre]), caption
        assert 20 <= len(caption.split()) <= 60, caption
        assert all(w in text for w in a["imagery"]), caption  # caption-only words appear
        assert caption.endswith(".")


def test_caption_mentions_instruments_and_is_varied():
    rng = np.random.default_rng(0)
    captions = []
    for _ in range(30):
        a = sample_clip_attributes("metal", rng)
        c = make_caption(a, rng)
        assert "power chords" in c or "guitar" in c
        captions.append(c.split(".")[0])
    assert len(set(captions)) > 10  # several opening templates and synonyms
    a = _attrs("jazz")
    assert make_caption(a, np.random.default_rng(1)) == make_caption(a, np.random.default_rng(1))


def test_caption_bad_inputs():
    with pytest.raises(ValueError, match="missing key"):
        make_caption({"genre": "rock"}, np.random.default_rng(0))


# ------------------------------------------------------------------------------------------
# Ground truth
# ------------------------------------------------------------------------------------------


def test_attribute_features_shapes_and_columns():
    rng = np.random.default_rng(4)
    attrs = [sample_clip_attributes(g, rng) for g in GENRES for _ in range(3)]
    feats = attribute_features(attrs)
    assert set(feats) == {"acoustic", "semantic", "text_only"}
    for name, arr in feats.items():
        assert arr.shape == (30, len(ATTRIBUTE_FEATURE_NAMES[name]))
        assert np.isfinite(arr).all()
    assert 8 <= feats["acoustic"].shape[1] <= 12
    assert feats["semantic"].shape[1] == 10 + len(INSTRUMENTS) + 2
    assert feats["text_only"].shape[1] == len(IMAGERY)
    sem = feats["semantic"]
    np.testing.assert_array_equal(sem[:, :10].sum(1), 1.0)
    np.testing.assert_array_equal(sem[:, :10].argmax(1), np.repeat(np.arange(10), 3))
    for row, a in zip(sem, attrs, strict=True):
        on = {INSTRUMENTS[i] for i in np.nonzero(row[10:20])[0]}
        assert on == set(a["instruments"])
        assert row[-2:].tolist() == [a["valence"], a["arousal"]]
    for row, a in zip(feats["text_only"], attrs, strict=True):
        assert {IMAGERY[i] for i in np.nonzero(row)[0]} == set(a["imagery"])
    tempo = feats["acoustic"][:, ATTRIBUTE_FEATURE_NAMES["acoustic"].index("tempo")]
    np.testing.assert_allclose(tempo, [(a["tempo"] - 60) / 160 for a in attrs])


def test_attribute_features_errors():
    with pytest.raises(ValueError, match="non-empty list"):
        attribute_features([])
    a = _attrs("pop")
    del a["brightness"]
    with pytest.raises(
        ValueError, match=r"attributes_list\[0\] is missing key\(s\) \['brightness'\]"
    ):
        attribute_features([a])


# ------------------------------------------------------------------------------------------
# Genres are measurably different
# ------------------------------------------------------------------------------------------


def test_genre_classifier_on_acoustic_features(corpus):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    attrs, X, _ = corpus
    y = [a["genre"] for a in attrs]
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    acc = cross_val_score(clf, X, y, cv=cv).mean()
    assert acc >= 0.80, f"10-way genre CV accuracy {acc:.3f}"


def test_tempo_estimate_tracks_planted_tempo(corpus):
    attrs, X, names = corpus
    planted = np.array([a["tempo"] for a in attrs])
    estimate = X[:, names.index("tempo_bpm")].astype(float)
    octaves = np.log2(estimate / planted)
    exact = np.abs(octaves) < 0.06  # within ~4 %
    up_to_octave = np.min([np.abs(octaves - k) for k in (-1, 0, 1)], axis=0) < 0.06
    assert exact.mean() >= 0.7, f"tempo within 4 %: {exact.mean():.2f}"
    assert up_to_octave.mean() >= 0.85, (
        f"tempo within 4 % up to an octave: {up_to_octave.mean():.2f}"
    )
    r_exact = np.corrcoef(planted[exact], estimate[exact])[0, 1]
    assert r_exact > 0.95


def test_planted_acoustics_linearly_readable(corpus):
    """A cross-validated linear read-out of the embedding recovers tempo and brightness."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    attrs, X, _ = corpus
    truth = attribute_features(attrs)["acoustic"]
    cols = ATTRIBUTE_FEATURE_NAMES["acoustic"]
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
    cv = KFold(5, shuffle=True, random_state=0)
    for name in ("tempo", "brightness", "distortion"):
        target = truth[:, cols.index(name)]
        pred = cross_val_predict(model, X, target, cv=cv)
        r = np.corrcoef(target, pred)[0, 1]
        assert r > 0.7, f"{name}: read-out r = {r:.2f}"
