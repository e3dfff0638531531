"""Text vs music across subjects: one group map from several subjects' results.

All subjects' maps live on fsaverage5, so vertex ``i`` is the same place in every subject and
the per-subject :class:`~b2m.analysis.TextMusicResult` objects can be combined vertex by vertex
(a fixed-effects combination, as for any surface-based group map):

* R², r and the variance partitions are averaged over subjects;
* each p-value map (and each region-level p-value) is combined with Stouffer's method
  (one-sided z-scores averaged and rescaled by √n; p-values clipped to [1e-12, 1 − 1e-12] so
  that no subject vetoes; a subject that did not test a vertex — constant response, NaN p —
  is left out there), then FDR-corrected as for one subject;
* significance rules are those of one subject (unique parts need the union significant,
  ``shared`` is the conjunction of the music and text maps).

On the simulated study each subject's planted regions are jittered by a few millimetres
around the template's, so :func:`planted_recovery` scores a group result against the
canonical gains (``ground_truth["canonical_gains"]``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from b2m.analysis._text_music import (
    MODELS,
    TESTED,
    TextMusicResult,
    compare_with_truth,
    significance,
)
from b2m.datasets import PLANTED_THRESHOLD
from b2m.regions import region_table
from b2m.stats import dice_coefficient, stouffer_pvalues

__all__ = ["combine_text_music"]


def combine_text_music(
    results: Sequence[TextMusicResult], *, gains=None, threshold: float = PLANTED_THRESHOLD
) -> TextMusicResult:
    """Combine several subjects' text-vs-music results into one group result.

    Parameters
    ----------
    results : sequence of TextMusicResult
        From :func:`b2m.analysis.compare_text_music`, one per subject, all with the same
        feature spaces, FDR level, correction and regions.
    gains : array of shape (3, n_vertices), optional
        The planted gains (``study.ground_truth["gains"]``); when given, the group result's
        :attr:`~TextMusicResult.recovery` is filled by :func:`planted_recovery`.
    threshold : float, default PLANTED_THRESHOLD (0.5)
        Gain defining the planted regions.

    Returns
    -------
    TextMusicResult
        ``subject`` is ``"group (n=K)"``; ``pvalues`` are the combined p-values.
    """

    results = list(results)
    if not results or not all(isinstance(r, TextMusicResult) for r in results):
        raise TypeError(
            "results must be a non-empty sequence of TextMusicResult (one per subject); "
            f"received {[type(r).__name__ for r in results] or 'an empty sequence'}."
        )
    first = results[0]
    for res in results[1:]:
        same = (res.music_space, res.text_space, res.alpha, res.correction) == (
            first.music_space, first.text_space, first.alpha, first.correction,
        )  # fmt: skip
        if not same or list(res.roi.get("region", [])) != list(first.roi.get("region", [])):
            raise ValueError(
                "results must share feature spaces, alpha, correction and regions; subject "
                f"{res.subject!r} has ({res.music_space!r}, {res.text_space!r}, {res.alpha}, "
                f"{res.correction!r}) but {first.subject!r} has ({first.music_space!r}, "
                f"{first.text_space!r}, {first.alpha}, {first.correction!r})."
            )
        if len(res.r2["union"]) != len(first.r2["union"]):
            raise ValueError(
                f"results must be maps of the same vertices; {res.subject!r} has "
                f"{len(res.r2['union'])}, {first.subject!r} {len(first.r2['union'])}."
            )

    def mean_of(attr):
        return {k: np.nanmean([getattr(r, attr)[k] for r in results], 0) for k in first.r2}

    r2, r = mean_of("r2"), mean_of("r")
    partitions = {
        k: np.nanmean([res.partitions[k] for res in results], 0) for k in first.partitions
    }
    raw = {
        k: np.nanmean([res.raw_partitions[k] for res in results], 0) for k in first.raw_partitions
    }
    pvalues = {
        k: stouffer_pvalues([res.pvalues[k] for res in results], nan_policy="omit")
        for k in first.pvalues
    }
    significant = significance(pvalues, first.alpha)

    roi = pd.DataFrame()
    if not first.roi.empty:
        roi = first.roi[["region", "n_vertices"]].copy()
        for col in first.roi.columns:
            if col.startswith("mean "):
                roi[col] = np.mean([res.roi[col].to_numpy(float) for res in results], 0)
            elif col.startswith("p "):
                roi[col] = stouffer_pvalues(
                    [res.roi[col].to_numpy(float) for res in results], nan_policy="omit"
                )
        tested = significance({k: roi[f"p {k}"] for k in TESTED}, first.alpha)
        for key, value in tested.items():
            roi[f"significant {key}"] = value

    tables = pd.DataFrame()
    if not first.regions.empty:
        maps = {**{f"R2 {m}": r2[m] for m in MODELS}, **partitions}
        tables = pd.concat(
            [region_table(v, name="value").assign(map=k) for k, v in maps.items()],
            ignore_index=True,
        )
    dice = {"music_vs_text": dice_coefficient(significant["music"], significant["text"])}
    if not roi.empty:
        dice["music_vs_text_regions"] = dice_coefficient(
            roi["significant music"].to_numpy(bool), roi["significant text"].to_numpy(bool)
        )
    group = TextMusicResult(
        music_space=first.music_space,
        text_space=first.text_space,
        subject=f"group (n={len(results)})",
        r2=r2,
        r=r,
        partitions=partitions,
        raw_partitions=raw,
        pvalues=pvalues,
        significant=significant,
        dice=dice,
        roi=roi,
        regions=tables,
        alpha=first.alpha,
        correction=first.correction,
        untested=(
            np.logical_and.reduce([res.untested for res in results])
            if all(res.untested is not None for res in results)
            else None
        ),
    )
    if gains is not None:
        compare_with_truth(group, gains, threshold=threshold)
    return group
