"""Static figures of decoded tags: what the brain "says" about a clip, and how each tag scores.

matplotlib is imported lazily; no display library is imported.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_decoded_tags", "plot_tag_scores"]


def plot_decoded_tags(tags, clip, *, n: int = 8, axes=None):
    """Bar charts: the tags decoded from the brain beside the heard clip's own tags.

    Parameters
    ----------
    tags : b2m.analysis.DecodedTags
        From :func:`b2m.analysis.decoded_tags`.
    clip : int or str
        A test clip (index or id).
    n : int, default 8
        Tags shown on each side.
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left: "the brain says" (probabilities from the decoded embedding, tags shared with
        the clip's own ``k`` tags in colour); right: the clip's own most probable tags.
    """
    import matplotlib.pyplot as plt
    from scipy.special import expit

    if not hasattr(tags, "predicted_tags"):
        raise TypeError(
            f"tags must be a DecodedTags (b2m.analysis.decoded_tags); received {type(tags).__name__}."
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer; received {n!r}.")
    i = tags._index(clip)
    own = set(tags.true_tags(i))
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8, 0.32 * n + 1.2), sharex=True)
    else:
        fig = axes[0].figure
    for ax, values, title in (
        (axes[0], tags.decoded[i], "the brain says"),
        (axes[1], tags.true[i], "the clip's own tags"),
    ):
        order = np.argsort(-values, kind="stable")[:n]
        names = [tags.tag_names[j] for j in order]
        colors = ["#d62728" if name in own else "#9e9e9e" for name in names]
        ax.barh(np.arange(len(order))[::-1], expit(values[order]), color=colors)
        ax.set_yticks(np.arange(len(order))[::-1], names)
        ax.set_xlim(0, 1)
        ax.set_xlabel("tag probability")
        ax.set_title(title, fontsize=10)
    clip_id = str(tags.test_ids[i])
    fig.suptitle(
        f"{tags.subject}, {clip_id} ({tags.test_genres[i]}): decoded {tags.space} tags "
        f"(red: among the clip's {tags.k} own tags)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def plot_tag_scores(scores, *, ax=None, title: str | None = None):
    """Per-tag AUC of decoded tags over the test clips, against each tag's chance band.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :meth:`b2m.analysis.DecodedTags.scores` (``auc``, ``chance_low``,
        ``chance_high``; untested tags are left out).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    missing = {"auc", "chance_low", "chance_high"} - set(getattr(scores, "columns", []))
    if missing:
        raise ValueError(
            f"scores must come from DecodedTags.scores(); it lacks columns {sorted(missing)}."
        )
    tested = scores.dropna(subset=["auc"]).sort_values("auc")
    if tested.empty:
        raise ValueError("scores holds no tested tag (every AUC is NaN); nothing to plot.")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 0.22 * len(tested) + 1.2))
    else:
        fig = ax.figure
    y = np.arange(len(tested))
    above = tested["auc"] > tested["chance_high"]
    ax.barh(y, tested["auc"] - 0.5, left=0.5, color=np.where(above, "#1f77b4", "#9e9e9e"))
    ax.hlines(y, tested["chance_low"], tested["chance_high"], color="k", lw=3, alpha=0.35)
    ax.axvline(0.5, color="k", lw=0.8)
    ax.set_yticks(y, tested.index)
    ax.set_xlim(0, 1)
    ax.set_xlabel("AUC over the test clips (grey band: 95% permutation chance)")
    ax.set_title(title or f"Decoded tags: {int(above.sum())} of {len(tested)} above chance")
    fig.tight_layout()
    return fig
