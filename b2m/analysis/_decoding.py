"""Decoding feature spaces from brain responses, identification of the test clips, and tables.

Everything that is chosen — ridge strengths, the vertices kept by voxel selection, the
regions kept by the region ensemble — is chosen on the training clips only; the test clips
are used once, to score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m.analysis._embeddings import study_embeddings
from b2m.analysis._region_ensemble import RegionEnsemble, _region_masks
from b2m.features import get_feature_space
from b2m.models import (
    Decoder,
    Encoder,
    IdentificationResult,
    correlation_matrix,
    identification_chance,
    identify,
    neighbour_items,
    pearson_columns,
)

__all__ = [
    "DecodingResult",
    "RegionEnsemble",
    "decode_study",
    "decoding_records",
    "decoding_table",
    "identification_null",
    "select_voxels",
]


@dataclass
class DecodingResult:
    """Decoding of one feature space from one subject's responses.

    Attributes
    ----------
    space, subject : str
    decoder : Decoder or RegionEnsemble
        Fitted on the training clips.
    identification : IdentificationResult
        Test clips identified among the 60 test clips (standardised embedding space).
    decoded : ndarray of shape (n_test, n_dims)
        Decoded test embeddings (standardised with training statistics).
    true : ndarray of shape (n_test, n_dims)
        True test embeddings (same space).
    test_ids, test_genres : ndarray of shape (n_test,)
    dimension_names : list of str, optional
        Name of each embedding dimension, when the space provides ``feature_names``.
    voxels : ndarray of shape (n_voxels,), optional
        Vertices the decoder used (sorted), when voxel selection or a region ensemble was
        asked for (for the ensemble: the union of the kept regions).
    regions : list of str, optional
        Region ensemble only: the regions kept, best training CV score first
        (``decoder.region_scores_`` holds every region's score).
    """

    space: str
    subject: str
    decoder: Decoder = field(repr=False)
    identification: IdentificationResult = field(repr=False)
    decoded: np.ndarray = field(repr=False)
    true: np.ndarray = field(repr=False)
    test_ids: np.ndarray = field(repr=False)
    test_genres: np.ndarray = field(repr=False)
    dimension_names: list[str] | None = field(default=None, repr=False)
    voxels: np.ndarray | None = field(default=None, repr=False)
    regions: list[str] | None = field(default=None)

    @property
    def dimension_r(self) -> pd.Series:
        """Pearson r between decoded and true test values of each embedding dimension.

        Returns
        -------
        pandas.Series of length n_dims
            Indexed by the dimension names (``dim_000``… when the space names none); 0 for a
            dimension that is constant over the test clips.
        """
        names = self.dimension_names or [f"dim_{i:03d}" for i in range(self.true.shape[1])]
        r = pearson_columns(self.decoded, self.true)
        return pd.Series(r, index=pd.Index(names, name="dimension"), name="r")

    def neighbours(self, i: int, k: int = 5) -> list[dict]:
        """The ``k`` test clips whose embeddings best match the embedding decoded for clip ``i``.

        Returns
        -------
        list of dict
            ``index``, ``clip_id``, ``genre``, ``score`` (correlation), best first.
        """
        corr = self.identification.correlations[int(i)]
        order = np.argsort(-corr)[:k]
        return neighbour_items(order, self.test_ids, self.test_genres, corr)

    def summary(self) -> dict:
        """Headline numbers: identification accuracy, top-1 and top-5 among the test clips.

        ``identification`` is computed in the decoder's standardised space (every dimension
        weighs the same), ``identification_raw`` on the raw embeddings, as Brain2Music
        correlated them. ``chance_identification`` (and ``_raw``) is the tie-aware chance
        level (:func:`b2m.models.identification_chance`): 0.5 for continuous embeddings,
        lower where true test embeddings tie (genre one-hot: ≈0.458 for 10 genres × 6).
        """
        ident = self.identification
        raw = identify(self.decoded, self.true, self.test_ids, scaler=self.decoder.target_scaler_)
        return {
            "subject": self.subject,
            "space": self.space,
            "identification": ident.mean_accuracy,
            "identification_sd": float(ident.accuracy.std()),
            "top1": ident.top_k(1),
            "top5": ident.top_k(5),
            "n_test": len(ident.accuracy),
            "n_dims": int(self.true.shape[1]),
            "n_voxels": int(
                len(self.voxels) if self.voxels is not None else self.decoder.n_features_in_
            ),
            "mean_dimension_r": float(self.dimension_r.mean()),
            "identification_raw": raw.mean_accuracy,
            "chance_identification": float(
                identification_chance(self.true) if ident.chance is None else ident.chance
            ),
            "chance_identification_raw": float(raw.chance),
            "chance_top1": 1 / len(ident.accuracy),
            "chance_top5": min(5, len(ident.accuracy)) / len(ident.accuracy),
        }

    def chance_band(self, n_permutations: int = 100, seed: int = 0) -> dict:
        """Permutation chance band of the identification accuracy (no refit).

        The decoded test embeddings are matched to shuffled test clips
        (:func:`identification_null`); the band is the 2.5th–97.5th percentile of the mean
        identification accuracy over permutations. It sits around 0.5 for continuous
        embeddings and lower where true embeddings tie (e.g. genre one-hot).

        Returns
        -------
        dict
            ``chance_low``, ``chance_high``, ``null_mean`` and ``p_value`` (share of
            permutations at least as accurate as observed, ``(1 + count) / (1 + n)``).
        """
        null = identification_null(
            self.decoded, self.true, n_permutations=n_permutations, seed=seed
        )
        observed = self.identification.mean_accuracy
        return {
            "chance_low": float(np.percentile(null, 2.5)),
            "chance_high": float(np.percentile(null, 97.5)),
            "null_mean": float(null.mean()),
            "p_value": float((1 + np.sum(null >= observed)) / (1 + len(null))),
        }

    def to_frame(self) -> pd.DataFrame:
        """Per test clip: identification accuracy and rank."""
        return self.identification.to_frame().assign(subject=self.subject, space=self.space)


def identification_null(decoded, true, *, n_permutations: int = 100, seed: int = 0) -> np.ndarray:
    """Mean identification accuracy when decoded embeddings are matched to shuffled clips.

    For each permutation ``p`` of the test clips, the accuracy of ``decoded`` against
    ``true[p]`` (Brain2Music's definition, as :func:`b2m.models.identification_accuracy`),
    averaged over clips. The correlation matrix is computed once, so this costs no refit.

    Parameters
    ----------
    decoded : array of shape (n_clips, n_dims)
    true : array of shape (n_clips, n_dims)
    n_permutations : int, default 100
    seed : int, default 0

    Returns
    -------
    ndarray of shape (n_permutations,)
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)):
        raise ValueError(f"n_permutations must be an integer >= 1; received {n_permutations!r}.")
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be an integer >= 1; received {n_permutations!r}.")
    corr = correlation_matrix(decoded, true)
    n = len(corr)
    if n < 2:
        raise ValueError(f"identification needs at least 2 clips; received {n}.")
    rng = np.random.default_rng(seed)
    out = np.empty(int(n_permutations))
    for k in range(int(n_permutations)):
        shuffled = corr[:, rng.permutation(n)]
        own = np.diag(shuffled)[:, None]
        out[k] = ((shuffled < own).sum(1) / (n - 1)).mean()
    return out


