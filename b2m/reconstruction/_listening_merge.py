"""Several listeners' listening tests of the same trials, pooled."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from b2m.reconstruction._listening import ListeningTest
from b2m.reconstruction._listening_score import ListeningScore

__all__ = ["ListeningResults", "merge_listening_results"]

#: Fields two listeners' tests must share to be merged.
_SHARED = ("seed", "backend", "space", "subject")


@dataclass
class ListeningResults:
    """Several listeners' answers to the same trials (:func:`merge_listening_results`).

    Attributes
    ----------
    tests : list of ListeningTest
        One per listener, all with the same seed, backend, space, subject and trials.
    """

    tests: list

    @property
    def listeners(self) -> list[str]:
        """The listeners' names, in order."""
        return [t.listener for t in self.tests]

    def score(self, confidence_level: float = 0.95) -> ListeningScore:
        """All answers pooled (each treated as an independent two-alternative trial).

        Parameters
        ----------
        confidence_level : float, default 0.95

        Returns
        -------
        ListeningScore
        """
        scores = [t.score() for t in self.tests]
        return ListeningScore.from_counts(
            sum(s.n_correct for s in scores), sum(s.n for s in scores), confidence_level
        )

    def to_frame(self, confidence_level: float = 0.95) -> pd.DataFrame:
        """One row per listener and one ``"all"`` row: the :class:`ListeningScore` fields.

        Returns
        -------
        pandas.DataFrame
            ``listener``, ``backend``, ``n``, ``n_correct``, ``accuracy``, ``ci_low``,
            ``ci_high``, ``p_value``, ``confidence_level``.
        """
        rows = [
            {"listener": t.listener, "backend": t.backend} | t.score(confidence_level).to_dict()
            for t in self.tests
        ]
        pooled = self.score(confidence_level).to_dict()
        rows.append({"listener": "all", "backend": self.tests[0].backend} | pooled)
        return pd.DataFrame(rows)


def merge_listening_results(tests) -> ListeningResults:
    """Pool several listeners' tests of the same trials.

    Parameters
    ----------
    tests : sequence of ListeningTest or path
        Tests, or files saved by :meth:`ListeningTest.save`; at least one. They must share
        seed, backend, space, subject and trials, and have different listeners.

    Returns
    -------
    ListeningResults
    """
    if isinstance(tests, (str, os.PathLike, ListeningTest)):
        tests = [tests]
    loaded = []
    for i, t in enumerate(tests):
        if isinstance(t, (str, os.PathLike)):
            t = ListeningTest.load(t)
        if not isinstance(t, ListeningTest):
            raise TypeError(
                f"tests[{i}] must be a ListeningTest or a path to a saved one; received "
                f"{type(t).__name__}."
            )
        loaded.append(t)
    if not loaded:
        raise ValueError("tests must hold at least one ListeningTest or file; received 0.")
    first = loaded[0]
    for t in loaded[1:]:
        for name in _SHARED:
            a, b = getattr(first, name), getattr(t, name)
            if a != b:
                raise ValueError(
                    f"tests must share their {name} to be merged; listener {first.listener!r} "
                    f"has {name}={a!r}, listener {t.listener!r} has {name}={b!r}."
                )
        key = [(x.clip_id, x.foil_clip_id, x.correct) for x in t.trials]
        if key != [(x.clip_id, x.foil_clip_id, x.correct) for x in first.trials]:
            raise ValueError(
                f"tests must present the same trials to be merged; listener {t.listener!r}'s "
                f"differ from listener {first.listener!r}'s."
            )
    names = [t.listener for t in loaded]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"tests must come from different listeners; received {repeated} more than once."
        )
    return ListeningResults(loaded)
