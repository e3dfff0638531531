"""Clip maps and genre colours, shared by the static figures and the widgets.

matplotlib, scipy and nilearn are imported lazily, inside the functions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from b2m._utils._validation import check_array, check_choice, check_consistent_length
from b2m.constants import GENRES

__all__ = [
    "EMBEDDING_METHODS",
    "embedding_map",
    "genre_colors",
    "plot_embeddings",
    "plot_neighbours",
]

_GENRE_HEX = tuple(
    "#1f77b4 #9467bd #bcbd22 #e377c2 #ff7f0e #2ca02c #444444 #d62728 #17becf #8c564b".split()
)


# Colours for genres outside GTZAN, assigned in sorted order of their names.
_EXTRA_HEX = ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2")


#: Methods accepted by :func:`embedding_map`.
EMBEDDING_METHODS = ("pca", "tsne")


def genre_colors(genres: Sequence[str] | None = None) -> dict[str, str]:
    """Return the fixed colour of each genre, shared by static and interactive views.

    Parameters
    ----------
    genres : sequence of str, optional
        Extra genre names to include. Names outside GTZAN get colours from a secondary
        palette, assigned in sorted order (so the mapping is deterministic).

    Returns
    -------
    dict of str to str
        Genre name to hex colour (``"#rrggbb"``); always contains the ten GTZAN genres.
    """
    colors = dict(zip(GENRES, _GENRE_HEX, strict=True))
    if genres is not None:
        extra = sorted({str(g) for g in genres} - set(colors))
        for i, name in enumerate(extra):
            colors[name] = _EXTRA_HEX[i % len(_EXTRA_HEX)]
    return colors


def embedding_map(
    embeddings, method: str = "pca", random_state: int | None = 0, *, standardize: bool = True
) -> np.ndarray:
    """Project embeddings to two dimensions for a scatter plot.

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip (``n_dims >= 2``, ``n_clips >= 2``). When ``n_dims == 2`` the
        embeddings are returned unchanged (as float64).
    method : {"pca", "tsne"}, default "pca"
        Projection: principal components (deterministic) or t-SNE (perplexity adapted to small
        ``n_clips``).
    random_state : int or None, default 0
        Seed for the projection.
    standardize : bool, default True
        Z-score each dimension first, so that dimensions in large units (a tempo in BPM
        beside a spectral flatness) do not dominate the map.

    Returns
    -------
    ndarray of shape (n_clips, 2)
        The 2-D coordinates, in the order of ``embeddings``.
    """
    check_choice(method, "method", EMBEDDING_METHODS)
    x = check_array(embeddings, "embeddings", ndim=2, min_samples=2)
    if x.shape[1] < 2:
        raise ValueError(f"embeddings must have at least 2 columns; received shape {x.shape}.")
    if x.shape[1] == 2:
        return x.copy()
    if standardize:
        sd = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(x)
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(1.0, (len(x) - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state)
    return tsne.fit_transform(x)


def plot_embeddings(
    embeddings,
    genres,
    *,
    method: str = "pca",
    highlight: int | None = None,
    title: str | None = None,
    ax=None,
):
    """Scatter the clips' embeddings in 2-D, coloured by genre.

    Static twin of :func:`b2m_widgets.view_embeddings`.

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip; projected with :func:`embedding_map`.
    genres : sequence of str of length n_clips
        Genre of each clip (colours from :func:`genre_colors`).
    method : {"pca", "tsne"}, default "pca"
        Projection to 2-D (unused when ``n_dims == 2``).
    highlight : int, optional
        Index of a clip to circle.
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    xy = embedding_map(embeddings, method=method)
    genres = np.asarray([str(g) for g in genres], dtype=object)
    check_consistent_length(embeddings=xy, genres=genres)
    if highlight is not None and not 0 <= int(highlight) < len(xy):
        raise ValueError(f"highlight must be an index in [0, {len(xy)}); received {highlight!r}.")
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    fig = ax.figure
    colors = genre_colors(genres)
    for genre in sorted(set(genres)):
        mask = genres == genre
        ax.scatter(*xy[mask].T, s=18, color=colors[genre], label=genre, alpha=0.85, linewidths=0)
    if highlight is not None:
        x, y = xy[int(highlight)]
        ax.scatter([x], [y], s=160, facecolors="none", edgecolors="black", linewidths=2)
    ax.set_xlabel("dimension 1")
    ax.set_ylabel("dimension 2")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_neighbours(
    query_id: str,
    neighbour_ids: Sequence[str],
    scores,
    *,
    genres: Sequence[str] | None = None,
    title: str | None = None,
    ax=None,
):
    """Bar chart of the top-k clips retrieved for a query, with their similarities.

    Static twin of :func:`b2m_widgets.view_neighbours`.

    Parameters
    ----------
    query_id : str
        Identifier of the query clip (shown in the title).
    neighbour_ids : sequence of str of length k
        Retrieved clips, best first.
    scores : array-like of shape (k,)
        Their similarity to the query.
    genres : sequence of str of length k, optional
        Genres of the retrieved clips (bar colours and labels).
    title : str, optional
        Axes title; default ``"neighbours of <query_id>"``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ids = [str(c) for c in neighbour_ids]
    s = check_array(scores, "scores", ndim=1)
    check_consistent_length(neighbour_ids=ids, scores=s)
    if genres is not None:
        genres = [str(g) for g in genres]
        check_consistent_length(neighbour_ids=ids, genres=genres)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.45 * len(ids) + 1.2), layout="constrained")
    palette = genre_colors(genres or [])
    colors = [palette[g] for g in genres] if genres else ["#4c72b0"] * len(ids)
    rows = np.arange(len(ids))
    ax.barh(rows, s, color=colors)
    labels = [f"{r + 1}. {c}" + (f" ({genres[r]})" if genres else "") for r, c in enumerate(ids)]
    ax.set_yticks(rows, labels=labels)
    ax.invert_yaxis()
    for r, value in enumerate(s):
        ax.annotate(
            f"{value:.3f}",
            (max(value, 0.0), r),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.margins(x=0.15)  # room for the score labels
    ax.set_xlabel("similarity")
    ax.set_title(title if title is not None else f"neighbours of {query_id}")
    return ax.figure