def select_voxels(
    responses, embeddings, runs, n_voxels: int, *, alphas=None, n_splits: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Choose the vertices best predicted from an embedding, on training data only.

    Each vertex is scored by the cross-validated R² (run-grouped folds) of an
    :class:`b2m.models.Encoder` that predicts it from the embedding; the ``n_voxels`` best
    are kept. Pass training clips only: the test clips must not choose what they are
    scored on. (The decoder's own cross-validation then runs inside the selected set, so
    its CV scores are mildly optimistic; test scores are not.)

    Parameters
    ----------
    responses : array of shape (n_train, n_vertices)
    embeddings : array of shape (n_train, n_dims)
    runs : array of shape (n_train,)
    n_voxels : int
        How many vertices to keep (1 ≤ n_voxels ≤ n_vertices).
    alphas : array-like, optional
    n_splits : int, default 5

    Returns
    -------
    voxels : ndarray of shape (n_voxels,)
        Indices of the kept vertices, sorted (ties broken by the lower index).
    scores : ndarray of shape (n_vertices,)
        Cross-validated encoding R² of every vertex.
    """
    n_vertices = np.shape(responses)[1] if np.ndim(responses) == 2 else None
    if (
        isinstance(n_voxels, bool)
        or not isinstance(n_voxels, (int, np.integer))
        or n_voxels < 1
        or (n_vertices is not None and n_voxels > n_vertices)
    ):
        raise ValueError(
            f"n_voxels must be an integer between 1 and the number of vertices "
            f"({n_vertices}); received {n_voxels!r}."
        )
    encoder = Encoder(alphas, n_splits=n_splits).fit(embeddings, responses, runs)
    scores = np.asarray(encoder.ridge_.best_cv_score_, dtype=np.float32)
    voxels = np.sort(np.argsort(-scores, kind="stable")[: int(n_voxels)])
    return voxels, scores


def decode_study(
    study,
    space: str = "acoustic",
    *,
    alphas=None,
    n_splits: int = 5,
    permute_seed: int | None = None,
    n_voxels: int | None = None,
    regions=None,
    n_best_regions: int = 6,
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
        Identification should then fall to chance (0.5). Voxel selection, if any, sees the
        same shuffled pairs.
    n_voxels : int, optional
        Decode from the ``n_voxels`` vertices best predicted by the embedding on the
        training clips (:func:`select_voxels`); default all vertices. Test responses play
        no part in the choice.
    regions : "auditory" or dict of str to bool array of shape (n_vertices,), optional
        Brain2Music's decoder instead (:class:`RegionEnsemble`): one decoder per region,
        the ``n_best_regions`` best by mean training CV R² kept and their standardised
        predictions averaged; the kept regions are ``result.regions``. ``"auditory"`` is
        :func:`b2m.regions.auditory_regions` (fsaverage5 only; Brain2Music used a whole-brain
        anatomical atlas, which does not ship offline). Not combined with ``n_voxels``.
    n_best_regions : int, default 6
        Regions kept by the ensemble.
    **params
        Passed to the feature space.

    Returns
    -------
    DecodingResult
    """
    names = getattr(get_feature_space(space, **params), "feature_names", None)
    emb = study_embeddings(study, space, **params)
    r = study.responses
    train_x = emb[study.clip_indices(r.train_ids)]
    test_x = emb[study.clip_indices(r.test_ids)]
    if permute_seed is not None:
        train_x = train_x[np.random.default_rng(permute_seed).permutation(len(train_x))]
    train, test, voxels, kept = r.train, r.test, None, None
    if regions is not None:
        if n_voxels is not None:
            raise ValueError(
                "n_voxels and regions are alternative selections; received both "
                f"(n_voxels={n_voxels!r}, regions={regions!r})."
            )
        decoder = RegionEnsemble(
            _region_masks(study, regions), n_best_regions, alphas=alphas, n_splits=n_splits
        ).fit(train, train_x, r.train_runs)
        voxels, kept = decoder.voxels_, list(decoder.regions_)
        decoded = decoder.predict_standardised(test)
    elif n_voxels is not None:
        voxels, _ = select_voxels(
            train, train_x, r.train_runs, n_voxels, alphas=alphas, n_splits=n_splits
        )
        train, test = train[:, voxels], test[:, voxels]
    if regions is None:
        decoder = Decoder(alphas, n_splits=n_splits).fit(train, train_x, r.train_runs)
        decoded = decoder.ridge_.predict(test)
    ident = decoder.identify(test, test_x, clip_ids=r.test_ids)
    return DecodingResult(
        space=space,
        subject=study.subject,
        decoder=decoder,
        identification=ident,
        decoded=decoded,
        true=decoder.transform_embeddings(test_x),
        test_ids=r.test_ids,
        test_genres=study.test_clips["genre"].to_numpy(),
        dimension_names=list(names) if names is not None and len(names) == emb.shape[1] else None,
        voxels=voxels,
        regions=kept,
    )


def decoding_table(
    studies,
    spaces: str | Sequence[str] = ("acoustic", "genre", "text-lsa"),
    *,
    n_permutations: int = 100,
    seed: int = 0,
    n_voxels=None,
    refit_control: bool = False,
    permute_seed: int | None = None,
    alphas=None,
    n_splits: int = 5,
    return_results: bool = False,
    regions=None,
    n_best_regions: int = 6,
):
    """Decode every feature space for every subject with the same engine, with chance bands.

    Parameters
    ----------
    studies : Study or sequence of Study
        One per subject.
    spaces : str or sequence of str, default ("acoustic", "genre", "text-lsa")
        Feature-space names (:func:`b2m.features.get_feature_space`), default parameters.
    n_permutations : int, default 100
        Permutations of the test clips for the chance band (:meth:`DecodingResult.chance_band`).
    seed : int, default 0
        Seeds the permutations (and the refit control).
    n_voxels : int, None or sequence of them, default None
        Voxel selection on training data (:func:`select_voxels`); ``None`` uses all
        vertices. A sequence gives one row per value (to compare selections).
    refit_control : bool, default False
        Also refit each decoder once on shuffled training pairs (``permute_seed=seed``) and
        report its identification as ``shuffled_refit_identification``.
    permute_seed : int, optional
        Decode every row with shuffled training pairs (a whole-table control).
    alphas : array-like, optional
    n_splits : int, default 5
    return_results : bool, default False
        Also return the :class:`DecodingResult` of each row.
    regions : "auditory" or dict, optional
        Decode every row with the region ensemble (see :func:`decode_study`; not combined
        with ``n_voxels``); adds a column ``regions`` (the kept regions, best first, joined
        by "; ") and ``n_voxels`` counts the vertices of the kept regions.
    n_best_regions : int, default 6

    Returns
    -------
    table : pandas.DataFrame
        One row per subject × space (× n_voxels): ``subject``, ``space``, ``n_voxels``,
        ``n_dims``, ``identification``, ``identification_sd``, ``top1``, ``top5``,
        ``chance_identification`` (tie-aware), ``chance_low``, ``chance_high`` (2.5/97.5
        percentiles of the permutation null), ``null_mean``, ``p_value``,
        ``identification_raw`` and ``chance_identification_raw`` (raw embedding units, as
        Brain2Music), ``mean_dimension_r``, ``chance_top1``, ``chance_top5``
        [, ``shuffled_refit_identification``] [, ``regions``].
    results : dict, only if ``return_results``
        ``(subject, space, n_voxels)`` → :class:`DecodingResult`.
    """
    studies = [studies] if hasattr(studies, "responses") else list(studies)
    if not studies:
        raise ValueError("studies must hold at least one Study; received 0.")
    spaces = [spaces] if isinstance(spaces, str) else list(spaces)
    if not spaces or not all(isinstance(sp, str) for sp in spaces):
        raise ValueError(f"spaces must be a non-empty sequence of names; received {spaces!r}.")
    selections = list(n_voxels) if isinstance(n_voxels, Sequence) else [n_voxels]
    kw = {"alphas": alphas, "n_splits": n_splits}
    if regions is not None:
        kw |= {"regions": regions, "n_best_regions": n_best_regions}
    rows, results = [], {}
    for study in studies:
        for space in spaces:
            for nv in selections:
                res = decode_study(study, space, permute_seed=permute_seed, n_voxels=nv, **kw)
                row = res.summary() | res.chance_band(n_permutations, seed)
                if regions is not None:
                    row["regions"] = "; ".join(res.regions)
                if refit_control:
                    ctrl = decode_study(study, space, permute_seed=seed, n_voxels=nv, **kw)
                    row["shuffled_refit_identification"] = ctrl.identification.mean_accuracy
                rows.append(row)
                results[(study.subject, space, nv)] = res
    columns = [
        "subject", "space", "n_voxels", "n_dims", "identification", "identification_sd",
        "top1", "top5", "chance_identification", "chance_low", "chance_high", "null_mean",
        "p_value", "identification_raw", "chance_identification_raw", "mean_dimension_r",
        "chance_top1", "chance_top5",
    ] + (["shuffled_refit_identification"] if refit_control else []) + (
        ["regions"] if regions is not None else []
    )  # fmt: skip
    table = pd.DataFrame(rows)[columns]
    return (table, results) if return_results else table


def decoding_records(table: pd.DataFrame) -> list[dict]:
    """The rows of a :func:`decoding_table` as JSON-ready dicts (e.g. for ``summary.json``).

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`decoding_table`.

    Returns
    -------
    list of dict
        One per row; numbers are Python ``int``/``float`` (NaN → ``None``), and
        ``chance_band`` is ``[chance_low, chance_high]``.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame; received {type(table).__name__}.")
    missing = {"subject", "space", "identification", "chance_low", "chance_high"} - set(table)
    if missing:
        raise ValueError(f"table must be a decoding_table; it lacks columns {sorted(missing)}.")
    out = []
    for row in table.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, (np.integer, np.floating)):
                value = value.item()
            if isinstance(value, float) and math.isnan(value):
                value = None
            clean[key] = value
        clean["chance_band"] = [clean["chance_low"], clean["chance_high"]]
        out.append(clean)
    return out
