"""Reconstructing music from decoded embeddings: retrieval, generation, and their evaluation.

One interface: a :class:`Reconstructor` turns decoded embeddings of shape (n_targets, d) into
``k`` :class:`Reconstruction` clips per target. Backends:

- :class:`RetrievalReconstructor`: the nearest clips (cosine) of any
  :class:`b2m.models.LibraryIndex`, the target itself left out: by default the study's
  training clips (disjoint from the test set), or real recordings
  (:func:`debian_music_library`, after ``make music``);
- :class:`SynthReconstructor` (offline default): predicts the simulator's musical attributes
  from the embedding and renders a new clip with the project's own synthesiser, no weights;
- :class:`MusicGenReconstructor`: a text prompt chosen by the embedding, audio from MusicGen
  (extra ``[generate]``; weights from a local directory or the Hugging Face cache);
- :class:`CLAPDiffusionReconstructor`: AudioLDM or MusicLDM (diffusers) conditioned on the
  decoded CLAP audio embedding itself, in place of the CLAP text embedding (extra
  ``[generate]``; weights from a local directory, the data home or the Hugging Face cache).

:func:`evaluate_reconstructions` scores them as Brain2Music did (identification accuracy
against the test stimuli and genre agreement), beside the decoded embeddings (upper
reference) and random training clips (chance reference), with top-k identification and
Fréchet distances to the stimuli (:func:`frechet_distance`). :class:`ListeningTest` runs a
blind two-alternative listening test of one backend (:func:`merge_listening_results` pools
listeners). :func:`reconstruct_study` and :func:`make_reconstructor` build the backends for a
study's decoding.
"""

from b2m.reconstruction._base import (
    Reconstruction,
    Reconstructor,
    as_neighbour_items,
    group_by_target,
)
from b2m.reconstruction._diffusion import (
    DEFAULT_AUDIOLDM,
    DEFAULT_MUSICLDM,
    CLAPDiffusionReconstructor,
)
from b2m.reconstruction._distribution import (
    bootstrap_frechet,
    frechet_distance,
    gaussian_frechet,
    local_frechet,
)
from b2m.reconstruction._evaluate import (
    ReconstructionEvaluation,
    evaluate_reconstructions,
)
from b2m.reconstruction._listening import ListeningTest, ListeningTrial
from b2m.reconstruction._listening_merge import ListeningResults, merge_listening_results
from b2m.reconstruction._listening_score import ListeningScore
from b2m.reconstruction._music_library import MusicLibrary, debian_music_library
from b2m.reconstruction._musicgen import DEFAULT_MUSICGEN, MusicGenReconstructor
from b2m.reconstruction._readout import (
    CONTINUOUS_ATTRIBUTES,
    AttributeReadout,
    attribute_tables,
    study_attributes,
)
from b2m.reconstruction._retrieval import LIBRARIES, RetrievalReconstructor, study_library
from b2m.reconstruction._study import BACKENDS, make_reconstructor, reconstruct_study
from b2m.reconstruction._synth import SynthReconstructor

__all__ = [
    "BACKENDS",
    "CONTINUOUS_ATTRIBUTES",
    "DEFAULT_AUDIOLDM",
    "DEFAULT_MUSICGEN",
    "DEFAULT_MUSICLDM",
    "LIBRARIES",
    "AttributeReadout",
    "CLAPDiffusionReconstructor",
    "ListeningResults",
    "ListeningScore",
    "ListeningTest",
    "ListeningTrial",
    "MusicGenReconstructor",
    "MusicLibrary",
    "Reconstruction",
    "ReconstructionEvaluation",
    "Reconstructor",
    "RetrievalReconstructor",
    "SynthReconstructor",
    "as_neighbour_items",
    "attribute_tables",
    "bootstrap_frechet",
    "debian_music_library",
    "evaluate_reconstructions",
    "frechet_distance",
    "gaussian_frechet",
    "group_by_target",
    "local_frechet",
    "make_reconstructor",
    "merge_listening_results",
    "reconstruct_study",
    "study_attributes",
    "study_library",
]
