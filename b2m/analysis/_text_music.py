"""Text vs music: encoding models of two feature spaces, variance partitioning and overlap.

For a music-derived space ``M`` and a text-derived space ``T`` three vertex-wise encoding
models are fitted (ridge, one α per vertex chosen by run-grouped CV): ``M``, ``T`` and their
union ``M ∪ T`` (both spaces standardised with training statistics and concatenated, one
ridge). Each is scored by its held-out R²: by default on the 60 repeat-averaged test clips
plus run-wise cross-validated predictions of the 480 training clips (``evaluation="cv+test"``;
``"test"`` keeps the test clips only), and the union's variance is partitioned by set theory (Lescroart et al. 2015; de Heer et al. 2017)::

    unique music = R²(M ∪ T) − R²(T)
    unique text  = R²(M ∪ T) − R²(M)
    shared       = R²(M) + R²(T) − R²(M ∪ T)

Noise and over-fitting make some estimates negative; :func:`b2m.stats.variance_partition` corrects them
(see its ``correction``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from b2m._utils._parallel import resolve_n_jobs, thread_map
from b2m._utils._validation import check_array, check_choice, check_consistent_length
from b2m.analysis._embeddings import study_embeddings
from b2m.datasets import PLANTED_THRESHOLD
from b2m.datasets.simulation._planted import COMPONENTS
from b2m.models import Encoder, pearson_columns, run_folds
from b2m.regions import auditory_regions, region_table
from b2m.stats import (
    CORRECTIONS,
    correlation_permutation_test,
    dice_coefficient,
    fdr_bh,
    r2_score_columns,
    sign_flip_test,
    variance_partition,
)
from b2m.surface import N_VERTICES

__all__ = [
    "MODELS",
    "PARTITIONS",
    "TextMusicResult",
    "compare_text_music",
    "partition_encoding",
    "planted_recovery",
]

MODELS = ("music", "text", "union")
EVALUATIONS = ("cv+test", "test")
#: Maps with a test of their own (``shared`` is the conjunction of music and text).
TESTED = (*MODELS, "unique_music", "unique_text")
PARTITIONS = ("unique_music", "unique_text", "shared")


def _region_weights(regions: dict, n_targets: int) -> tuple[list[str], np.ndarray]:
    names = [n for n, m in regions.items() if np.asarray(m, bool).any()]
    w = np.zeros((n_targets, len(names)))
    for j, name in enumerate(names):
        mask = check_array(regions[name], f"regions[{name!r}]", shape=(n_targets,), dtype=bool)
        w[mask, j] = 1.0 / mask.sum()
    return names, w


def significance(pvalues: dict, alpha: float) -> dict:
    """Significant maps from the p-value maps of :data:`TESTED`: BH-FDR of each, then the rules.

    A gain of the union over one space means nothing where the union predicts nothing (two
    bad fits can differ by chance), so unique parts count only where the union is
    significant; ``shared`` is the conjunction of the music and text maps (it is not a
    difference of two fits, so it has no test of its own). Used for vertices and regions,
    for one subject and for the group.

    Parameters
    ----------
    pvalues : dict of str to array of shape (n,)
    alpha : float
        FDR level.

    Returns
    -------
    dict of str to ndarray of bool, shape (n,)
        The keys of :data:`TESTED` and ``"shared"``.
    """
    out = {k: fdr_bh(np.asarray(pvalues[k], dtype=np.float64), alpha)[0] for k in TESTED}
    for part in ("unique_music", "unique_text"):
        out[part] = out[part] & out["union"]
    out["shared"] = out["music"] & out["text"]
    return out


def _standardised(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, sd = train.mean(0), train.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mean) / sd, (test - mean) / sd


@dataclass
class TextMusicResult:
    """Encoding of a music and a text space, their union, and the variance partitions.

    Attributes
    ----------
    music_space, text_space, subject : str
    r2 : dict of str to ndarray of shape (n_vertices,)
        Test R² of the ``"music"``, ``"text"`` and ``"union"`` models.
    r : dict of str to ndarray of shape (n_vertices,)
        Test Pearson r of the same models.
    partitions : dict of str to ndarray of shape (n_vertices,)
        ``"unique_music"``, ``"unique_text"``, ``"shared"`` after ``correction``.
    raw_partitions : dict of str to ndarray of shape (n_vertices,)
        The same, uncorrected (the tested statistics of the unique parts).
    pvalues : dict of str to ndarray of shape (n_vertices,)
        Models: permutation test of r (clips permuted); unique parts: sign-flip test of
        the R² gain over the other space's model. Nulls pooled over the tested vertices;
        NaN where a vertex is untested (see :attr:`untested`; also where a model's own
        prediction is constant).
    significant : dict of str to ndarray of bool, shape (n_vertices,)
        FDR (Benjamini–Hochberg, ``alpha``) of each p-value map (the unique parts only
        where the union model is significant too), and ``"shared"``: the
        conjunction music- and text-significant (the shared part is not a difference of
        two fits, so it has no test of its own).
    dice : dict of str to float
        ``"music_vs_text"``: overlap of the music- and text-significant vertex maps;
        ``"music_vs_text_regions"``: the same for the significant regions.
    roi : pandas.DataFrame
        One row per region: mean r, R² and partitions, region-level p-values (mean over the
        region's vertices against the same permutations) and FDR significance over regions.
    regions : pandas.DataFrame
        :func:`b2m.regions.region_table` of each R² and partition map (column ``map``).
    recovery : pandas.DataFrame or None
        Dice of recovered vs planted regions (simulated study only; :func:`planted_recovery`).
    truth_means : dict of str to float
        Mean of each partition inside each planted region (simulated study only).
    untested : ndarray of bool, shape (n_vertices,), or None
        Vertices whose measured response is constant over the evaluated samples: nothing to
        explain, so no map is tested there (p-values NaN, never significant) and they are
        left out of the pooled nulls. For a group: untested in every subject.
    """

    music_space: str
    text_space: str
    subject: str
    r2: dict = field(repr=False)
    r: dict = field(repr=False)
    partitions: dict = field(repr=False)
    raw_partitions: dict = field(repr=False)
    pvalues: dict = field(repr=False)
    significant: dict = field(repr=False)
    dice: dict
    roi: pd.DataFrame = field(repr=False)
    regions: pd.DataFrame = field(repr=False)
    alpha: float = 0.05
    correction: str = "project"
    recovery: pd.DataFrame | None = field(default=None, repr=False)
    truth_means: dict = field(default_factory=dict, repr=False)
    untested: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_untested(self) -> int:
        """Number of untested vertices (constant response; see :attr:`untested`)."""
        return 0 if self.untested is None else int(np.sum(self.untested))

    def partition_map(self, name: str, *, where: str | None = "union") -> np.ndarray:
        """The map to display for a partition or a model (negative values shown as 0).

        Parameters
        ----------
        name : {"unique_music", "unique_text", "shared", "music", "text", "union"}
            A partition (corrected) or a model's test R².
        where : {"union", "own"} or None, default "union"
            Zero outside the vertices where the union model is significant (the usual
            display of variance partitions), outside ``name``'s own significant map
            (:attr:`significant`), or nowhere (None).

        Returns
        -------
        ndarray of shape (n_vertices,)
        """
        check_choice(name, "name", (*PARTITIONS, *MODELS))
        if where is not None:
            check_choice(where, "where", ("union", "own"))
        values = self.partitions[name] if name in PARTITIONS else self.r2[name]
        values = np.nan_to_num(np.maximum(values, 0.0))
        if where is None:
            return values
        return np.where(self.significant["union" if where == "union" else name], values, 0.0)

    def summary(self) -> dict:
        """Headline numbers (JSON-serialisable) for the demo's summary.json."""
        out = {
            "subject": self.subject,
            "music_space": self.music_space,
            "text_space": self.text_space,
            **{f"n_significant_{k}": int(v.sum()) for k, v in self.significant.items()},
            **{f"dice_{k}": float(v) for k, v in self.dice.items()},
            "n_untested": self.n_untested,
        }
        for k in PARTITIONS:
            sig = self.significant[k]
            out[f"mean_{k}_significant"] = (
                float(self.partitions[k][sig].mean()) if sig.any() else 0.0
            )
        out.update({k: float(v) for k, v in self.truth_means.items()})
        if self.recovery is not None:
            for row in self.recovery.itertuples():
                key = f"dice_planted_{row.level}_{row.map}".replace(" ", "_")
                out[key] = float(row.dice)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The region-level table (:attr:`roi`) with the subject and spaces."""
        return self.roi.assign(
            subject=self.subject, music_space=self.music_space, text_space=self.text_space
        )


def partition_encoding(
    music_train,
    text_train,
    responses_train,
    runs,
    music_test,
    text_test,
    responses_test,
    *,
    ridge_alphas=None,
    n_splits: int = 5,
    n_permutations: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
    correction: str = "project",
    regions: dict | None = None,
    evaluation: str = "cv+test",
    cv_folds: int = 6,
    n_jobs: int | None = None,
) -> TextMusicResult:
    """Fit music, text and union encoders, partition their test R², test and summarise.

    Parameters
    ----------
    music_train, text_train : arrays of shape (n_train, d_music), (n_train, d_text)
    responses_train : array of shape (n_train, n_vertices)
    runs : array of shape (n_train,)
        Run of each training clip (CV groups for the per-vertex ridge strength).
    music_test, text_test : arrays of shape (n_test, d_music), (n_test, d_text)
    responses_test : array of shape (n_test, n_vertices)
        Repeat-averaged test responses.
    ridge_alphas : array-like, optional
        Candidate ridge strengths (default of :class:`b2m.models.Encoder`).
    n_splits : int, default 5
    n_permutations : int, default 1000
    alpha : float, default 0.05
        FDR level (Benjamini–Hochberg over vertices, and over regions).
    seed : int or None, default 0
    correction : {"project", "clip", "none"}, default "project"
        See :func:`variance_partition`.
    regions : dict of str to bool array of shape (n_vertices,), optional
        Default: :func:`b2m.regions.auditory_regions` on fsaverage5, none otherwise.
    evaluation : {"cv+test", "test"}, default "cv+test"
        Which held-out predictions the maps and tests are computed on. ``"test"``: the
        repeat-averaged test clips only (60 samples). ``"cv+test"``: those, plus
        cross-validated predictions of every training clip (each from a model fitted with
        its run left out, ``cv_folds`` folds of whole runs; the ridge strength is again
        chosen inside each fold), 540 held-out samples in all — about three times the
        sensitivity per vertex, at ``cv_folds`` extra fits per model.
    cv_folds : int, default 6
        Outer folds (groups of runs) of ``evaluation="cv+test"``.
    n_jobs : int, optional
        Encoders fitted at a time, each with one BLAS thread (default: the cores, at most 8;
        1: one at a time, with BLAS's own threads). About 1.2 times as fast with two than one
        on two cores, for ~0.1 GB more memory. The results are the same up to floating-point
        rounding, which a BLAS may order differently on one thread than on several (on the
        simulated study here they were identical to the last bit).

    Returns
    -------
    TextMusicResult
        ``subject`` and the space names are empty; :func:`compare_text_music` fills them.
    """
    check_choice(correction, "correction", CORRECTIONS)
    check_choice(evaluation, "evaluation", EVALUATIONS)
    xm = check_array(music_train, "music_train", ndim=2)
    xt = check_array(text_train, "text_train", ndim=2)
    y = check_array(responses_train, "responses_train", ndim=2)
    check_consistent_length(music_train=xm, text_train=xt, responses_train=y, runs=runs)
    runs = np.asarray(runs)
    xm_test = check_array(music_test, "music_test", ndim=2, shape=(None, xm.shape[1]))
    xt_test = check_array(text_test, "text_test", ndim=2, shape=(None, xt.shape[1]))
    y_test = check_array(responses_test, "responses_test", ndim=2, shape=(None, y.shape[1]))
    check_consistent_length(music_test=xm_test, text_test=xt_test, responses_test=y_test)
    if regions is None:
        regions = auditory_regions() if y.shape[1] == N_VERTICES else {}
    names, weights = _region_weights(regions, y.shape[1])

    zm, zm_test = _standardised(xm, xm_test)
    zt, zt_test = _standardised(xt, xt_test)
    design = {
        "music": (zm, zm_test),
        "text": (zt, zt_test),
        "union": (np.hstack([zm, zt]), np.hstack([zm_test, zt_test])),
    }
    folds = run_folds(runs, cv_folds) if evaluation == "cv+test" else []

    def fitted(job):  # held-out predictions of one model, from all runs or one fold's
        model, k = job
        train, test = design[model]
        if k is None:  # the test clips, from every training clip
            return Encoder(ridge_alphas, n_splits=n_splits).fit(train, y, runs).predict(test)
        fit_idx, held_idx = folds[k]
        splits = min(n_splits, len(np.unique(runs[fit_idx])))
        enc = Encoder(ridge_alphas, n_splits=splits).fit(train[fit_idx], y[fit_idx], runs[fit_idx])
        return enc.predict(train[held_idx])

    # The fits are independent: two at a time, each with one BLAS thread. Much of a fit is
    # single-threaded (row gathers, squared errors), so one at a time leaves a core idle.
    jobs = [(model, k) for model in MODELS for k in (None, *range(len(folds)))]
    n_jobs = min(resolve_n_jobs(n_jobs), len(jobs))
    with threadpool_limits(limits=1 if n_jobs > 1 else None, user_api="blas"):
        fits = dict(zip(jobs, thread_map(fitted, jobs, n_jobs), strict=True))
    if folds:
        y_test = np.vstack([y, y_test])
    pred, r2, r, pvalues, roi = {}, {}, {}, {}, {"region": names}
    for model in MODELS:
        pred[model] = fits[model, None].astype(np.float64)
        if folds:
            cv_pred = np.empty(y.shape, dtype=np.float64)
            for k, (_, held_idx) in enumerate(folds):
                cv_pred[held_idx] = fits.pop((model, k))
            pred[model] = np.vstack([cv_pred, pred[model]])
        r2[model] = r2_score_columns(pred[model], y_test)
        r[model] = pearson_columns(pred[model], y_test)
    del fits
    # One pass of permutations for the three models (the same permutations for each).
    perm = correlation_permutation_test(
        [pred[m] for m in MODELS], y_test, n_permutations=n_permutations, seed=seed,
        regions=weights,
    )  # fmt: skip
    for j, model in enumerate(MODELS):
        pvalues[model] = perm["pvalues"][j]
        roi[f"mean r {model}"] = perm["region_r"][j]
        roi[f"p {model}"] = perm["region_pvalues"][j]
    for part, full, reduced in (
        ("unique_music", "union", "text"),
        ("unique_text", "union", "music"),
    ):
        _, pvalues[part], _, roi[f"p {part}"] = sign_flip_test(
            pred[full], pred[reduced], y_test, n_permutations=n_permutations, seed=seed,
            regions=weights,
        )  # fmt: skip
    raw = variance_partition(r2["music"], r2["text"], r2["union"], correction="none")
    corrected = variance_partition(r2["music"], r2["text"], r2["union"], correction=correction)
    rename = {"unique_a": "unique_music", "unique_b": "unique_text", "shared": "shared"}
    raw = {rename[k]: v for k, v in raw.items()}
    corrected = {rename[k]: v for k, v in corrected.items()}
    significant = significance(pvalues, alpha)

    roi = pd.DataFrame(roi)
    for model in MODELS:
        roi[f"mean R2 {model}"] = np.nan_to_num(r2[model]) @ weights
    for part in PARTITIONS:
        roi[f"mean {part}"] = np.nan_to_num(corrected[part]) @ weights
    for key, value in significance({k: roi[f"p {k}"] for k in TESTED}, alpha).items():
        roi[f"significant {key}"] = value
    roi.insert(1, "n_vertices", (weights > 0).sum(0))

    tables = []
    if y.shape[1] == N_VERTICES:
        maps = {**{f"R2 {m}": r2[m] for m in MODELS}, **corrected}
        tables = [region_table(v, regions, name="value").assign(map=k) for k, v in maps.items()]
    return TextMusicResult(
        music_space="",
        text_space="",
        subject="",
        r2=r2,
        r=r,
        partitions=corrected,
        raw_partitions=raw,
        pvalues=pvalues,
        significant=significant,
        dice={
            "music_vs_text": dice_coefficient(significant["music"], significant["text"]),
            "music_vs_text_regions": dice_coefficient(
                roi["significant music"].to_numpy(bool), roi["significant text"].to_numpy(bool)
            ),
        },
        roi=roi,
        regions=pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(),
        alpha=float(alpha),
        correction=correction,
        untested=y_test.max(0) == y_test.min(0),
    )


#: Recovered map → planted components it should cover (see :func:`planted_recovery`).
RECOVERY_DEFINITIONS = {
    "music": ("acoustic", "semantic"),
    "text": ("semantic", "text_only"),
    "union": ("acoustic", "semantic", "text_only"),
    "unique_music": ("acoustic",),
    "unique_text": ("text_only",),
    "shared": ("semantic",),
}


#: Partition → the planted component it should dominate in.
DOMINANT = {"unique_music": "acoustic", "unique_text": "text_only", "shared": "semantic"}


def planted_recovery(
    result: TextMusicResult,
    gains,
    regions: dict | None = None,
    *,
    threshold: float = PLANTED_THRESHOLD,
) -> pd.DataFrame:
    """Dice overlap of the recovered significant maps with the planted regions.

    The planted encoding model (:mod:`b2m.datasets.simulation._planted`) has three components:
    ``acoustic`` (in the audio only), ``semantic`` (in the audio and the captions) and
    ``text_only`` (in the captions only). A map is compared with the region where the
    components it should capture have a gain ≥ ``threshold`` (default 0.5: the half-maximum
    of the Gaussian gain profile, about 9.4 mm around each centre):

    =================  ====================================  ==============================
    recovered map      what it should capture                planted region
    =================  ====================================  ==============================
    ``music``          all that the audio carries            acoustic or semantic
    ``text``           all that the captions carry           semantic or text_only
    ``union``          everything                            any component
    ``unique_music``   in the audio, not the captions        acoustic
    ``unique_text``    in the captions, not the audio        text_only
    ``shared``         in both (music- and text-significant) semantic
    =================  ====================================  ==============================

    Two levels: ``"vertex"`` (the FDR-significant vertices vs the vertices above threshold)
    and ``"region"`` (the regions of :attr:`TextMusicResult.roi` significant after FDR over
    regions vs the regions whose mean gain is above threshold). Nothing is smoothed.

    Rows ``"dominant <partition>"`` ask whether the partitions are right where the truth is
    unambiguous: among the vertices (regions) whose largest planted gain is ≥ ``threshold``,
    the planted label is the component with the largest gain and the recovered label the
    largest partition (only where the union model is significant; elsewhere none), with
    ``unique_music`` ↔ acoustic, ``unique_text`` ↔ text_only, ``shared`` ↔ semantic; Dice
    per label. At the vertex level detection limits it: undetected vertices count as misses.

    Parameters
    ----------
    result : TextMusicResult
    gains : array of shape (3, n_vertices)
        ``study.ground_truth["gains"]``, rows in ``COMPONENTS`` order.
    regions : dict of str to bool array of shape (n_vertices,), optional
        Those used for ``result.roi`` (default :func:`b2m.regions.auditory_regions`).
    threshold : float, default PLANTED_THRESHOLD (0.5)

    Returns
    -------
    pandas.DataFrame
        One row per level and map: ``level``, ``map``, ``planted`` (components),
        ``n_recovered``, ``n_planted``, ``n_both``, ``precision`` (``n_both / n_recovered``),
        ``dice``.
    """
    n_vertices = len(result.r2["union"])
    gains = check_array(gains, "gains", shape=(len(COMPONENTS), n_vertices))
    if not (np.isfinite(threshold) and 0 < threshold < 1):
        raise ValueError(f"threshold must be a number in (0, 1); received {threshold!r}.")
    if regions is None:
        regions = auditory_regions()
    names = result.roi["region"].tolist()
    _, weights = _region_weights({n: regions[n] for n in names}, n_vertices)
    region_gains = gains @ weights  # (3, n_regions)
    levels = {
        "vertex": (gains, result.significant, result.partitions),
        "region": (
            region_gains,
            {k: result.roi[f"significant {k}"].to_numpy(bool) for k in RECOVERY_DEFINITIONS},
            {p: result.roi[f"mean {p}"].to_numpy() for p in PARTITIONS},
        ),
    }
    rows = []
    for level, (g, significant, parts) in levels.items():
        for key, comps in RECOVERY_DEFINITIONS.items():
            idx = [COMPONENTS.index(c) for c in comps]
            rows.append(
                _overlap_row(level, key, comps, significant[key], g[idx].max(0) >= threshold)
            )
        # Dominance, where the planted truth is unambiguous (largest gain ≥ threshold): the
        # largest partition where the union model is significant vs the largest component.
        comp_idx = [COMPONENTS.index(DOMINANT[p]) for p in PARTITIONS]
        g3 = g[comp_idx]
        inside = g3.max(0) >= threshold
        values = np.stack([np.nan_to_num(parts[p]) for p in PARTITIONS])
        recovered = np.where(significant["union"] & inside, values.argmax(0), -1)
        planted = np.where(inside, g3.argmax(0), -1)
        for j, part in enumerate(PARTITIONS):
            key = f"dominant {part}"
            rows.append(_overlap_row(level, key, (DOMINANT[part],), recovered == j, planted == j))
    return pd.DataFrame(rows)


def _overlap_row(level, key, comps, recovered, planted) -> dict:
    both = int((recovered & planted).sum())
    return {
        "level": level, "map": key, "planted": " or ".join(comps),
        "n_recovered": int(recovered.sum()), "n_planted": int(planted.sum()), "n_both": both,
        "precision": both / recovered.sum() if recovered.any() else np.nan,
        "dice": dice_coefficient(recovered, planted),
    }  # fmt: skip


def compare_text_music(
    study,
    music_space: str = "acoustic",
    text_space: str = "text-lsa",
    *,
    n_permutations: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
    correction: str = "project",
    threshold: float = PLANTED_THRESHOLD,
    evaluation: str = "cv+test",
    n_jobs: int | None = None,
) -> TextMusicResult:
    """Which vertices does music explain, which does text, and which do both?

    Fits encoding models of ``music_space``, ``text_space`` and their union on the 480
    training clips (:func:`partition_encoding`), scores them on the repeat-averaged test
    clips, partitions the union's test R² into unique music, unique text and shared parts,
    and tests them (FDR over vertices). On the simulated study the recovered maps are
    compared with the planted regions (:func:`planted_recovery`).

    Parameters
    ----------
    study : b2m.datasets.Study
    music_space : str, default "acoustic"
        A feature space of the audio (:func:`b2m.analysis.study_embeddings`).
    text_space : str, default "text-lsa"
        A feature space of the captions.
    n_permutations : int, default 1000
    alpha : float, default 0.05
        FDR level.
    seed : int or None, default 0
    correction : {"project", "clip", "none"}, default "project"
        Correction of negative partition estimates (:func:`variance_partition`).
    threshold : float, default PLANTED_THRESHOLD (0.5)
        Gain defining the planted regions (simulated study only).
    evaluation : {"cv+test", "test"}, default "cv+test"
        Held-out predictions the maps are computed on (:func:`partition_encoding`).
    n_jobs : int, optional
        Encoders fitted at a time (:func:`partition_encoding`).

    Returns
    -------
    TextMusicResult
    """
    if music_space == text_space:
        raise ValueError(
            f"music_space and text_space must name two different feature spaces; received "
            f"{music_space!r} for both."
        )
    embeddings = {}
    for name, space in (("music_space", music_space), ("text_space", text_space)):
        emb = study_embeddings(study, space)
        if emb.ndim != 2 or len(emb) != len(study.clips):
            raise ValueError(
                f"{name}={space!r} must give one embedding per clip, shape ({len(study.clips)}, "
                f"n_dims); received shape {emb.shape}."
            )
        embeddings[name] = emb
    resp = study.responses
    train, test = study.clip_indices(resp.train_ids), study.clip_indices(resp.test_ids)
    music, text = embeddings["music_space"], embeddings["text_space"]
    result = partition_encoding(
        music[train], text[train], resp.train, resp.train_runs, music[test], text[test],
        resp.test, n_permutations=n_permutations, alpha=alpha, seed=seed, correction=correction,
        evaluation=evaluation, n_jobs=n_jobs,
    )  # fmt: skip
    result.music_space, result.text_space, result.subject = music_space, text_space, study.subject
    truth = study.ground_truth or {}
    if "gains" in truth:
        compare_with_truth(result, truth["gains"], threshold=threshold)
    return result


def compare_with_truth(
    result: TextMusicResult, gains, *, threshold: float = PLANTED_THRESHOLD
) -> None:
    """Fill ``result.recovery`` and ``result.truth_means`` from the planted gains.

    Parameters
    ----------
    result : TextMusicResult
    gains : array of shape (3, n_vertices)
        ``study.ground_truth["gains"]``.
    threshold : float, default PLANTED_THRESHOLD (0.5)
        Gain defining the planted regions.
    """
    gains = np.asarray(gains)
    result.recovery = planted_recovery(result, gains, threshold=threshold)
    for c, comp in enumerate(COMPONENTS):
        inside = gains[c] >= threshold
        for part in PARTITIONS:
            value = np.nanmean(result.partitions[part][inside])
            result.truth_means[f"mean_{part}_in_planted_{comp}"] = float(value)
