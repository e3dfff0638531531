"""Vertex-wise encoding models of a feature space, with permutation tests and noise ceilings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m._utils._validation import check_array, check_choice
from b2m.analysis._embeddings import study_embeddings
from b2m.models import Encoder, pearson_columns
from b2m.regions import auditory_regions, region_table
from b2m.stats import (
    NoiseCeiling,
    PermutationResult,
    fdr_bh,
    noise_ceiling,
    normalised_r,
    permutation_test_correlation,
    r2_score_columns,
)

__all__ = ["MAP_KINDS", "EncodingResult", "encode_study"]

#: Per-vertex maps that :meth:`EncodingResult.map` returns.
MAP_KINDS = ("normalised", "r", "r2", "ceiling", "logq")


@dataclass
class EncodingResult:
    """Vertex-wise encoding of one feature space, tested against permutation nulls.

    Attributes
    ----------
    space, subject : str
    encoder : Encoder
    test_r : ndarray of shape (n_vertices,)
        Pearson r between predicted and measured test responses (repeats averaged).
    test_r2 : ndarray of shape (n_vertices,)
        R² of the prediction of the repeat-averaged test responses.
    noise_ceiling : NoiseCeiling
        From the test repeats; ``noise_ceiling.max_r`` bounds ``test_r``.
    normalised_r : ndarray of shape (n_vertices,)
        ``test_r / noise_ceiling.max_r``; NaN where the ceiling is below ``min_ceiling``.
    pvalues, qvalues : ndarray of shape (n_vertices,)
        One-sided permutation p-values (test clips shuffled; pooled or per-vertex null, see
        :func:`encode_study`) and their BH-FDR q-values; NaN when no permutations were run
        and at untested vertices (constant response, ``permutation.tested`` False).
    significant : ndarray of shape (n_vertices,), bool
        ``qvalues <= alpha``.
    regions : pandas.DataFrame
        :func:`b2m.regions.region_table` of ``test_r`` with the extra columns
        ``fraction significant``, ``mean normalised r`` and ``mean cv R2`` (mean of
        :attr:`cv_r2`), sorted by ``mean cv R2`` — the training data's ranking, not the
        test data's — with ``whole cortex`` last.
    alpha : float
        FDR level.
    permutation : PermutationResult or None
        The permutation test (null summaries), None when ``n_permutations=0``.
    cv_r2 : ndarray of shape (n_vertices,) or None
        Cross-validated R² of each vertex on the training clips (run-grouped folds, at the
        chosen ridge strength: ``encoder.ridge_.best_cv_score_``). Regions are ranked on it,
        so that the best region is not chosen on the test data it is reported on.
    """

    space: str
    subject: str
    encoder: Encoder = field(repr=False)
    test_r: np.ndarray = field(repr=False)
    test_r2: np.ndarray = field(repr=False)
    noise_ceiling: NoiseCeiling = field(repr=False)
    normalised_r: np.ndarray = field(repr=False)
    pvalues: np.ndarray = field(repr=False)
    qvalues: np.ndarray = field(repr=False)
    significant: np.ndarray = field(repr=False)
    regions: pd.DataFrame = field(repr=False)
    alpha: float = 0.05
    permutation: PermutationResult | None = field(default=None, repr=False)
    cv_r2: np.ndarray | None = field(default=None, repr=False)

    @property
    def best_region(self) -> str:
        """Region with the highest mean cross-validated R² on the training clips.

        Chosen on training data only, so that its test scores (:meth:`summary`) are not
        inflated by the choice (no winner's curse). A region table without ``mean cv R2``
        (a result built by hand) falls back to the highest mean test r.
        """
        return str(self._best_row()["region"])

    def _best_row(self) -> pd.Series:
        body = self.regions[self.regions["region"] != "whole cortex"]
        if body.empty:
            return self.regions.iloc[0]
        key = "mean cv R2" if "mean cv R2" in body and body["mean cv R2"].notna().any() else None
        key = key or "mean r"
        return body.loc[body[key].astype(float).idxmax()]

    @property
    def n_untested(self) -> int:
        """Vertices left untested (constant response), 0 when no test was run."""
        return 0 if self.permutation is None else self.permutation.n_untested

    @property
    def n_significant(self) -> int:
        """Number of vertices significant at FDR ``alpha``."""
        return int(self.significant.sum())

    def summary(self) -> dict:
        """Headline numbers (JSON-ready).

        Returns
        -------
        dict
            ``subject``, ``space``, ``best_region`` (chosen on the training clips'
            cross-validated R², :attr:`best_region`) and its test scores
            ``best_region_mean_r``, ``best_region_mean_normalised_r``,
            ``best_region_fraction_significant``, with ``best_region_mean_cv_r2`` and
            ``best_region_selected_on``; ``cortex_mean_r``, ``max_r``, ``n_significant``,
            ``fraction_significant``, ``n_untested``, ``fdr_alpha``, ``n_permutations``.
        """
        best = self._best_row()
        whole = self.regions.iloc[-1]
        n_perm = 0 if self.permutation is None else self.permutation.n_permutations
        by_cv = "mean cv R2" in best.index and np.isfinite(float(best["mean cv R2"]))
        return {
            "subject": self.subject,
            "space": self.space,
            "best_region": str(best["region"]),
            "best_region_selected_on": "training cv R2" if by_cv else "test r",
            "best_region_mean_cv_r2": _num(best["mean cv R2"]) if by_cv else None,
            "best_region_mean_r": _num(best["mean r"]),
            "best_region_mean_normalised_r": _num(best["mean normalised r"]),
            "best_region_fraction_significant": _num(best["fraction significant"]),
            "cortex_mean_r": _num(whole["mean r"]),
            "max_r": _num(np.nanmax(self.test_r)),
            "n_significant": self.n_significant,
            "fraction_significant": _num(self.significant.mean()),
            "n_untested": self.n_untested,
            "fdr_alpha": float(self.alpha),
            "n_permutations": int(n_perm),
        }

    def to_frame(self) -> pd.DataFrame:
        """The region table, with ``subject`` and ``space`` columns."""
        return self.regions.assign(subject=self.subject, space=self.space)

    def vertex_frame(self) -> pd.DataFrame:
        """One row per vertex: ``r``, ``r2``, ``cv_r2``, ``max_r``, ``normalised_r``, ``p``,
        ``q``, ``significant``."""
        cv = np.full(self.test_r.shape, np.nan) if self.cv_r2 is None else self.cv_r2
        return pd.DataFrame(
            {
                "r": self.test_r,
                "r2": self.test_r2,
                "cv_r2": cv,
                "max_r": self.noise_ceiling.max_r,
                "normalised_r": self.normalised_r,
                "p": self.pvalues,
                "q": self.qvalues,
                "significant": self.significant,
            }
        )

    def map(
        self, kind: str = "normalised", *, significant_only: bool = True, fill: float = 0.0
    ) -> np.ndarray:
        """A per-vertex map ready for the surface viewers.

        Parameters
        ----------
        kind : {"normalised", "r", "r2", "ceiling", "logq"}, default "normalised"
            Noise-ceiling-normalised r, test r, test R², the ceiling ``max_r``, or
            ``-log10(q)``.
        significant_only : bool, default True
            Replace vertices that are not FDR-significant with ``fill``.
        fill : float, default 0.0
            Value for masked vertices and for undefined ones (NaN normalised r); the
            viewers need finite values, pass ``np.nan`` for analysis.

        Returns
        -------
        ndarray of shape (n_vertices,), float32
        """
        check_choice(kind, "kind", MAP_KINDS)
        if kind == "logq":
            values = -np.log10(np.clip(self.qvalues, 1e-300, 1.0))
        else:
            values = {
                "normalised": self.normalised_r,
                "r": self.test_r,
                "r2": self.test_r2,
                "ceiling": self.noise_ceiling.max_r,
            }[kind]
        values = np.asarray(values, np.float64).copy()
        if significant_only:
            values[~self.significant] = fill
        values[~np.isfinite(values)] = fill
        return values.astype(np.float32)

    def detection(self, truth) -> dict:
        """Compare the significant vertices with a known map (simulations).

        Parameters
        ----------
        truth : array of shape (n_vertices,)
            True where a vertex really responds (e.g. planted ``gains.max(0) > 0``).

        Returns
        -------
        dict
            ``n_significant``, ``n_true``, ``precision`` (share of significant vertices that
            are true), ``recall`` (share of true vertices found), ``false_discovery_share``.
        """
        truth = check_array(truth, "truth", shape=self.significant.shape, dtype=bool)
        hits = int((self.significant & truth).sum())
        n_sig, n_true = self.n_significant, int(truth.sum())
        precision = hits / n_sig if n_sig else float("nan")
        return {
            "n_significant": n_sig,
            "n_true": n_true,
            "precision": precision,
            "recall": hits / n_true if n_true else float("nan"),
            "false_discovery_share": 1.0 - precision if n_sig else float("nan"),
        }

    def detection_table(self, truths: dict[str, np.ndarray]) -> pd.DataFrame:
        """:meth:`detection` against several known maps, one row each.

        Parameters
        ----------
        truths : dict of str to bool array of shape (n_vertices,)
            E.g. each planted component's ``gains > 0``.

        Returns
        -------
        pandas.DataFrame
            Indexed by the names; the columns of :meth:`detection`.
        """
        rows = {name: self.detection(mask) for name, mask in truths.items()}
        return pd.DataFrame.from_dict(rows, orient="index")


def _num(x) -> float | None:
    """A float for JSON (None for NaN)."""
    x = float(x)
    return x if np.isfinite(x) else None


def _finite_mean(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(v.mean()) if v.size else np.nan


def _region_summary(result_r, normalised, significant, regions, cv_r2=None) -> pd.DataFrame:
    """Region table of the test r, ranked by the training CV R² (``cv_r2``) when given."""
    regions = auditory_regions() if regions is None else dict(regions)
    table = region_table(result_r, regions, name="r")
    masks = {**regions, "whole cortex": np.ones(result_r.shape, bool)}
    frac, mean_norm, mean_cv = [], [], []
    for name in table["region"]:
        mask = np.asarray(masks[name], bool)
        frac.append(float(significant[mask].mean()) if mask.any() else np.nan)
        mean_norm.append(_finite_mean(normalised[mask]))
        mean_cv.append(np.nan if cv_r2 is None else _finite_mean(cv_r2[mask]))
    table = table.assign(**{"fraction significant": frac, "mean normalised r": mean_norm})
    if cv_r2 is None:
        return table
    table["mean cv R2"] = mean_cv
    body = table.iloc[:-1].sort_values("mean cv R2", ascending=False, kind="stable")
    return pd.concat([body, table.iloc[-1:]], ignore_index=True)


def _test_groups(study, groups) -> np.ndarray | None:
    if groups is None or not isinstance(groups, str):
        return groups
    check_choice(groups, "groups", ("genre", "run"))
    if groups == "genre":
        return study.test_clips["genre"].to_numpy()
    return np.asarray(study.responses.test_runs)


def encode_study(
    study,
    space: str = "acoustic",
    *,
    alphas=None,
    n_splits: int = 5,
    n_permutations: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
    groups=None,
    null: str = "pooled",
    min_ceiling: float = 0.1,
    regions: dict[str, np.ndarray] | None = None,
    **params,
) -> EncodingResult:
    """Fit a vertex-wise encoding model, score it on the test clips and test it.

    Test correlations are tested one-sided against a null that shuffles the test clips
    (:func:`b2m.stats.permutation_test_correlation`), corrected with Benjamini–Hochberg
    over all vertices, and normalised by the noise ceiling of the test repeats. Vertices
    with a constant response are untested (NaN p, left out of the pooled null). Regions are
    ranked, and the best region chosen, on the training clips' cross-validated R² of each
    vertex; the test data only score them.

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
    alphas : array-like, optional
        Candidate ridge strengths.
    n_splits : int, default 5
        Run-grouped CV folds.
    n_permutations : int, default 1000
        Permutations of the test clips; 0 skips the test (p, q NaN, nothing significant).
    alpha : float, default 0.05
        FDR level.
    seed : int or None, default 0
        Seeds the permutations.
    groups : {"genre", "run"} or array of shape (n_test,), optional
        Exchangeability blocks: permute test clips only within a genre or a run.
    null : {"pooled", "vertex"}, default "pooled"
        Which permutation p-values enter the FDR correction: against the null pooled over
        vertices (fine-grained), or each vertex's own null (floor ``1 / (1 +
        n_permutations)``: with 1000 permutations and 20484 vertices, BH then needs at least
        ~410 vertices at that floor before any survives).
    min_ceiling : float, default 0.1
        Vertices whose noise ceiling ``max_r`` is lower get NaN normalised r.
    regions : dict of str to bool array of shape (n_vertices,), optional
        Default :func:`b2m.regions.auditory_regions`.
    **params
        Passed to the feature space.

    Returns
    -------
    EncodingResult
    """
    check_choice(null, "null", ("pooled", "vertex"))
    if not (isinstance(n_permutations, int | np.integer) and n_permutations >= 0):
        raise ValueError(
            f"n_permutations must be a non-negative integer; received {n_permutations!r}."
        )
    if not (np.isscalar(alpha) and 0 < float(alpha) < 1):
        raise ValueError(f"alpha must be a number in (0, 1); received {alpha!r}.")
    test_groups = _test_groups(study, groups)
    emb = study_embeddings(study, space, **params)
    r = study.responses
    encoder = Encoder(alphas, n_splits=n_splits).fit(
        emb[study.clip_indices(r.train_ids)], r.train, r.train_runs
    )
    predicted = encoder.predict(emb[study.clip_indices(r.test_ids)])
    observed = r.test
    ceiling = noise_ceiling(r.test_repeats)
    if n_permutations:
        perm = permutation_test_correlation(
            predicted,
            observed,
            n_permutations=int(n_permutations),
            groups=test_groups,
            seed=seed,
        )
        test_r = perm.r
        pvalues = perm.pvalues_pooled if null == "pooled" else perm.pvalues
        significant, qvalues = fdr_bh(pvalues, alpha)
    else:
        perm = None
        test_r = pearson_columns(predicted, observed)
        pvalues = qvalues = np.full(test_r.shape, np.nan)
        significant = np.zeros(test_r.shape, bool)
    normalised = normalised_r(test_r, ceiling, min_ceiling)
    cv_r2 = np.asarray(encoder.ridge_.best_cv_score_, dtype=np.float32)
    return EncodingResult(
        space=space,
        subject=study.subject,
        encoder=encoder,
        test_r=test_r.astype(np.float32),
        test_r2=r2_score_columns(predicted, observed).astype(np.float32),
        noise_ceiling=ceiling,
        normalised_r=normalised.astype(np.float32),
        pvalues=pvalues,
        qvalues=qvalues,
        significant=significant,
        regions=_region_summary(test_r, normalised, significant, regions, cv_r2),
        alpha=float(alpha),
        permutation=perm,
        cv_r2=cv_r2,
    )
