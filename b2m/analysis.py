"""Study-level analyses that the notebooks compose: embeddings, decoding, encoding.

Each function takes a :class:`b2m.datasets.Study` and a feature-space name and returns a
small result dataclass with ``to_frame()`` / ``summary()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m.models import Decoder, Encoder, IdentificationResult

__all__ = ["DecodingResult", "EncodingResult", "decode_study", "encode_study", "study_embeddings"]


def study_embeddings(
    study, space: str = "acoustic", *, progressbar: bool = True, **params
) -> np.ndarray:
    """Embeddings of every clip of a study in one feature space (cached on disk).

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
        A name known to :func:`b2m.features.get_feature_space` (``"acoustic"``, ``"genre"``…).
    **params
        Passed to the feature space.

    Returns
    -------
    ndarray of shape (n_clips, n_dims)
        Rows in the order of ``study.clips``.
    """
    from b2m.features import cached_features, get_feature_space

    fs = get_feature_space(space, **params)
    ids = study.clips["clip_id"].tolist()
    if fs.modality == "label":
        return fs.embed_labels(study.clips["genre"].tolist())
    if fs.modality == "text":
        compute = lambda: fs.embed_text(study.clips["caption"].tolist())  # noqa: E731
    else:

        def compute():
            from b2m._utils._progress import progress

            waves = [
                w
                for _, w in progress(
                    study.iter_audio(ids),
                    total=len(ids),
                    desc="Loading audio",
                    disable=None if progressbar else True,
                )
            ]
            return fs.embed_audio(waves, study.sample_rate)

    return cached_features(
        fs, dataset_key=study.key, clip_ids=ids, compute=compute, data_home=study.root.parents[1]
    )


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
