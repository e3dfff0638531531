"""Every statistical primitive of b2m, array-level and vectorised over targets.

Arrays have shape ``(n_samples, n_targets)`` (samples are clips, targets are vertices or
embedding dimensions). Study-level analyses (:mod:`b2m.analysis`) call these.

- :mod:`~b2m.stats._permutation`: the clip-permutation test of correlations and the exact
  null pooled over targets (:class:`PooledNull`, :func:`pooled_pvalues`);
- :mod:`~b2m.stats._shared`: tests sharing one pass of permutations across models (several
  models' correlations; sign flips of paired loss differences);
- :mod:`~b2m.stats._pvalues`: Benjamini-Hochberg FDR and Stouffer's combination;
- :mod:`~b2m.stats._ceiling`: noise ceilings from test repeats, split-half reliability,
  normalised correlations;
- :mod:`~b2m.stats._partition`: R² per target, variance partitioning, Dice overlap.
"""

from __future__ import annotations

from b2m.stats._ceiling import NoiseCeiling, noise_ceiling, normalised_r, split_half_reliability
from b2m.stats._partition import (
    CORRECTIONS,
    dice_coefficient,
    r2_score_columns,
    variance_partition,
)
from b2m.stats._permutation import (
    PERMUTATION_TOL,
    PermutationResult,
    PooledNull,
    permutation_test_correlation,
    pooled_pvalues,
)
from b2m.stats._pvalues import fdr_bh, stouffer_pvalues
from b2m.stats._shared import correlation_permutation_test, sign_flip_test

__all__ = [
    "CORRECTIONS",
    "PERMUTATION_TOL",
    "NoiseCeiling",
    "PermutationResult",
    "PooledNull",
    "correlation_permutation_test",
    "dice_coefficient",
    "fdr_bh",
    "noise_ceiling",
    "normalised_r",
    "permutation_test_correlation",
    "pooled_pvalues",
    "r2_score_columns",
    "sign_flip_test",
    "split_half_reliability",
    "stouffer_pvalues",
    "variance_partition",
]
