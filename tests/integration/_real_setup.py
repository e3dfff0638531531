"""A complete fake "real" ds003720 setup in a data home's default locations.

What :func:`build_real_setup` writes, all where the loaders look when given no path:

``<home>/gtzan/genres/<genre>/<genre>.000TT.wav``
    A 30-s, 22,050-Hz, 16-bit mono file for each of the 540 tracks the schedule uses. Each is
    one bar of synthetic music tiled to 30 s: a harmonic tone (genre-typical pitch, number of
    harmonics and spectral tilt), pulsed at a genre-typical tempo, plus low-pass filtered noise
    bursts on the beats (genre-typical level and brightness). Every track draws its own pitch,
    tempo, noise and decay around its genre's values, so clips differ within a genre too.
``<home>/brain2music_captions/captions.csv``
    ``clip_id,caption``: one English sentence per clip, written from the same attributes.
``<home>/ds003720``
    The BIDS tree (real ``events.tsv``, sidecars and ``dataset_description.json``) with raw
    runs on a tiny native grid, and fMRIPrep fsaverage5 GIFTI runs under
    ``derivatives/fmriprep``. The planted clip responses are the clips' acoustic features
    (:class:`b2m.features.AcousticFeatures` of the audio as the study loads it, standardised)
    projected by a random matrix onto auditory vertices (fsaverage5: the vertices of
    :func:`b2m.regions.auditory_regions`; native: one half of the box brain), so decoding the
    acoustic space from these responses works as it would on real data.

The acoustic features are stored in the feature cache under the key the real study uses, so
the notebooks and the command line do not compute them again.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "datasets"))

from _bids_tree import (
    Planted,
    make_fmriprep_fsaverage5_tree,
    make_raw_tree,
)

SR = 22050
SECONDS = 30.0
#: Native grid of the raw runs (a box brain inside, as in ``make_raw_tree``).
RAW_SHAPE = (10, 10, 8)
#: Genre → (tone Hz, tempo BPM, harmonics, spectral tilt, noise level, noise brightness).
PROFILES = {
    "blues": (110.0, 78.0, 4, 1.2, 0.25, 0.25),
    "classical": (440.0, 62.0, 2, 1.8, 0.02, 0.10),
    "country": (196.0, 108.0, 3, 1.4, 0.15, 0.40),
    "disco": (262.0, 122.0, 3, 1.0, 0.60, 0.85),
    "hiphop": (65.0, 92.0, 6, 0.8, 0.55, 0.20),
    "jazz": (330.0, 138.0, 5, 1.5, 0.20, 0.60),
    "metal": (82.0, 172.0, 8, 0.6, 0.90, 0.95),
    "pop": (523.0, 116.0, 3, 1.1, 0.35, 0.70),
    "reggae": (147.0, 74.0, 4, 1.3, 0.30, 0.50),
    "rock": (165.0, 132.0, 6, 0.9, 0.70, 0.80),
}


@dataclass
class RealSetup:
    """What :func:`build_real_setup` wrote and planted.

    Attributes
    ----------
    home : pathlib.Path
        The data home.
    bids_root, gtzan_dir, captions_file : pathlib.Path
        The default locations, filled.
    clips : pandas.DataFrame
        The 540 clips (``clip_id genre track start end split``) and the attributes their audio
        was made from (``tone bpm harmonics tilt noise brightness decay``).
    features : ndarray of shape (540, 129)
        Acoustic features of the clips (rows in ``clips`` order), as planted.
    raw, fsaverage5 : Planted
        The planted responses of the raw and the fsaverage5 trees.
    seconds : dict of str to float
        Wall time of each step.
    """

    home: Path
    bids_root: Path
    gtzan_dir: Path
    captions_file: Path
    clips: pd.DataFrame
    features: np.ndarray
    raw: Planted
    fsaverage5: Planted
    seconds: dict = field(default_factory=dict)


def clip_table() -> pd.DataFrame:
    """The 540 unique clips of the schedule with the attributes of their fake audio."""
    from b2m.datasets import load_schedule
    from b2m.datasets._events import clips_from_schedule

    clips = clips_from_schedule(load_schedule()).drop(columns="caption")
    rows = []
    for genre, track in zip(clips["genre"], clips["track"], strict=True):
        tone, bpm, harmonics, tilt, noise, bright = PROFILES[genre]
        rng = np.random.default_rng([sorted(PROFILES).index(genre), int(track)])
        rows.append(
            {
                "tone": tone * 2.0 ** rng.uniform(-0.5, 0.5),
                "bpm": bpm * rng.uniform(0.88, 1.12),
                "harmonics": harmonics,
                "tilt": tilt * rng.uniform(0.8, 1.25),
                "noise": noise * rng.uniform(0.5, 1.5) + 0.02,
                "brightness": float(np.clip(bright + rng.uniform(-0.1, 0.1), 0.03, 0.97)),
                "decay": rng.uniform(0.08, 0.4),
                "seed": int(rng.integers(2**31)),
            }
        )
    return pd.concat([clips, pd.DataFrame(rows)], axis=1)


def render_track(attrs) -> np.ndarray:
    """30 s of int16 audio from one row of :func:`clip_table`: one bar, tiled."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(attrs.seed)
    beat = 60.0 / attrs.bpm
    n = round(4 * beat * SR)
    t = np.arange(n) / SR
    env = np.exp(-(t % beat) / (beat * attrs.decay))
    tone = np.zeros(n)
    for k in range(1, attrs.harmonics + 1):
        tone += np.sin(2 * np.pi * k * attrs.tone * t + rng.uniform(0, 2 * np.pi)) / k**attrs.tilt
    tone *= 0.4 + 0.6 * env
    a = attrs.brightness
    noise = lfilter([a], [1.0, a - 1.0], rng.normal(0.0, 1.0, n)) * env
    bar = tone / np.abs(tone).max() + attrs.noise * noise / np.abs(noise).max()
    wave = np.tile(bar, int(np.ceil(SECONDS * SR / n)))[: round(SECONDS * SR)]
    return np.round(wave * (0.5 * 32767 / np.abs(wave).max())).astype(np.int16)


