"""Scores per target and the set-theoretic split of the variance two feature spaces explain
(Lescroart et al. 2015; de Heer et al. 2017), with a correction of negative estimates, and
the Dice overlap of two maps.
"""

from __future__ import annotations

import itertools

import numpy as np

from b2m._utils._validation import check_array, check_choice
from b2m.stats._permutation import _constant_columns

__all__ = ["CORRECTIONS", "dice_coefficient", "r2_score_columns", "variance_partition"]


def r2_score_columns(predicted, observed) -> np.ndarray:
    """Coefficient of determination per column, ``1 - SS_res / SS_tot``.

    Parameters
    ----------
    predicted : array of shape (n_samples, n_targets)
    observed : array of shape (n_samples, n_targets)

    Returns
    -------
    ndarray of shape (n_targets,)
        Can be negative; NaN where ``observed`` is constant.
    """
    predicted = check_array(predicted, "predicted", ndim=2, min_samples=2)
    observed = check_array(observed, "observed", ndim=2, min_samples=2)
    if predicted.shape != observed.shape:
        raise ValueError(
            "predicted and observed must have the same shape (n_samples, n_targets); "
            f"received {predicted.shape} and {observed.shape}."
        )
    ss_res = np.square(observed - predicted).sum(0)
    ss_tot = np.square(observed - observed.mean(0)).sum(0)
    ok = ~_constant_columns(observed)  # exact: a constant column's ss_tot is rounding noise
    return np.where(ok, 1.0 - ss_res / np.where(ok, ss_tot, 1.0), np.nan)


CORRECTIONS = ("project", "clip", "none")


# Rows: R²(a), R²(b), R²(a ∪ b); columns: unique a, unique b, shared.
_SET_MATRIX = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])


def _project_nonnegative(r2: np.ndarray) -> np.ndarray:
    """Least-squares partitions ``p ≥ 0`` with ``_SET_MATRIX @ p`` closest to ``r2``.

    ``r2`` has shape (3, n); returns (3, n). Exact: the optimum of this 3-variable
    non-negative least squares is the unconstrained solution on its support, so every one of
    the 8 supports is tried and the feasible one with the smallest residual is kept.
    """
    best = np.zeros_like(r2)
    best_cost = np.square(r2).sum(0)  # the empty support: p = 0
    for k in (1, 2, 3):
        for support in itertools.combinations(range(3), k):
            sub = _SET_MATRIX[:, support]
            p_sub = np.linalg.pinv(sub) @ r2  # (k, n)
            p = np.zeros_like(r2)
            p[list(support)] = p_sub
            cost = np.square(_SET_MATRIX @ p - r2).sum(0)
            better = (p_sub >= 0).all(0) & (cost < best_cost - 1e-15)
            best[:, better] = p[:, better]
            best_cost = np.where(better, cost, best_cost)
    return best


def variance_partition(r2_a, r2_b, r2_union, *, correction: str = "project") -> dict:
    """Split the variance explained by two feature spaces into unique and shared parts.

    Parameters
    ----------
    r2_a, r2_b, r2_union : array-like of shape (n_targets,)
        Test R² of the model of space ``a``, of space ``b`` and of their union.
    correction : {"project", "clip", "none"}, default "project"
        What to do with negative estimates, which arise from noise and over-fitting:

        - ``"project"``: the set-theoretic correction in the spirit of de Heer et al.
          (2017): per target, the non-negative partitions whose implied R² values
          (``a = unique_a + shared``, ``b = unique_b + shared``,
          ``union = unique_a + unique_b + shared``) are closest, in least squares, to the
          measured ones. The partitions stay consistent (they sum to the corrected union).
        - ``"clip"``: each partition below zero is set to zero, nothing else changes
          (simple, common; the parts no longer need to sum to ``r2_union``).
        - ``"none"``: the raw set-theoretic differences.

        NaN inputs (constant targets) give NaN partitions.

    Returns
    -------
    dict of str to ndarray of shape (n_targets,)
        ``"unique_a"``, ``"unique_b"``, ``"shared"``.
    """
    check_choice(correction, "correction", CORRECTIONS)
    a = check_array(r2_a, "r2_a", ndim=1, allow_nan=True)
    b = check_array(r2_b, "r2_b", shape=a.shape, allow_nan=True)
    u = check_array(r2_union, "r2_union", shape=a.shape, allow_nan=True)
    raw = np.stack([u - b, u - a, a + b - u])
    if correction == "clip":
        raw = np.where(np.isnan(raw), np.nan, np.maximum(raw, 0.0))
    elif correction == "project":
        r2 = np.stack([a, b, u])
        ok = np.isfinite(r2).all(0)
        out = np.full_like(raw, np.nan)
        out[:, ok] = _project_nonnegative(r2[:, ok])
        raw = out
    return dict(zip(("unique_a", "unique_b", "shared"), raw, strict=True))


def dice_coefficient(a, b) -> float:
    """Dice overlap ``2|A ∩ B| / (|A| + |B|)`` of two boolean maps.

    Parameters
    ----------
    a, b : array-like of bool, same shape

    Returns
    -------
    float
        In [0, 1]; NaN when both maps are empty (overlap undefined).
    """
    a = np.asarray(a)
    b = np.asarray(b)
    for name, m in (("a", a), ("b", b)):
        if m.dtype != bool:
            raise TypeError(f"{name} must be a boolean array; received dtype {m.dtype}.")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; received {a.shape} and {b.shape}.")
    total = int(a.sum() + b.sum())
    return float(2 * (a & b).sum() / total) if total else float("nan")
