"""Decoding a feature space from brain responses, and identification of the test clips."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m.analysis._embeddings import study_embeddings
from b2m.models import Decoder, IdentificationResult

__all__ = ["DecodingResult", "decode_study"]


@dataclass
class DecodingResult:
    """Decoding of one feature space from one subject's responses.

    Attributes
    ----------
    space, subject : str
    decoder : Decoder
        Fitted on the training clips.
    identification : IdentificationResult
        Test clips identified among the 60 test clips (standardised embedding space).
    decoded : ndarray of shape (n_test, n_dims)
        Decoded test embeddings (standardised with training statistics).
    true : ndarray of shape (n_test, n_dims)
        True test embeddings (same space).
    test_ids : ndarray of shape (n_test,)
    """

    space: str
    subject: str
    decoder: Decoder = field(repr=False)
    identification: IdentificationResult = field(repr=False)
    decoded: np.ndarray = field(repr=False)
    true: np.ndarray = field(repr=False)
    test_ids: np.ndarray = field(repr=False)
    test_genres: np.ndarray = field(repr=False)

    def neighbours(self, i: int, k: int = 5) -> list[dict]:
        """The ``k`` test clips whose embeddings best match the embedding decoded for clip ``i``.

        Returns
        -------
        list of dict
            ``index``, ``clip_id``, ``genre``, ``score`` (correlation), best first.
        """
        corr = self.identification.correlations[int(i)]
        order = np.argsort(-corr)[:k]
        return [
            {
                "index": int(j),
                "clip_id": str(self.test_ids[j]),
                "genre": str(self.test_genres[j]),
                "score": float(corr[j]),
            }
            for j in order
        ]

    def summary(self) -> dict:
        """Headline numbers: mean identification accuracy, top-1 and top-5 among test clips."""
        ident = self.identification
        return {
            "subject": self.subject,
            "space": self.space,
            "identification": ident.mean_accuracy,
            "identification_sd": float(ident.accuracy.std()),
            "top1": ident.top_k(1),
            "top5": ident.top_k(5),
            "n_test": len(ident.accuracy),
            "chance_identification": 0.5,
            "chance_top1": 1 / len(ident.accuracy),
            "chance_top5": min(5, len(ident.accuracy)) / len(ident.accuracy),
        }

    def to_frame(self) -> pd.DataFrame:
        """Per test clip: identification accuracy and rank."""
        return self.identification.to_frame().assign(subject=self.subject, space=self.space)


def decode_study(
    study,
    space: str = "acoustic",
    *,
    alphas=None,
    n_splits: int = 5,
    permute_seed: int | None = None,
    **params,
) -> DecodingResult:
    """Decode a feature space from a subject's responses and identify the test clips.

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
    alphas : array-like, optional
        Candidate ridge strengths.
    n_splits : int, default 5
        Run-grouped CV folds.
    permute_seed : int, optional
        A control: shuffle which training embedding goes with which response (seeded).
        Identification should then fall to chance (0.5).
    **params
        Passed to the feature space.

    Returns
    -------
    DecodingResult
    """
    emb = study_embeddings(study, space, **params)
    r = study.responses
    train_x = emb[study.clip_indices(r.train_ids)]
    test_x = emb[study.clip_indices(r.test_ids)]
    if permute_seed is not None:
        train_x = train_x[np.random.default_rng(permute_seed).permutation(len(train_x))]
    decoder = Decoder(alphas, n_splits=n_splits).fit(r.train, train_x, r.train_runs)
    ident = decoder.identify(r.test, test_x, clip_ids=r.test_ids)
    return DecodingResult(
        space=space,
        subject=study.subject,
        decoder=decoder,
        identification=ident,
        decoded=decoder.ridge_.predict(r.test),
        true=decoder.transform_embeddings(test_x),
        test_ids=r.test_ids,
        test_genres=study.test_clips["genre"].to_numpy(),
    )
