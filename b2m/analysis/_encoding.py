"""Vertex-wise encoding models of a feature space."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m.analysis._embeddings import study_embeddings
from b2m.models import Encoder

__all__ = ["EncodingResult", "encode_study"]


@dataclass
class EncodingResult:
    """Voxel-wise (vertex-wise) encoding of one feature space.

    Attributes
    ----------
    space, subject : str
    encoder : Encoder
    test_r : ndarray of shape (n_vertices,)
        Pearson r between predicted and measured test responses (repeats averaged).
    regions : pandas.DataFrame
        :func:`b2m.regions.region_table` of ``test_r``.
    """

    space: str
    subject: str
    encoder: Encoder = field(repr=False)
    test_r: np.ndarray = field(repr=False)
    regions: pd.DataFrame = field(repr=False)

    @property
    def best_region(self) -> str:
        """Region with the highest mean test correlation."""
        return str(self.regions.iloc[0]["region"])

    def summary(self) -> dict:
        """Headline numbers: best region and its mean r, whole-cortex mean r."""
        return {
            "subject": self.subject,
            "space": self.space,
            "best_region": self.best_region,
            "best_region_mean_r": float(self.regions.iloc[0]["mean r"]),
            "cortex_mean_r": float(self.regions.iloc[-1]["mean r"]),
            "max_r": float(np.nanmax(self.test_r)),
        }

    def to_frame(self) -> pd.DataFrame:
        """The region table."""
        return self.regions.assign(subject=self.subject, space=self.space)


def encode_study(
    study, space: str = "acoustic", *, alphas=None, n_splits: int = 5, **params
) -> EncodingResult:
    """Fit a vertex-wise encoding model and score it on the test clips.

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
    alphas : array-like, optional
    n_splits : int, default 5
    **params
        Passed to the feature space.

    Returns
    -------
    EncodingResult
    """
    from b2m.regions import region_table

    emb = study_embeddings(study, space, **params)
    r = study.responses
    encoder = Encoder(alphas, n_splits=n_splits).fit(
        emb[study.clip_indices(r.train_ids)], r.train, r.train_runs
    )
    test_r = encoder.score_vertices(emb[study.clip_indices(r.test_ids)], r.test)
    return EncodingResult(
        space=space,
        subject=study.subject,
        encoder=encoder,
        test_r=test_r,
        regions=region_table(test_r, name="r"),
    )
