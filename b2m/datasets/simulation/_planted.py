"""The planted encoding model of the simulated study (its documented ground truth).

Three latent feature groups of each clip (from :func:`b2m.datasets.simulation.music.attribute_features`)
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
STG/STS. A vertex's clip response is the sum over components of scale × gain × (a random
linear read-out of that component's latent features, standardised over clips). No surface
atlas ships offline, so regions are placed from the template's MNI coordinates.

**What is shared and what differs between subjects.** The regional tuning is shared: in
every subject the same latent group drives the same regions, with the same component scale
(:data:`COMPONENT_SCALES`). What differs, as it does between real brains, is drawn per subject
from the study seed and the subject number: the read-out weights of every vertex
(:func:`planted_weights`), and the position of every planted region, whose centre is moved by
a few millimetres in each hemisphere (:func:`jittered_centres`: SD :data:`JITTER_SD_MM` per
axis, truncated at :data:`JITTER_MAX_MM`), as anatomy varies on a common template. The
analysis regions of :mod:`b2m.regions` stay on the canonical centres of
:data:`REGION_CENTRES`, so region-level recovery is measured against anatomy the analysis
does not know exactly — as with real data.

**Component scales: why the music-derived component carries the most variance.** In
Brain2Music, the music-derived embedding (MuLan music, 0.876) identifies clips better than the
caption-derived one (MuLan text, 0.817) and auditory cortex dominates the decoders. The
planted model follows that: the acoustic component (primary auditory cortex) has scale 1, the
semantic component (genre, instruments, mood; lateral/anterior STG) a lower one, and the
text-only component (imagery that the listener may associate but the audio does not carry;
STS) the weakest. With equal scales, and captions that restated every latent verbatim, the
caption spaces identified clips better than the audio ones — the opposite of the paper;
the captions are now written by imperfect annotators as well
(:func:`b2m.datasets._captions.annotate_attributes`). Measured with
``benchmarks/calibrate_simulation.py``. A weaker text-only component (0.5, with annotators
who replaced 60 % of the imagery words) kept the ordering but left the text-only and shared
partitions of the text-vs-music comparison undetectable in every subject; 0.7, with 30 %,
keeps the ordering (two subjects: acoustic 0.854, musicnn 0.840, text-lsa 0.826) and lets
the text-only regions be found in some subjects.
"""

from __future__ import annotations

import itertools

import numpy as np

from b2m.surface import load_fsaverage5

__all__ = [
    "COMPONENTS",
    "COMPONENT_SCALES",
    "JITTER_MAX_MM",
    "JITTER_SD_MM",
    "PLANTED_THRESHOLD",
    "REGION_CENTRES",
    "SIGMA_MM",
    "GroundTruth",
    "canonical_centres",
    "jittered_centres",
    "planted_gains",
    "planted_signal",
    "planted_weights",
    "spectrotemporal_summary",
]

SIGMA_MM = 8.0
COMPONENTS = ("acoustic", "semantic", "text_only")
#: A vertex belongs to a component's planted region where that component's gain is at least
#: this (half the peak gain: within ~9.4 mm of a centre for σ = 8 mm). The one threshold of
#: every "planted region" in the summaries, notebooks and recovery scores.
PLANTED_THRESHOLD = 0.5
#: Amplitude of each component's contribution (the regional tuning shared by all subjects).
COMPONENT_SCALES: dict[str, float] = {"acoustic": 1.0, "semantic": 0.8, "text_only": 0.7}
#: SD (mm, per axis) of a subject's displacement of each planted region centre.
JITTER_SD_MM = 3.0
#: Bound (mm, per axis) of that displacement: draws beyond it are clipped.
JITTER_MAX_MM = 6.0
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


def canonical_centres() -> dict[str, np.ndarray]:
    """The planted region centres of the template, per hemisphere.

    Returns
    -------
    dict of str to ndarray of shape (n_regions, 2, 3)
        Per component (keys :data:`COMPONENTS`): MNI coordinates (mm) of each region's centre
        in the left (index 0, negative x) and right (index 1) hemisphere, from
        :data:`REGION_CENTRES`.
    """
    out = {}
    for comp in COMPONENTS:
        right = np.asarray(REGION_CENTRES[comp], dtype=np.float64)
        left = right * np.array([-1.0, 1.0, 1.0])
        out[comp] = np.stack([left, right], axis=1)
    return out


