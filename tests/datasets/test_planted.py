"""The planted encoding model: shared regional tuning, per-subject weights and region centres."""

import numpy as np
import pytest

from b2m.datasets.simulation._planted import (
    COMPONENT_SCALES,
    COMPONENTS,
    JITTER_MAX_MM,
    JITTER_SD_MM,
    REGION_CENTRES,
    canonical_centres,
    jittered_centres,
    planted_gains,
    planted_signal,
    planted_weights,
)
from b2m.datasets.simulation._simulate import subject_model
from b2m.surface import load_fsaverage5

N_FEATURES = {"acoustic": 5, "semantic": 4, "text_only": 3}


def test_canonical_centres_mirror_the_template():
    canon = canonical_centres()
    for comp in COMPONENTS:
        right = np.asarray(REGION_CENTRES[comp])
        assert canon[comp].shape == (len(right), 2, 3)
        np.testing.assert_array_equal(canon[comp][:, 1], right)
        np.testing.assert_array_equal(canon[comp][:, 0], right * [-1, 1, 1])


def test_analysis_regions_stay_on_the_canonical_centres():
    """b2m.regions is the analysis' anatomy: the template's centres, never a subject's."""
    from b2m.regions import REGION_CENTRES_MNI

    names = {
        "acoustic": ["Heschl's gyrus"],
        "semantic": ["lateral STG", "anterior STG"],
        "text_only": ["anterior STS", "posterior STS"],
    }
    for comp, regions in names.items():
        for name, centre in zip(regions, REGION_CENTRES[comp], strict=True):
            assert REGION_CENTRES_MNI[name] == tuple(centre)
    jittered_centres(np.random.default_rng(0))  # drawing a subject changes nothing shared
    assert REGION_CENTRES_MNI["Heschl's gyrus"] == tuple(REGION_CENTRES["acoustic"][0])
    np.testing.assert_array_equal(planted_gains(), planted_gains(centres=canonical_centres()))


def test_jitter_is_bounded_deterministic_and_a_few_mm():
    canon = canonical_centres()
    a = jittered_centres(np.random.default_rng([0, 5, 1]))
    b = jittered_centres(np.random.default_rng([0, 5, 1]))
    c = jittered_centres(np.random.default_rng([0, 5, 2]))
    for comp in COMPONENTS:
        np.testing.assert_array_equal(a[comp], b[comp])
        assert not np.allclose(a[comp], c[comp])
        assert np.abs(a[comp] - canon[comp]).max() <= JITTER_MAX_MM
    shifts = np.concatenate(
        [
            (jittered_centres(np.random.default_rng(k))[comp] - canon[comp]).ravel()
            for k in range(200)
            for comp in COMPONENTS
        ]
    )
    assert np.abs(shifts).max() <= JITTER_MAX_MM
    assert np.abs(shifts).max() == pytest.approx(JITTER_MAX_MM)  # the bound does clip
    # clipping at 2 SD shrinks the SD a little (to ~0.88 of it)
    assert 0.8 * JITTER_SD_MM < shifts.std() < JITTER_SD_MM
    none = jittered_centres(np.random.default_rng(0), sd_mm=0.0)
    for comp in COMPONENTS:
        np.testing.assert_array_equal(none[comp], canon[comp])


def test_jitter_validation():
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        jittered_centres(0)
    with pytest.raises(ValueError, match="sd_mm and max_mm must be non-negative"):
        jittered_centres(np.random.default_rng(0), sd_mm=-1)
    with pytest.raises(ValueError, match="centres must have keys"):
        planted_gains(centres={"acoustic": canonical_centres()["acoustic"]})
    bad = canonical_centres() | {"acoustic": np.zeros((1, 3))}
    with pytest.raises(ValueError, match=r"centres\['acoustic'\] must have shape"):
        planted_gains(centres=bad)


def test_jittered_gains_move_but_keep_their_regions():
    """A subject's regions overlap the template's, peak near the moved centres, same sizes."""
    canon = planted_gains()
    centres = jittered_centres(np.random.default_rng([0, 5, 3]))
    gains = planted_gains(centres=centres)
    coords = load_fsaverage5("pial").coordinates
    for c, comp in enumerate(COMPONENTS):
        own, ref = gains[c] > 0.5, canon[c] > 0.5
        dice = 2 * (own & ref).sum() / (own.sum() + ref.sum())
        assert 0.3 < dice < 1.0, (comp, dice)
        assert 0.6 < own.sum() / ref.sum() < 1.5
        # the vertex of peak gain lies near one of the subject's centres, not the template's
        peak = coords[np.argmax(gains[c])]
        assert np.linalg.norm(centres[comp].reshape(-1, 3) - peak, axis=1).min() < 6.0


def _latents(n_clips=40, seed=0):
    rng = np.random.default_rng(seed)
    return {c: rng.standard_normal((n_clips, k)) for c, k in N_FEATURES.items()}


def test_weights_differ_between_subjects_but_tuning_is_shared():
    gains = planted_gains()
    w1 = planted_weights(N_FEATURES, gains, np.random.default_rng([0, 3, 1]))
    w2 = planted_weights(N_FEATURES, gains, np.random.default_rng([0, 3, 2]))
    again = planted_weights(N_FEATURES, gains, np.random.default_rng([0, 3, 1]))
    for c, comp in enumerate(COMPONENTS):
        assert w1[comp].shape == (N_FEATURES[comp], gains.shape[1])
        np.testing.assert_array_equal(w1[comp], again[comp])
        support = gains[c] > 0
        # which vertices read out which latent group is the shared tuning...
        assert np.all(w1[comp][:, ~support] == 0) and np.all(w1[comp][:, support] != 0)
        np.testing.assert_array_equal(w1[comp] != 0, w2[comp] != 0)
        # ...the read-out weights themselves are the subject's own
        r = np.corrcoef(w1[comp][:, support].ravel(), w2[comp][:, support].ravel())[0, 1]
        assert abs(r) < 0.1


