"""The planted encoding model of the simulated study (its documented ground truth).

Three latent feature groups of each clip (from :func:`b2m.datasets._music.attribute_features`)
drive three sets of cortical regions on fsaverage5, mirroring what Brain2Music and Nakai et
al. report:

=====================  ===========================================  ===========================
component              drives                                       centres (MNI, mm; ± = L/R)
=====================  ===========================================  ===========================
``acoustic``           low-level audible quantities (tempo,         Heschl's gyrus
                       brightness, loudness, density…)              (±45, -22, 8)
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

import numpy as np

from b2m.surface import load_fsaverage5

__all__ = ["COMPONENTS", "REGION_CENTRES", "SIGMA_MM", "planted_gains", "planted_signal"]

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