def jittered_centres(
    rng: np.random.Generator, sd_mm: float = JITTER_SD_MM, max_mm: float = JITTER_MAX_MM
) -> dict[str, np.ndarray]:
    """One subject's planted region centres: the canonical ones, each moved a few millimetres.

    Every region centre of every hemisphere moves independently by a Gaussian displacement
    (SD ``sd_mm`` per axis) clipped to ``±max_mm`` per axis, standing in for the variation of
    anatomy across subjects registered to one template.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the displacements (seed it from the study seed and the subject).
    sd_mm : float, default :data:`JITTER_SD_MM`
    max_mm : float, default :data:`JITTER_MAX_MM`

    Returns
    -------
    dict of str to ndarray of shape (n_regions, 2, 3)
        As :func:`canonical_centres`.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; received {type(rng).__name__}.")
    if not (np.isfinite(sd_mm) and sd_mm >= 0 and np.isfinite(max_mm) and max_mm >= 0):
        raise ValueError(
            f"sd_mm and max_mm must be non-negative numbers; received {sd_mm!r}, {max_mm!r}."
        )
    out = {}
    for comp, centres in canonical_centres().items():
        shift = np.clip(rng.normal(0.0, sd_mm, centres.shape), -max_mm, max_mm)
        out[comp] = centres + shift
    return out


def planted_gains(
    sigma_mm: float = SIGMA_MM, centres: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """Gain of each component at each vertex.

    Parameters
    ----------
    sigma_mm : float, default 8
        Width of each region's Gaussian fall-off (cut at 2.5 σ).
    centres : dict of str to ndarray of shape (n_regions, 2, 3), optional
        Region centres per component and hemisphere (:func:`jittered_centres`); default the
        canonical ones (:func:`canonical_centres`).

    Returns
    -------
    ndarray of shape (3, 20484), float32
        Rows in :data:`COMPONENTS` order; values in [0, 1].
    """
    centres = canonical_centres() if centres is None else centres
    missing = [c for c in COMPONENTS if c not in centres]
    if missing:
        raise ValueError(f"centres must have keys {list(COMPONENTS)}; missing {missing}.")
    mesh = load_fsaverage5("pial")
    coords = mesh.coordinates.astype(np.float64)
    is_left = np.arange(len(coords)) < mesh.n_left
    gains = np.zeros((len(COMPONENTS), len(coords)), dtype=np.float32)
    for c, comp in enumerate(COMPONENTS):
        xyz = np.asarray(centres[comp], dtype=np.float64)
        if xyz.ndim != 3 or xyz.shape[1:] != (2, 3):
            raise ValueError(
                f"centres[{comp!r}] must have shape (n_regions, 2, 3); received {xyz.shape}."
            )
        for region in xyz:
            for centre, hemi in ((region[0], is_left), (region[1], ~is_left)):
                d = np.linalg.norm(coords - centre, axis=1)
                g = np.exp(-0.5 * (d / sigma_mm) ** 2)
                g[(d > 2.5 * sigma_mm) | ~hemi] = 0.0
                gains[c] = np.maximum(gains[c], g)
    return gains


def planted_weights(
    n_features: dict[str, int], gains: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One subject's read-out weights: standard normal where the component has gain.

    Parameters
    ----------
    n_features : dict of str to int
        Number of latent features per component.
    gains : ndarray of shape (3, n_vertices)
        From :func:`planted_gains`.
    rng : numpy.random.Generator
        Draws the weights (seed it from the study seed and the subject).

    Returns
    -------
    dict of str to ndarray of shape (k_c, n_vertices), float32
        Zero where the component's gain is zero.
    """
    weights = {}
    for c, comp in enumerate(COMPONENTS):
        support = np.flatnonzero(gains[c] > 0)
        w = np.zeros((int(n_features[comp]), gains.shape[1]), dtype=np.float32)
        w[:, support] = rng.standard_normal((w.shape[0], support.size), dtype=np.float32)
        weights[comp] = w
    return weights


