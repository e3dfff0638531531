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
  (extra ``[generate]``; weights from a local directory or the Hugging Face cache).

:func:`evaluate_reconstructions` scores them as Brain2Music did (identification accuracy
against the test stimuli and genre agreement), beside the decoded embeddings (upper
reference) and random training clips (chance reference). :func:`reconstruct_study` and
:func:`make_reconstructor` build the backends for a study's decoding.
"""

from b2m.reconstruction._base import Reconstruction, Reconstructor, as_neighbour_items
from b2m.reconstruction._evaluate import (
    ReconstructionEvaluation,
    evaluate_reconstructions,
    identification_against,
)
from b2m.reconstruction._music_library import MusicLibrary, debian_music_library
from b2m.reconstruction._musicgen import DEFAULT_MUSICGEN, MusicGenReconstructor
from b2m.reconstruction._readout import CONTINUOUS_ATTRIBUTES, AttributeReadout, study_attributes
from b2m.reconstruction._retrieval import LIBRARIES, RetrievalReconstructor, study_library
from b2m.reconstruction._study import BACKENDS, make_reconstructor, reconstruct_study
from b2m.reconstruction._synth import SynthReconstructor

__all__ = [
    "BACKENDS",
    "CONTINUOUS_ATTRIBUTES",
    "DEFAULT_MUSICGEN",
    "LIBRARIES",
    "AttributeReadout",
    "MusicGenReconstructor",
    "MusicLibrary",
    "Reconstruction",
    "ReconstructionEvaluation",
    "Reconstructor",
    "RetrievalReconstructor",
    "SynthReconstructor",
    "as_neighbour_items",
    "debian_music_library",
    "evaluate_reconstructions",
    "identification_against",
    "make_reconstructor",
    "reconstruct_study",
    "study_attributes",
    "study_library",
]
