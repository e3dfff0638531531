"""The simulated study: the real ds003720 design with synthetic music and planted responses.

Built locally and deterministically from a seed, with no download:

1. the real schedule (18 runs, 41 clips each, TR 1.5 s) from the packaged ``events.tsv``;
2. one synthetic 15-s clip per unique clip (540) rendered from genre-typical attributes
   (:mod:`b2m.datasets.simulation.music`), with a caption written by an imperfect annotator from what
   they perceive of the same attributes (:func:`b2m.datasets._captions.annotate_attributes`);
3. per subject, the subject's own planted model (:mod:`b2m.datasets.simulation._planted`: shared regional
   tuning, the subject's read-out weights and region centres jittered by a few millimetres)
   and BOLD time series on fsaverage5 (410 volumes per run): the planted clip responses
   convolved with the SPM haemodynamic response, plus AR(1) noise and a slow drift;
4. clip responses extracted by the same code as for real data
   (:func:`b2m.datasets._responses.clean_run`, :func:`~b2m.datasets._responses.extract_clip_responses`).

Everything is identical on any number of cores: a subject's products run on one BLAS
thread (OpenBLAS rounds some products differently with two threads than with one), and
subjects built at the same time (on threads) draw from their own random streams.

Layout under ``<data_home>/simulated/<key>/``: ``study.json`` (parameters; written last, so
its presence means the shared part is complete), ``clips.csv`` (clip table and captions),
``attributes.json``, ``audio/<clip_id>.flac``, ``ground_truth.npz`` (what all subjects share:
clip ids, latent features, the canonical planted gains) and one ``sub-00N_responses.npz`` per
subject (written atomically when that subject is built: its clip responses and its planted
truth — gains, region centres, read-out weights, signal gain, noise SD).

The shared part depends on the seed (and :data:`SIM_VERSION`) only, not on ``snr`` or
``noise``: a variant of a study already built in the same data home (another SNR, a
noise-free study) hard-links that study's files (copies them where links are not possible)
instead of rendering the 540 clips again, and its feature caches are shared too
(:func:`stimulus_key`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from b2m._utils._io import atomic_path, save_json, save_npz
from b2m._utils._parallel import process_map, thread_map
from b2m._utils._progress import progress
from b2m.config import get_data_home
from b2m.constants import DEFAULT_SNR
from b2m.datasets._events import (
    CLIP_SECONDS,
    N_VOLUMES,
    SUBJECTS,
    TR,
    clips_from_schedule,
    load_schedule,
)
from b2m.datasets._responses import ResponseWindow, clean_run, extract_clip_responses
from b2m.datasets.simulation._planted import (
    COMPONENTS,
    jittered_centres,
    planted_gains,
    planted_signal,
    planted_weights,
)

__all__ = [
    "DEFAULT_SNR",
    "SIM_VERSION",
    "make_simulated_study",
    "simulated_study_dir",
    "stimulus_key",
]

#: Bump when the simulator changes what it produces: it changes the cache key.
SIM_VERSION = "4"
AR_COEF = 0.3


def _check_subjects(subjects) -> list[str]:
    if subjects is None:
        return list(SUBJECTS)
    if isinstance(subjects, str | int):
        subjects = [subjects]
    out = []
    for s in subjects:
        name = f"sub-{int(s):03d}" if isinstance(s, int | np.integer) else str(s)
        if name not in SUBJECTS:
            raise ValueError(f"subjects must be among {list(SUBJECTS)} (or 1–5); received {s!r}.")
        out.append(name)
    return out


def _study_params(seed: int, snr: float, noise: bool) -> dict:
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; received {seed!r}.")
    if not (np.isfinite(snr) and snr > 0):
        raise ValueError(f"snr must be a positive number; received {snr!r}.")
    return {"version": SIM_VERSION, "seed": int(seed), "snr": float(snr), "noise": bool(noise)}


def simulated_study_dir(
    data_home=None, *, seed: int = 0, snr: float = DEFAULT_SNR, noise: bool = True
) -> Path:
    """Directory of the simulated study with these parameters (keyed by them)."""
    params = _study_params(seed, snr, noise)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    tag = f"seed{seed}" + ("" if noise else "-noisefree")
    return get_data_home(data_home) / "simulated" / f"{tag}-{digest}"


def stimulus_key(seed: int = 0, version: str = SIM_VERSION) -> str:
    """Names the stimulus set of the simulated studies of one seed (their clips, audio and
    captions, which ``snr`` and ``noise`` do not change): the key of their feature caches.

    Parameters
    ----------
    seed : int, default 0
    version : str, default SIM_VERSION
        The simulator version the study was built with (its ``study.json``).

    Returns
    -------
    str
        E.g. ``"simulated-seed0-stimuli-<digest>"``.
    """
    params = {"version": str(version), "seed": int(seed)}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    return f"simulated-seed{int(seed)}-stimuli-{digest}"


#: Files of a study directory that depend on the seed only (with ``audio/``).
_SHARED_FILES = ("clips.csv", "attributes.json", "ground_truth.npz")


def _stimulus_donor(root: Path, params: dict) -> Path | None:
    """A complete sibling of ``root`` with the same seed and version (its shared part is this
    study's), or None."""
    for other in sorted(root.parent.glob(f"seed{params['seed']}*")):
        if other == root or not other.is_dir():
            continue
        try:
            built = json.loads((other / "study.json").read_text())
            ids = load_clips(other)["clip_id"].tolist()
        except (OSError, ValueError, KeyError):
            continue
        if (built.get("version"), built.get("seed")) != (params["version"], params["seed"]):
            continue
        files = [other / f for f in _SHARED_FILES] + [other / "audio" / f"{c}.flac" for c in ids]
        if all(f.is_file() for f in files):
            return other
    return None


def _link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` becomes a hard link to ``src`` (a copy where links fail), atomically."""
    with atomic_path(dst) as tmp:
        tmp.unlink()  # the link takes the temporary name, then is renamed onto dst
        try:
            os.link(src, tmp)
        except OSError:  # another file system, or one without hard links
            shutil.copyfile(src, tmp)


def _share_stimuli(root: Path, donor: Path, params: dict) -> None:
    """Build ``root``'s shared part from ``donor``'s files (same seed and version)."""
    (root / "audio").mkdir(parents=True, exist_ok=True)
    for cid in load_clips(donor)["clip_id"]:
        _link_or_copy(donor / "audio" / f"{cid}.flac", root / "audio" / f"{cid}.flac")
    for name in _SHARED_FILES:
        _link_or_copy(donor / name, root / name)
    save_json(root / "study.json", {**params, "created": time.strftime("%Y-%m-%dT%H:%M:%S")})


def _render_one(args) -> np.ndarray:
    """Render one clip to FLAC (unless present) and return its spectro-temporal summary."""
    import soundfile as sf

    from b2m.datasets.simulation._planted import spectrotemporal_summary
    from b2m.datasets.simulation.music import SAMPLE_RATE, render_clip

    attrs, seed, path = args
    path = Path(path)
    wave = render_clip(attrs, seed=seed)
    if not path.exists():
        with atomic_path(path) as tmp:
            sf.write(tmp, wave, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return spectrotemporal_summary(wave, SAMPLE_RATE)


def _build_shared(root: Path, params: dict, n_jobs: int, show: bool) -> None:
    from b2m.datasets._captions import annotate_attributes
    from b2m.datasets.simulation.music import (
        attribute_features,
        make_caption,
        sample_clip_attributes,
    )

    schedule = load_schedule()
    clips = clips_from_schedule(schedule)  # its captions are filled below
    seed = params["seed"]
    attrs, captions = [], []
    for i, genre in enumerate(clips["genre"]):
        rng = np.random.default_rng([seed, 1, i])
        a = sample_clip_attributes(genre, rng)
        attrs.append(a)
        heard = annotate_attributes(a, np.random.default_rng([seed, 6, i]))
        captions.append(make_caption(heard, rng))
    clips["caption"] = captions
    clips["audio_seed"] = [
        int(np.random.default_rng([seed, 2, i]).integers(2**31)) for i in range(len(clips))
    ]

    audio_dir = root / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (a, int(s), str(audio_dir / f"{cid}.flac"))
        for a, s, cid in zip(attrs, clips["audio_seed"], clips["clip_id"], strict=True)
    ]
    summaries = process_map(
        _render_one, jobs, n_jobs, desc="Rendering clips", disable=None if show else True
    )

    latents = attribute_features(attrs)
    # Primary auditory cortex hears the sound itself: its spectro-temporal statistics, plus
    # the low-level attributes the synthesiser was given.
    latents["acoustic"] = np.hstack([np.stack(summaries), latents["acoustic"]])
    save_npz(
        root / "ground_truth.npz",
        canonical_gains=planted_gains(),
        clip_ids=clips["clip_id"].to_numpy().astype(str),
        **{f"latent_{c}": np.asarray(latents[c], dtype=np.float32) for c in COMPONENTS},
    )
    with atomic_path(root / "clips.csv") as tmp:
        clips.to_csv(tmp, index=False)
    save_json(root / "attributes.json", dict(zip(clips["clip_id"], attrs, strict=True)))
    save_json(root / "study.json", {**params, "created": time.strftime("%Y-%m-%dT%H:%M:%S")})


def _hrf_design(n_clips: int = 41) -> np.ndarray:
    """Design matrix of shape (410, n_clips): each clip's boxcar convolved with the SPM HRF."""
    from nilearn.glm.first_level import spm_hrf

    dt = TR / 15
    hrf = spm_hrf(TR, oversampling=15)
    n_fine = N_VOLUMES * 15
    boxcars = np.zeros((n_fine, n_clips))
    per_clip = round(CLIP_SECONDS / dt)
    for j in range(n_clips):
        boxcars[j * per_clip : (j + 1) * per_clip, j] = 1.0
    conv = np.stack([np.convolve(boxcars[:, j], hrf)[:n_fine] for j in range(n_clips)], axis=1)
    return conv[::15].astype(np.float32)


def subject_model(n_features: dict[str, int], subject: str, seed: int) -> dict:
    """One subject's planted model, drawn from the study seed and the subject number.

    Parameters
    ----------
    n_features : dict of str to int
        Number of latent features per component (columns of ``latent_<component>`` in the
        study's ``ground_truth.npz``).
    subject : str
        ``"sub-001"`` … ``"sub-005"``.
    seed : int
        The study seed.

    Returns
    -------
    dict
        ``centres`` (dict of component to array of shape (n_regions, 2, 3), MNI mm),
        ``gains`` (array of shape (3, 20484)), ``weights`` (dict of component to array of
        shape (k_c, 20484)) and ``scales`` (dict of component to float): the inputs of
        :func:`b2m.datasets.simulation._planted.planted_signal`.
    """
    from b2m.datasets.simulation._planted import COMPONENT_SCALES

    s_num = SUBJECTS.index(subject) + 1
    centres = jittered_centres(np.random.default_rng([seed, 5, s_num]))
    gains = planted_gains(centres=centres)
    weights = planted_weights(n_features, gains, np.random.default_rng([seed, 3, s_num]))
    return {"centres": centres, "gains": gains, "weights": weights, "scales": COMPONENT_SCALES}


def _ar1(innovations: np.ndarray, coef: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 0: ``y[t] = coef·y[t-1] + sqrt(1 - coef²)·e[t]``.

    In float64, the same numbers as ``scipy.signal.lfilter([sqrt(1 - coef²)], [1, -coef], e,
    axis=0)`` (the same operations in the same order), ~15x faster: one vectorised step per
    volume instead of one filter per vertex down a strided column.
    """
    out = np.multiply(innovations, np.sqrt(1 - coef**2), dtype=np.float64)
    for t in range(1, len(out)):
        out[t] += coef * out[t - 1]
    return out


def _build_subject(root: Path, subject: str, params: dict, show: bool) -> None:
    # One BLAS thread, always: the products round the same whatever the machine's cores
    # (with OpenBLAS, `design @ clip_signal` differed by up to 7e-7 between one thread and
    # two), so a subject is the same built alone, beside another, or on another machine.
    # The build is single-threaded for the most part anyway (as fast either way here).
    with threadpool_limits(limits=1, user_api="blas"):
        _simulate_subject(root, subject, params, show)


def _simulate_subject(root: Path, subject: str, params: dict, show: bool) -> None:
    schedule = load_schedule()
    with np.load(root / "ground_truth.npz") as truth:
        latents = {c: truth[f"latent_{c}"] for c in COMPONENTS}
        clip_ids = truth["clip_ids"]
    n_features = {c: v.shape[1] for c, v in latents.items()}
    model = subject_model(n_features, subject, params["seed"])
    signal = planted_signal(latents, model["gains"], model["weights"], model["scales"])
    index = {c: i for i, c in enumerate(clip_ids)}
    s_num = SUBJECTS.index(subject) + 1
    rng = np.random.default_rng([params["seed"], 4, s_num])
    n_vertices = signal.shape[1]
    # Subjects differ in signal gain and noise level (per vertex).
    subject_gain = float(rng.uniform(0.85, 1.15))
    noise_sd = rng.uniform(0.8, 1.2, size=n_vertices).astype(np.float32)
    amplitude = params["snr"] * subject_gain
    design = _hrf_design()
    groups = list(schedule.groupby(["task", "run"], sort=False))
    first_run = []

    def cleaned_runs():  # one run at a time: 18 runs of BOLD would hold ~0.6 GB at once
        for (_task, _run), events in progress(
            groups, desc=f"Simulating {subject}", disable=None if show else True
        ):
            clip_signal = signal[[index[c] for c in events["clip_id"]]]
            bold = 100.0 + amplitude * (design @ clip_signal)
            if params["noise"]:
                innov = rng.standard_normal((N_VOLUMES, n_vertices), dtype=np.float32)
                noise = _ar1(innov, AR_COEF)
                drift = np.linspace(-1, 1, N_VOLUMES, dtype=np.float32)[:, None] * rng.normal(
                    0, 0.5, n_vertices
                ).astype(np.float32)
                bold += (noise * noise_sd + drift).astype(np.float32)
            else:
                # Noise-free: a tiny floor keeps silent vertices finite after z-scoring.
                bold += 1e-3 * rng.standard_normal((N_VOLUMES, n_vertices), dtype=np.float32)
            cleaned = clean_run(bold)
            if not first_run:
                first_run.append(cleaned.astype(np.float16))
            yield events, cleaned

    responses = extract_clip_responses(cleaned_runs(), window=ResponseWindow())
    responses.save(
        root / f"{subject}_responses.npz",
        subject_gain=np.float32(subject_gain),
        noise_sd=noise_sd,
        example_bold=first_run[0],
        gains=model["gains"],
        component_scales=np.asarray([model["scales"][c] for c in COMPONENTS], np.float32),
        **{f"centres_{c}": v for c, v in model["centres"].items()},
        **{f"weights_{c}": w for c, w in model["weights"].items()},
    )


def make_simulated_study(
    data_home: str | os.PathLike | None = None,
    *,
    subjects=None,
    seed: int = 0,
    snr: float = DEFAULT_SNR,
    noise: bool = True,
    n_jobs: int = 2,
    overwrite: bool = False,
    progressbar: bool = True,
) -> Path:
    """Build (or reuse) the simulated study and return its directory.

    Parameters
    ----------
    data_home : str or path-like, optional
        See :func:`b2m.get_data_home`.
    subjects : str, int or list, optional
        Subjects to build (``"sub-001"`` or ``1``…); default all five. Subjects already built
        with the same parameters are reused; others are added.
    seed : int, default 0
        Everything (music, captions, planted weights, noise) is a function of the seed.
    snr : float, default 0.2
        Peak amplitude of the planted signal relative to the time-series noise SD.
    noise : bool, default True
        ``False`` builds a noise-free study (for checking that methods recover the truth).
    n_jobs : int, default 2
        Worker processes rendering the audio, and threads building the subjects (several
        at a time). The study is the same for any ``n_jobs``.
    overwrite : bool, default False
        Rebuild even if a valid study exists.
    progressbar : bool, default True

    Returns
    -------
    pathlib.Path
        The study directory.
    """
    params = _study_params(seed, snr, noise)
    subjects = _check_subjects(subjects)
    root = simulated_study_dir(data_home, seed=seed, snr=snr, noise=noise)
    meta = root / "study.json"
    valid = (
        meta.is_file()
        and {k: v for k, v in json.loads(meta.read_text()).items() if k != "created"} == params
    )
    if overwrite or not valid:
        if meta.exists():
            meta.unlink()
        for f in root.glob("sub-*_responses.npz"):
            f.unlink()
        donor = None if overwrite else _stimulus_donor(root, params)
        if donor is not None:
            _share_stimuli(root, donor, params)
        else:
            _build_shared(root, params, n_jobs, progressbar)
    todo = [s for s in subjects if overwrite or not (root / f"{s}_responses.npz").is_file()]
    n_threads = min(max(1, n_jobs), len(todo))
    if n_threads <= 1:
        for subject in todo:
            _build_subject(root, subject, params, progressbar)
    else:
        # Subjects are independent and mostly single-threaded NumPy, which releases the GIL:
        # several at a time on threads (five took 16.7 s on two cores against 27.6 s one
        # by one). One bar counts the subjects; the BLAS limit is set once around all of
        # them (a limit entered and left by each thread would restore another's setting).
        with threadpool_limits(limits=1, user_api="blas"):
            thread_map(
                lambda subject: _build_subject(root, subject, params, False), todo, n_threads,
                desc="Simulating subjects", disable=None if progressbar else True,
            )  # fmt: skip
    return root


def load_clips(root: Path) -> pd.DataFrame:
    """Read a built study's clip table."""
    return pd.read_csv(root / "clips.csv", dtype={"clip_id": str})
