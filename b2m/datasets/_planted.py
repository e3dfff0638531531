"""The planted encoding model of the simulated study (its documented ground truth).

Three latent feature groups of each clip (from :func:`b2m.datasets._music.attribute_features`)
drive three sets of cortical regions on fsaverage5, mirroring what Brain2Music and Nakai et
al. report:

=====================  ===========================================  ===========================
component              drives                                       centres (MNI, mm; ± = L/R)
=====================  ===========================================  ===========================
``acoustic``           the clip's spectro-temporal statistics       Heschl's gyrus
                       (:func:`spectrotemporal_summary` of the      (±45, -22, 8)
                       rendered audio) and low-level attributes
                       (tempo, brightness, loudness, density…)
``semantic``           genre, instrumentation, mood                 lateral STG (±60, -14, 2),
                                                                    anterior STG (±56, 4, -10)
``text_only``          what captions say but the audio does not     anterior STS (±52, 10, -18),
                       carry (imagery, setting)                     posterior STS (±54, -34, 2)
=====================  ===========================================  ===========================

Each region's gain falls off as a Gaussian of the distance on the pial surface
(σ = 8 mm, cut at 2.5 σ); the semantic and text regions partly overlap around the anterior
STG/STS. A vertex's clip response is the sum over components of gain × (a random linear
read-out of that component's latent features, standardised over clips). No surface atlas
ships offline, so regions are placed from the template's MNI coordinates.
"""

from __future__ import annotations

import itertools

import numpy as np

from b2m.surface import load_fsaverage5

__all__ = [
    "COMPONENTS",
    "REGION_CENTRES",
    "SIGMA_MM",
    "planted_gains",
    "planted_signal",
    "spectrotemporal_summary",
]

SIGMA_MM = 8.0
COMPONENTS = ("acoustic", "semantic", "text_only")
REGION_CENTRES: dict[str, list[tuple[float, float, float]]] = {
    "acoustic": [(45.0, -22.0, 8.0)],
    "semantic": [(60.0, -14.0, 2.0), (56.0, 4.0, -10.0)],
    "text_only": [(52.0, 10.0, -18.0), (54.0, -34.0, 2.0)],
}
#: Region names used in summaries, one per component.
REGION_NAMES = {
    "acoustic": "primary auditory (Heschl's gyrus)",
    "semantic": "lateral/anterior STG",
    "text_only": "anterior/posterior STS",
}


def spectrotemporal_summary(waveform: np.ndarray, sr: int, n_bands: int = 16) -> np.ndarray:
    """What the planted primary auditory cortex "hears": a coarse cochleagram summary.

    The mean and SD over time of the log energy in ``n_bands`` log-spaced frequency bands
    (60 Hz – 8 kHz, 46-ms frames), and the temporal-modulation energy of the broadband
    envelope in four rate bands (0.5–2, 2–4, 4–8, 8–16 Hz), and the share of energy in each
    of the 12 pitch classes (110 Hz – 2 kHz; pitch-sensitive cortex lies around lateral
    Heschl's gyrus). Deliberately simpler than, and computed independently of, the
    ``acoustic`` feature space that is decoded.

    Parameters
    ----------
    waveform : ndarray of shape (n_samples,)
    sr : int
    n_bands : int, default 16

    Returns
    -------
    ndarray of shape (2 * n_bands + 16,)
    """
    from scipy.signal import stft

    nper = 1024 if sr > 16000 else 512
    freqs, _, z = stft(waveform, fs=sr, nperseg=nper, noverlap=nper // 2)
    power = np.abs(z) ** 2
    edges = np.geomspace(60.0, min(8000.0, sr / 2), n_bands + 1)
    band = np.stack(
        [power[(freqs >= lo) & (freqs < hi)].sum(0) for lo, hi in itertools.pairwise(edges)]
    )
    logband = np.log(band + 1e-8)
    env = power.sum(0)
    env = (env - env.mean()) / (env.std() + 1e-12)
    frame_rate = sr / (nper // 2)
    spec = np.abs(np.fft.rfft(env)) ** 2
    rates = np.fft.rfftfreq(env.size, 1 / frame_rate)
    mod = [
        spec[(rates >= lo) & (rates < hi)].sum() for lo, hi in ((0.5, 2), (2, 4), (4, 8), (8, 16))
    ]
    mod = np.log(np.asarray(mod) / (spec[1:].sum() + 1e-12) + 1e-8)
    tonal = (freqs >= 110.0) & (freqs < 2000.0)
    pitch_class = np.round(12 * np.log2(freqs[tonal] / 440.0)).astype(int) % 12
    pcp = np.bincount(pitch_class, weights=power[tonal].mean(1), minlength=12)
    pcp = pcp / (pcp.sum() + 1e-12)
    return np.concatenate([logband.mean(1), logband.std(1), mod, pcp]).astype(np.float32)


def planted_gains(sigma_mm: float = SIGMA_MM) -> np.ndarray:
    """Gain of each component at each vertex.

    Returns
    -------
    ndarray of shape (3, 20484), float32
        Rows in :data:`COMPONENTS` order; values in [0, 1].
    """
    mesh = load_fsaverage5("pial")
    coords = mesh.coordinates.astype(np.float64)
    is_left = np.arange(len(coords)) < mesh.n_left
    gains = np.zeros((len(COMPONENTS), len(coords)), dtype=np.float32)
    for c, comp in enumerate(COMPONENTS):
        for x, y, z in REGION_CENTRES[comp]:
            for sign, hemi in ((-1.0, is_left), (1.0, ~is_left)):
                d = np.linalg.norm(coords - np.array([sign * x, y, z]), axis=1)
                g = np.exp(-0.5 * (d / sigma_mm) ** 2)
                g[(d > 2.5 * sigma_mm) | ~hemi] = 0.0
                gains[c] = np.maximum(gains[c], g)
    return gains


def planted_signal(
    latents: dict[str, np.ndarray], gains: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noise-free clip responses of the planted model.

    Parameters
    ----------
    latents : dict of str to ndarray of shape (n_clips, k_c)
        Latent features per component (standardised inside).
    gains : ndarray of shape (3, n_vertices)
        From :func:`planted_gains`.
    rng : numpy.random.Generator
        Draws the per-vertex read-out weights.

    Returns
    -------
    signal : ndarray of shape (n_clips, n_vertices), float32
        Sum over components of gain × unit-variance read-out.
    weights : dict of str to ndarray of shape (k_c, n_vertices)
        The planted read-out weights (zero where the gain is zero).
    """
    n_clips = len(next(iter(latents.values())))
    n_vertices = gains.shape[1]
    signal = np.zeros((n_clips, n_vertices), dtype=np.float32)
    weights = {}
    for c, comp in enumerate(COMPONENTS):
        z = np.asarray(latents[comp], dtype=np.float64)
        z = (z - z.mean(0)) / np.where(z.std(0) > 0, z.std(0), 1.0)
        support = np.flatnonzero(gains[c] > 0)
        w = np.zeros((z.shape[1], n_vertices), dtype=np.float32)
        w[:, support] = rng.standard_normal((z.shape[1], support.size))
        s = z @ w[:, support]
        s = (s - s.mean(0)) / s.std(0)
        signal[:, support] += (gains[c, support] * s).astype(np.float32)
        weights[comp] = w
    return signal, weights