def write_gtzan(folder: Path, clips: pd.DataFrame) -> None:
    """The fake GTZAN copy in the original archive's layout (``genres/<genre>/...``)."""
    import soundfile as sf

    for attrs in clips.itertuples():
        path = folder / "genres" / attrs.genre / f"{attrs.clip_id}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, render_track(attrs), SR, subtype="PCM_16")


def caption(attrs) -> str:
    """One sentence describing a clip's fake audio (what a listener could say)."""
    speed = "slow" if attrs.bpm < 90 else "fast" if attrs.bpm > 125 else "mid-tempo"
    pitch = "low" if attrs.tone < 120 else "high" if attrs.tone > 300 else "middle"
    timbre = "rich, buzzing" if attrs.harmonics / attrs.tilt > 5 else "pure, soft"
    drums = (
        "no percussion to speak of"
        if attrs.noise < 0.15
        else ("bright, crashing" if attrs.brightness > 0.6 else "dull, thudding")
        + f" {'loud' if attrs.noise > 0.5 else 'quiet'} percussion"
    )
    return (
        f"A {speed} {attrs.genre} piece at about {attrs.bpm:.0f} beats per minute, with a "
        f"{pitch}-pitched {timbre} tone and {drums}."
    )


def write_captions(path: Path, clips: pd.DataFrame) -> None:
    """``clip_id,caption`` CSV, one row per clip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(
        {"clip_id": clips["clip_id"], "caption": [caption(r) for r in clips.itertuples()]}
    )
    table.to_csv(path, index=False)


def acoustic_features(home: Path, gtzan_dir: Path, captions_file: Path, clips) -> np.ndarray:
    """Acoustic features of the clips as the real study loads them, stored in its cache."""
    from b2m.analysis import study_embeddings
    from b2m.datasets import GTZANStimuli, load_schedule
    from b2m.datasets._events import clips_from_schedule
    from b2m.datasets._responses import ClipResponses
    from b2m.datasets._study import Study
    from b2m.datasets.bids._study import _attach_captions, gtzan_key

    # A Study with the real study's clips, captions, audio and cache key, but no brain yet:
    # its acoustic features are then computed once and cached where the real study finds them.
    table = clips_from_schedule(load_schedule())
    stimuli = GTZANStimuli(gtzan_dir)
    key = f"ds003720-captions-{_attach_captions(table, captions_file)}" + gtzan_key(stimuli)
    empty = np.zeros((0, 1), np.float32)
    stand_in = Study(
        dataset="ds003720",
        subject="sub-001",
        clips=table,
        responses=ClipResponses(empty, [], [], np.zeros((4, 0, 1)), [], []),
        space="none",
        root=home,
        key=key,
        sample_rate=SR,
        data_home=home,
        stimuli=stimuli,
    )
    assert list(table["clip_id"]) == list(clips["clip_id"])
    return study_embeddings(stand_in, "acoustic", progressbar=False)


def standardise(features: np.ndarray) -> np.ndarray:
    """Columns z-scored; constant columns dropped."""
    sd = features.std(axis=0)
    keep = sd > 1e-8 * max(float(sd.max()), 1e-30)
    return (features[:, keep] - features[:, keep].mean(0)) / sd[keep]


def build_real_setup(
    home,
    *,
    amplitude_surface: float = 1.0,
    noise_surface: float = 12.0,
    amplitude_raw: float = 6.0,
    noise_raw: float = 40.0,
    n_noise_vertices: int = 600,
    seed: int = 0,
) -> RealSetup:
    """Write GTZAN, captions and the ds003720 tree (raw + fMRIPrep fsaverage5) into ``home``.

    Parameters
    ----------
    home : path-like
        The data home (created).
    amplitude_surface, noise_surface : float
        Planted response SD per auditory vertex, and the SD of the Gaussian noise per volume.
    amplitude_raw, noise_raw : float
        The same for the raw runs (in scanner units around a baseline of 1000).
    n_noise_vertices : int
        Vertices outside auditory cortex that carry noise only.
    seed : int
        Seeds the projection and the trees.
    """
    from b2m.regions import auditory_regions

    home = Path(home)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    clips = clip_table()
    gtzan_dir = home / "gtzan"
    write_gtzan(gtzan_dir, clips)
    captions_file = home / "brain2music_captions" / "captions.csv"
    write_captions(captions_file, clips)
    seconds["gtzan and captions"] = time.perf_counter() - started

    started = time.perf_counter()
    features = acoustic_features(home, gtzan_dir, captions_file, clips)
    seconds["acoustic features"] = time.perf_counter() - started

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    z = standardise(features)
    # fsaverage5: every auditory vertex responds to a random mixture of the features.
    auditory = np.any(np.stack(list(auditory_regions().values())), axis=0)
    vertices = np.flatnonzero(auditory)
    weights = rng.normal(0.0, 1.0, (z.shape[1], vertices.size)) / np.sqrt(z.shape[1])
    gain = rng.uniform(0.5, 1.5, vertices.size)
    surface = np.zeros((len(clips), auditory.size))
    surface[:, vertices] = amplitude_surface * (z @ weights) * gain
    outside = np.flatnonzero(~auditory)
    noisy = rng.choice(outside, n_noise_vertices, replace=False)
    bids_root = home / "ds003720"
    planted_fs5 = make_fmriprep_fsaverage5_tree(
        bids_root,
        patterns=surface,
        active=np.concatenate([vertices, noisy]),
        noise=noise_surface,
        seed=seed + 1,
    )
    # Native grid: the front half of the box brain responds.
    volume = np.zeros((len(clips), *RAW_SHAPE))
    region = np.zeros(RAW_SHAPE, bool)
    region[1:-1, 1 : RAW_SHAPE[1] // 2, 1:-1] = True
    w_raw = rng.normal(0.0, 1.0, (z.shape[1], int(region.sum()))) / np.sqrt(z.shape[1])
    volume[:, region] = amplitude_raw * (z @ w_raw)
    planted_raw = make_raw_tree(
        bids_root, shape=RAW_SHAPE, patterns=volume, noise=noise_raw, seed=seed + 2
    )
    planted_raw.extra["region"] = region
    planted_fs5.extra["auditory"] = auditory
    seconds["BIDS trees"] = time.perf_counter() - started
    return RealSetup(
        home=home,
        bids_root=bids_root,
        gtzan_dir=gtzan_dir,
        captions_file=captions_file,
        clips=clips,
        features=features,
        raw=planted_raw,
        fsaverage5=planted_fs5,
        seconds=seconds,
    )
