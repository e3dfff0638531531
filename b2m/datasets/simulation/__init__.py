"""The simulated study: synthetic genre music, captions by erring annotators, and BOLD
responses on fsaverage5 planted by a documented encoding model, in ds003720's exact design.

- :mod:`b2m.datasets.simulation.music`: the music grammar, renderer and captions (public:
  the synthesiser backend and the acoustic features reuse it);
- ``_planted``: the planted encoding model and :class:`GroundTruth`;
- ``_simulate``: :func:`make_simulated_study` (building and caching a study).

Load a built study with :func:`b2m.datasets.load_study` (``dataset="simulated"``).
"""

from b2m.datasets.simulation._planted import (
    COMPONENT_SCALES,
    COMPONENTS,
    PLANTED_THRESHOLD,
    REGION_CENTRES,
    GroundTruth,
    planted_gains,
)
from b2m.datasets.simulation._simulate import (
    DEFAULT_SNR,
    SIM_VERSION,
    make_simulated_study,
    simulated_study_dir,
    stimulus_key,
)

__all__ = [
    "COMPONENTS",
    "COMPONENT_SCALES",
    "DEFAULT_SNR",
    "PLANTED_THRESHOLD",
    "REGION_CENTRES",
    "SIM_VERSION",
    "GroundTruth",
    "make_simulated_study",
    "planted_gains",
    "simulated_study_dir",
    "stimulus_key",
]
