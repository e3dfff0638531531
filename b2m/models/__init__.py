"""Models: the ridge engine, decoding and encoding estimators, identification, retrieval."""

from b2m._utils._arrays import unit_rows
from b2m.models._estimators import Decoder, Encoder, pearson_columns
from b2m.models._identification import (
    IdentificationResult,
    correlation_matrix,
    identification_accuracy,
    identification_chance,
    identify,
    top_k_accuracy,
)
from b2m.models._neighbours import Neighbour, cosine_neighbours, neighbour_items
from b2m.models._retrieval import LibraryIndex, RetrievalResult, recall_at_k, retrieve_clips
from b2m.models._ridge import DEFAULT_ALPHAS, RidgeCV, run_folds, thin_svd

__all__ = [
    "DEFAULT_ALPHAS",
    "Decoder",
    "Encoder",
    "IdentificationResult",
    "LibraryIndex",
    "Neighbour",
    "RetrievalResult",
    "RidgeCV",
    "correlation_matrix",
    "cosine_neighbours",
    "identification_accuracy",
    "identification_chance",
    "identify",
    "neighbour_items",
    "pearson_columns",
    "recall_at_k",
    "retrieve_clips",
    "run_folds",
    "thin_svd",
    "top_k_accuracy",
    "unit_rows",
]
