"""Loading one subject of a built simulated study as a :class:`b2m.datasets.Study`."""

from __future__ import annotations

import json

import numpy as np

from b2m.datasets._responses import ClipResponses
from b2m.datasets._study import Study
from b2m.datasets.simulation._planted import COMPONENTS, GroundTruth, planted_signal
from b2m.datasets.simulation._simulate import (
    load_clips,
    make_simulated_study,
    simulated_study_dir,
    stimulus_key,
)
from b2m.datasets.simulation.music import SAMPLE_RATE

__all__ = ["load_simulated_study"]


def _planted_signal(truth: dict) -> np.ndarray:
    """A subject's noise-free planted clip responses, recomputed from its saved truth."""

    latents = {c: truth[f"latent_{c}"] for c in COMPONENTS}
    weights = {c: truth[f"weights_{c}"] for c in COMPONENTS}
    scales = dict(zip(COMPONENTS, truth["component_scales"].tolist(), strict=True))
    return planted_signal(latents, truth["gains"], weights, scales)


def load_simulated_study(
    subject: str, data_home, *, seed: int, snr: float, noise: bool, build: bool
) -> Study:

    root = simulated_study_dir(data_home, seed=seed, snr=snr, noise=noise)
    if build:
        make_simulated_study(data_home, subjects=[subject], seed=seed, snr=snr, noise=noise)
    path = root / f"{subject}_responses.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"No simulated responses for {subject} in {str(root)!r}; build them with "
            f"b2m.datasets.make_simulated_study(subjects=[{subject!r}]) or `b2m simulate`."
        )
    with np.load(path) as data:
        responses = ClipResponses.from_arrays(data)
        subject_truth = {"subject_gain": float(data["subject_gain"]), "noise_sd": data["noise_sd"]}
        subject_truth.update(
            {k: data[k] for k in data.files if k.startswith(("weights_", "centres_"))}
        )
        subject_truth["gains"] = data["gains"]
        subject_truth["component_scales"] = data["component_scales"]
    with np.load(root / "ground_truth.npz") as truth:
        ground_truth = GroundTruth({k: truth[k] for k in truth.files})
    ground_truth.update(subject_truth)
    ground_truth["signal"] = _planted_signal(ground_truth)
    params = ground_truth["params"] = json.loads((root / "study.json").read_text())
    return Study(
        dataset="simulated",
        subject=subject,
        clips=load_clips(root),
        responses=responses,
        space="fsaverage5",
        root=root,
        key=root.name,
        sample_rate=SAMPLE_RATE,
        ground_truth=ground_truth,
        data_home=root.parents[1],
        stimulus_key=stimulus_key(params["seed"], params["version"]),
    )