def planted_signal(
    latents: dict[str, np.ndarray],
    gains: np.ndarray,
    weights: dict[str, np.ndarray],
    scales: dict[str, float] | None = None,
) -> np.ndarray:
    """Noise-free clip responses of the planted model.

    Parameters
    ----------
    latents : dict of str to ndarray of shape (n_clips, k_c)
        Latent features per component (standardised inside).
    gains : ndarray of shape (3, n_vertices)
        From :func:`planted_gains`.
    weights : dict of str to ndarray of shape (k_c, n_vertices)
        From :func:`planted_weights`.
    scales : dict of str to float, optional
        Amplitude per component; default :data:`COMPONENT_SCALES`.

    Returns
    -------
    ndarray of shape (n_clips, n_vertices), float32
        Sum over components of scale × gain × unit-variance read-out.
    """
    scales = COMPONENT_SCALES if scales is None else scales
    n_clips = len(next(iter(latents.values())))
    signal = np.zeros((n_clips, gains.shape[1]), dtype=np.float32)
    for c, comp in enumerate(COMPONENTS):
        z = np.asarray(latents[comp], dtype=np.float64)
        z = (z - z.mean(0)) / np.where(z.std(0) > 0, z.std(0), 1.0)
        w = np.asarray(weights[comp])
        if w.shape != (z.shape[1], gains.shape[1]):
            raise ValueError(
                f"weights[{comp!r}] must have shape {(z.shape[1], gains.shape[1])}; received "
                f"{w.shape}."
            )
        support = np.flatnonzero(gains[c] > 0)
        s = z @ w[:, support].astype(np.float64)
        s = (s - s.mean(0)) / np.where(s.std(0) > 0, s.std(0), 1.0)
        signal[:, support] += (float(scales[comp]) * gains[c, support] * s).astype(np.float32)
    return signal


class GroundTruth(dict):
    """The planted model of one simulated subject: a dict of arrays with typed accessors.

    Keys are documented in :class:`b2m.datasets.Study` (``gains``, ``canonical_gains``,
    ``weights_<component>``, ``signal``…); :meth:`region` answers "where was it planted?"
    with the one threshold :data:`PLANTED_THRESHOLD`, so that no analysis or notebook picks
    its own.
    """

    @property
    def components(self) -> tuple[str, ...]:
        """Component names, in the row order of ``gains``."""
        return COMPONENTS

    def region(
        self, component: str = "any", *, canonical: bool = False, threshold: float | None = None
    ) -> np.ndarray:
        """Vertices of a component's planted region (gain ≥ the threshold).

        Parameters
        ----------
        component : {"acoustic", "semantic", "text_only", "any"}, default "any"
            ``"any"``: the union of the three.
        canonical : bool, default False
            Use the template's regions shared by all subjects (``canonical_gains``: the
            reference for group maps) instead of this subject's jittered ones.
        threshold : float, optional
            Default :data:`PLANTED_THRESHOLD`; in (0, 1].

        Returns
        -------
        ndarray of bool, shape (n_vertices,)
        """
        self._check_component(component, allow_any=True)
        threshold = PLANTED_THRESHOLD if threshold is None else threshold
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not (0 < threshold <= 1)
        ):
            raise ValueError(f"threshold must be a number in (0, 1]; received {threshold!r}.")
        gains = np.asarray(self["canonical_gains" if canonical else "gains"])
        rows = gains if component == "any" else gains[COMPONENTS.index(component)][None]
        return (rows >= threshold).any(axis=0)

    def _check_component(self, component: str, allow_any: bool) -> None:
        names = [*COMPONENTS, "any"] if allow_any else list(COMPONENTS)
        if component not in names:
            raise ValueError(f"component must be one of {names}; received {component!r}.")

    def gain(self, component: str, *, canonical: bool = False) -> np.ndarray:
        """A component's planted gain per vertex (0 outside its regions, 1 at the centres).

        Parameters
        ----------
        component : {"acoustic", "semantic", "text_only"}
        canonical : bool, default False
            The template's regions (``canonical_gains``) instead of this subject's.
        """
        self._check_component(component, allow_any=False)
        gains = np.asarray(self["canonical_gains" if canonical else "gains"])
        return gains[COMPONENTS.index(component)]

    def support(self, component: str = "any", *, canonical: bool = False) -> np.ndarray:
        """Vertices where a component was planted at all (gain > 0, within 2.5 σ of a centre).

        Wider than :meth:`region` (gain ≥ :data:`PLANTED_THRESHOLD`): what a detection
        table counts as a true positive anywhere the signal reaches.
        """
        self._check_component(component, allow_any=True)
        gains = np.asarray(self["canonical_gains" if canonical else "gains"])
        rows = gains if component == "any" else gains[COMPONENTS.index(component)][None]
        return (rows > 0).any(axis=0)

    def regions(self, *, canonical: bool = False) -> dict[str, np.ndarray]:
        """:meth:`region` of every component, by name."""
        return {c: self.region(c, canonical=canonical) for c in COMPONENTS}
