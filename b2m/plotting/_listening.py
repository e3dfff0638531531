"""Static figure of a blind listening test: accuracy per listener with its binomial interval.

matplotlib is imported lazily; no display library is imported.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_listening_scores"]


def plot_listening_scores(results, *, confidence_level: float = 0.95, ax=None):
    """Accuracy of each listener (and all pooled) against chance, with exact intervals.

    Parameters
    ----------
    results : b2m.reconstruction.ListeningTest or ListeningResults
        One listener's test (:class:`~b2m.reconstruction.ListeningTest`) or several merged
        (:func:`~b2m.reconstruction.merge_listening_results`).
    confidence_level : float, default 0.95
        Of the Clopper–Pearson intervals.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per listener (``"all"`` last for merged results): the share of
        trials where the reconstruction from the heard clip's own brain response was chosen,
        its interval as an error bar, chance (0.5) as a dashed line, and ``k/n`` and the
        one-sided p-value as text. Unanswered tests draw an empty bar labelled "no answers".
    """
    import matplotlib.pyplot as plt

    if hasattr(results, "tests") and hasattr(results, "to_frame"):
        frame = results.to_frame(confidence_level)
    elif hasattr(results, "trials") and hasattr(results, "score"):
        score = results.score(confidence_level).to_dict()
        frame = [{"listener": results.listener or "listener", "backend": results.backend} | score]
        import pandas as pd

        frame = pd.DataFrame(frame)
    else:
        raise TypeError(
            "results must be a ListeningTest or ListeningResults (b2m.reconstruction); "
            f"received {type(results).__name__}."
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 0.6 + 0.45 * len(frame)), layout="constrained")
    else:
        fig = ax.figure
    y = np.arange(len(frame))[::-1]
    acc = frame["accuracy"].to_numpy(dtype=float)
    answered = frame["n"].to_numpy() > 0
    shown = np.where(answered, acc, 0.0)
    err = np.vstack(
        [
            np.where(answered, acc - frame["ci_low"], 0),
            np.where(answered, frame["ci_high"] - acc, 0),
        ]
    )
    ax.barh(y, shown, color="#4c72b0", xerr=err, capsize=3, height=0.6)
    ax.axvline(0.5, color="0.4", linestyle="--", linewidth=1, label="chance (0.5)")
    for yi, row, ok in zip(y, frame.itertuples(), answered, strict=True):
        text = f"{row.n_correct}/{row.n}, p = {row.p_value:.3g}" if ok else "no answers"
        ax.text(1.01, yi, text, va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.set_yticks(y, frame["listener"].astype(str))
    ax.set_xlim(0, 1)
    ax.set_xlabel(
        f"share of trials choosing the clip's own reconstruction ({confidence_level:.0%} CI)"
    )
    backend = str(frame["backend"].iloc[0])
    ax.set_title(f"Blind listening test ({backend})", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig
