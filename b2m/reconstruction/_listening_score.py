"""The score of a two-alternative listening test: accuracy, exact binomial interval, p-value."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ListeningScore"]


@dataclass
class ListeningScore:
    """Accuracy of two-alternative answers with an exact binomial test against 50 %.

    Attributes
    ----------
    n : int
        Answered trials.
    n_correct : int
    accuracy : float
        ``n_correct / n`` (NaN when ``n == 0``).
    ci_low, ci_high : float
        Two-sided Clopper–Pearson interval of the accuracy at :attr:`confidence_level`
        (:meth:`scipy.stats._result_classes.BinomTestResult.proportion_ci`, ``"exact"``);
        ``(0, 1)`` when ``n == 0``.
    p_value : float
        One-sided exact binomial p-value of ``n_correct`` or more under chance (50 %).
    confidence_level : float
    """

    n: int
    n_correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence_level: float = 0.95

    @classmethod
    def from_counts(cls, n_correct: int, n: int, confidence_level: float = 0.95) -> ListeningScore:
        """Score ``n_correct`` right answers out of ``n``.

        Parameters
        ----------
        n_correct, n : int
            ``0 <= n_correct <= n``.
        confidence_level : float, default 0.95
            In (0, 1).

        Returns
        -------
        ListeningScore
        """
        from scipy.stats import binomtest

        for name, value in (("n_correct", n_correct), ("n", n)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0; received {value!r}.")
        if n_correct > n:
            raise ValueError(f"n_correct must be at most n ({n}); received {n_correct}.")
        ok = isinstance(confidence_level, (int, float)) and not isinstance(confidence_level, bool)
        if not ok or not 0 < confidence_level < 1:
            raise ValueError(
                f"confidence_level must be a number in (0, 1); received {confidence_level!r}."
            )
        if n == 0:
            return cls(0, 0, math.nan, 0.0, 1.0, 1.0, float(confidence_level))
        ci = binomtest(int(n_correct), int(n), 0.5).proportion_ci(confidence_level, "exact")
        p = binomtest(int(n_correct), int(n), 0.5, alternative="greater").pvalue
        return cls(
            int(n),
            int(n_correct),
            n_correct / n,
            float(ci.low),
            float(ci.high),
            float(p),
            float(confidence_level),
        )

    def to_dict(self) -> dict:
        """JSON-ready fields (NaN as None)."""
        out = {
            "n": self.n,
            "n_correct": self.n_correct,
            "accuracy": self.accuracy,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "confidence_level": self.confidence_level,
        }
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}

    def __str__(self) -> str:
        if self.n == 0:
            return "no answers yet"
        level = round(100 * self.confidence_level)
        return (
            f"{self.n_correct} of {self.n} correct ({100 * self.accuracy:.0f} %; {level} % CI "
            f"{100 * self.ci_low:.0f}–{100 * self.ci_high:.0f} %; one-sided p = "
            f"{self.p_value:.3g} against 50 %)"
        )