def test_signal_follows_gains_weights_and_scales():
    latents = _latents()
    gains = planted_gains()
    weights = planted_weights(N_FEATURES, gains, np.random.default_rng(1))
    signal = planted_signal(latents, gains, weights)
    assert signal.shape == (40, gains.shape[1]) and signal.dtype == np.float32
    assert np.all(signal[:, gains.max(0) == 0] == 0)
    only = {c: (gains[c] > 0) & (np.delete(gains, c, 0).max(0) == 0) for c in range(3)}
    for c, comp in enumerate(COMPONENTS):
        sd = signal[:, only[c]].std(0) / gains[c, only[c]]
        np.testing.assert_allclose(sd, COMPONENT_SCALES[comp], rtol=1e-4)
    silent = planted_signal(latents, gains, weights, {**COMPONENT_SCALES, "text_only": 0.0})
    assert np.all(silent[:, only[2]] == 0)
    np.testing.assert_array_equal(silent[:, only[0]], signal[:, only[0]])
    # the acoustic component carries the most variance, the text-only one the least
    assert COMPONENT_SCALES["acoustic"] > COMPONENT_SCALES["semantic"]
    assert COMPONENT_SCALES["semantic"] > COMPONENT_SCALES["text_only"] > 0
    with pytest.raises(ValueError, match=r"weights\['acoustic'\] must have shape"):
        planted_signal(latents, gains, weights | {"acoustic": weights["acoustic"][:2]})


def test_subject_models_differ_and_are_reproducible():
    m1 = subject_model(N_FEATURES, "sub-001", seed=0)
    m1b = subject_model(N_FEATURES, "sub-001", seed=0)
    m2 = subject_model(N_FEATURES, "sub-002", seed=0)
    m1s = subject_model(N_FEATURES, "sub-001", seed=1)
    np.testing.assert_array_equal(m1["gains"], m1b["gains"])
    for comp in COMPONENTS:
        np.testing.assert_array_equal(m1["weights"][comp], m1b["weights"][comp])
        assert not np.allclose(m1["centres"][comp], m2["centres"][comp])
        assert not np.allclose(m1["centres"][comp], m1s["centres"][comp])
    assert not np.array_equal(m1["gains"], m2["gains"])
    assert m1["scales"] == m2["scales"] == COMPONENT_SCALES


def test_ground_truth_regions_use_the_one_threshold():
    from b2m.datasets import PLANTED_THRESHOLD, GroundTruth

    gains = np.array([[1.0, 0.6, 0.4, 0.0], [0.0, 0.5, 0.49, 0.0], [0.0, 0.0, 0.2, 0.9]])
    canonical = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    truth = GroundTruth(gains=gains, canonical_gains=canonical)
    assert PLANTED_THRESHOLD == 0.5 and truth["gains"] is gains  # still a dict
    np.testing.assert_array_equal(truth.region("acoustic"), [True, True, False, False])
    np.testing.assert_array_equal(truth.region("semantic"), [False, True, False, False])
    np.testing.assert_array_equal(truth.region(), [True, True, False, True])
    np.testing.assert_array_equal(truth.region("any", canonical=True), [False, True, False, False])
    np.testing.assert_array_equal(
        truth.region("semantic", threshold=0.4), [False, True, True, False]
    )
    assert list(truth.regions()) == list(COMPONENTS)
    with pytest.raises(
        ValueError, match=r"component must be one of .*'text_only'.*received 'text only'"
    ):
        truth.region("text only")
    with pytest.raises(ValueError, match="threshold must be a number in"):
        truth.region("acoustic", threshold=0)


def test_ground_truth_gain_and_support():
    from b2m.datasets import GroundTruth

    gains = np.array([[1.0, 0.6, 0.0, 0.0], [0.0, 0.5, 0.01, 0.0], [0.0, 0.0, 0.2, 0.0]])
    canonical = np.zeros_like(gains)
    canonical[2, 3] = 1.0
    truth = GroundTruth(gains=gains, canonical_gains=canonical)
    np.testing.assert_array_equal(truth.gain("semantic"), gains[1])
    np.testing.assert_array_equal(truth.gain("text_only", canonical=True), [0, 0, 0, 1.0])
    np.testing.assert_array_equal(truth.support(), [True, True, True, False])
    np.testing.assert_array_equal(truth.support("semantic"), [False, True, True, False])
    assert truth.region("semantic").sum() == 1  # the region is narrower than the support
    with pytest.raises(ValueError, match=r"component must be one of .*received 'any'"):
        truth.gain("any")
    with pytest.raises(ValueError, match="received 'text-only'"):
        truth.support("text-only")


def test_ar1_noise_is_scipys_filter_and_has_unit_variance():
    from scipy.signal import lfilter

    from b2m.datasets.simulation._simulate import AR_COEF, _ar1

    innov = np.random.default_rng(0).standard_normal((400, 300), dtype=np.float32)
    expected = lfilter([np.sqrt(1 - AR_COEF**2)], [1.0, -AR_COEF], innov, axis=0)
    noise = _ar1(innov, AR_COEF)
    np.testing.assert_array_equal(noise, expected)  # same operations, same numbers
    assert noise.dtype == np.float64
    assert abs(noise[50:].var() - 1.0) < 0.05
    lag1 = np.mean([np.corrcoef(noise[1:, j], noise[:-1, j])[0, 1] for j in range(300)])
    assert abs(lag1 - AR_COEF) < 0.03
