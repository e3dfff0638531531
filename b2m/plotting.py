"""Static figures (matplotlib and nilearn): the ``plot_*`` twins of the ``b2m_widgets`` views.

Every interactive ``b2m_widgets.view_*`` has a static twin here, so that exported HTML, PDFs
and headless runs show the same content. matplotlib, scipy and nilearn are imported lazily,
inside the functions; this module never imports plotly, ipywidgets or anywidget.

The two helpers shared with the widgets, :func:`embedding_map` and :func:`genre_colors`, live
here so that the static and interactive views place and colour clips identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from b2m._plotting_listening import plot_listening_scores
from b2m._plotting_tags import plot_decoded_tags, plot_tag_scores
from b2m._plotting_volume import plot_volume_map, values_to_volume
from b2m._utils._validation import check_array, check_choice, check_consistent_length
from b2m.surface import N_VERTICES, N_VERTICES_HEMI, load_fsaverage5

__all__ = [
    "EMBEDDING_METHODS",
    "GTZAN_GENRES",
    "SurfaceStyle",
    "color_limits",
    "embedding_map",
    "genre_colors",
    "load_sulcal_depth",
    "plot_clip",
    "plot_decoded_tags",
    "plot_embeddings",
    "plot_listening_scores",
    "plot_neighbours",
    "plot_run",
    "plot_surface",
    "plot_tag_scores",
    "plot_volume_map",
    "surface_style",
    "values_to_volume",
]

#: The ten GTZAN genres of the Music Genre fMRI Dataset, in alphabetical order.
GTZAN_GENRES = tuple("blues classical country disco hiphop jazz metal pop reggae rock".split())
_GENRE_HEX = tuple(
    "#1f77b4 #9467bd #bcbd22 #e377c2 #ff7f0e #2ca02c #444444 #d62728 #17becf #8c564b".split()
)
# Colours for genres outside GTZAN, assigned in sorted order of their names.
_EXTRA_HEX = ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2")

#: Methods accepted by :func:`embedding_map`.
EMBEDDING_METHODS = ("pca", "tsne")
_SURFACE_VIEWS = (
    ("left", "lateral"),
    ("right", "lateral"),
    ("left", "medial"),
    ("right", "medial"),
)


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
    colors = dict(zip(GTZAN_GENRES, _GENRE_HEX, strict=True))
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


@lru_cache(maxsize=1)
def load_sulcal_depth() -> np.ndarray:
    """Return the sulcal depth of fsaverage5 (shipped with nilearn), the usual grey background.

    Returns
    -------
    ndarray of shape (20484,)
        Sulcal depth per vertex, left hemisphere first (positive values are sulci); read-only
        (cached).
    """
    from nilearn.datasets import load_fsaverage_data

    img = load_fsaverage_data(mesh="fsaverage5", mesh_type="pial", data_type="sulcal")
    parts = img.data.parts
    depth = np.concatenate([np.ravel(parts["left"]), np.ravel(parts["right"])]).astype(np.float64)
    depth.setflags(write=False)
    return depth


def plot_surface(
    values,
    *,
    mesh: str = "inflated",
    threshold: float | None = None,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    figure=None,
    label: str | None = None,
    percentile: float | None = 99.0,
):
    """Plot a map on fsaverage5: left/right hemispheres, lateral and medial views.

    Static twin of :func:`b2m_widgets.view_surface`.

    Parameters
    ----------
    values : array-like of shape (20484,)
        One value per fsaverage5 vertex, left hemisphere first.
    mesh : {"inflated", "pial", "white_matter", "sphere"}, default "inflated"
        Surface to draw on.
    threshold : float, optional
        Vertices with ``|value| <= threshold`` show only the sulcal background (default: the
        exact zeros of a masked map, and NaN, show the background).
    cmap : str, optional
        A matplotlib colormap name; default from the data's sign (:func:`surface_style`:
        diverging ``"RdBu_r"`` for signed maps, ``"plasma"`` for positive ones).
    vmin, vmax : float, optional
        Colour limits; default: a high percentile of ``|values|`` (symmetric around 0 for
        signed maps, from 0 for positive ones).
    title : str, optional
        Figure title.
    figure : matplotlib.figure.Figure, optional
        Figure to draw into (four 3-D axes are added); a new one when omitted.
    label : str, optional
        The quantity and its units, written beside the colour bar.
    percentile : float or None, default 99
        Percentile of ``|values|`` giving the default limits (None: the maximum).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with four 3-D axes and one colour-bar axis.
    """
    check_choice(mesh, "mesh", ("inflated", "pial", "white_matter", "sphere"))
    data = check_array(values, "values", shape=(N_VERTICES,), allow_nan=True)
    if threshold is not None and (not np.isfinite(threshold) or threshold < 0):
        raise ValueError(f"threshold must be a finite number >= 0; received {threshold!r}.")
    style = surface_style(data, vmin=vmin, vmax=vmax, cmap=cmap, percentile=percentile)
    lo, hi = style.vmin, style.vmax
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from nilearn import plotting

    cmap = style.cmap if style.cmap in colormaps else style.cmap.lower()
    if cmap not in colormaps:
        raise ValueError(f"cmap must be a matplotlib colormap name; received {style.cmap!r}.")
    data = np.where(np.isfinite(data), data, 0.0)
    threshold = max(1e-12, 0.0 if threshold is None else float(threshold))
    surf = load_fsaverage5(mesh)
    sulc = load_sulcal_depth()
    fig = figure if figure is not None else plt.figure(figsize=(9, 6.5))
    n_faces_left = len(surf.faces) // 2
    for pos, (hemi, view) in enumerate(_SURFACE_VIEWS):
        ax = fig.add_subplot(2, 2, pos + 1, projection="3d")
        if hemi == "left":
            verts, part = slice(0, N_VERTICES_HEMI), surf.faces[:n_faces_left]
        else:
            verts, part = slice(N_VERTICES_HEMI, None), surf.faces[n_faces_left:] - N_VERTICES_HEMI
        plotting.plot_surf_stat_map(
            (np.array(surf.coordinates[verts]), np.array(part)),
            data[verts],
            bg_map=np.array(sulc[verts]),
            hemi=hemi,
            view=view,
            cmap=cmap,
            colorbar=False,
            threshold=threshold,
            vmin=lo,
            vmax=hi,
            axes=ax,
            figure=fig,
        )
        ax.set_title(f"{hemi} {view}", fontsize=9)
    fig.subplots_adjust(left=0.0, right=0.86, bottom=0.02, top=0.9, wspace=0.0, hspace=0.05)
    cax = fig.add_axes((0.88, 0.25, 0.02, 0.5))
    bar = fig.colorbar(ScalarMappable(norm=Normalize(lo, hi), cmap=cmap), cax=cax)
    if label:
        bar.set_label(label)
    if style.note:
        fig.text(0.5, 0.005, style.note, ha="center", va="bottom", fontsize=8, color="#555")
    if title:
        fig.suptitle(title)
    return fig


def color_limits(values, vmin: float | None = None, vmax: float | None = None):
    """Colour limits of a map: the given ones, else symmetric for signed maps, else the range.

    Parameters
    ----------
    values : ndarray of shape (n_values,)
        Finite values of the map.
    vmin, vmax : float, optional
        Limits imposed by the caller; each one given replaces its default.

    Returns
    -------
    tuple of float
        ``(vmin, vmax)`` with ``vmin < vmax`` (a constant map gets a range of 1).
    """
    data = np.asarray(values, dtype=np.float64)
    if data.min() < 0 < data.max():
        peak = float(np.abs(data).max())
        lo, hi = -peak, peak
    else:
        lo, hi = float(data.min()), float(data.max())
    if vmin is None and vmax is None and hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"vmin must be below vmax; received vmin={lo!r}, vmax={hi!r}.")
    return lo, hi


#: Default colour scales of :func:`surface_style` (names valid in plotly and matplotlib).
DIVERGING_CMAP, SEQUENTIAL_CMAP = "RdBu_r", "plasma"


class SurfaceStyle(NamedTuple):
    """How a surface map is coloured by default (see :func:`surface_style`)."""

    vmin: float
    vmax: float
    cmap: str
    signed: bool
    note: str


def surface_style(
    values,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str | None = None,
    percentile: float | None = 99.0,
) -> SurfaceStyle:
    """Colour scale and limits of a map, chosen from its data so that the finding shows.

    Signed maps get a diverging scale centred on 0 (``"RdBu_r"``), positive (or negative)
    maps a sequential one (``"plasma"``). The default limits are a high percentile of the
    non-zero finite ``|values|``, so that a few outliers do not darken every other vertex;
    the clipped range is stated in ``note``.

    Parameters
    ----------
    values : array-like of shape (n_values,)
        The map; NaN and exact zeros (masked vertices) are ignored when choosing limits.
    vmin, vmax : float, optional
        Limits imposed by the caller; each one given replaces its default.
    cmap : str, optional
        Colour-scale name imposed by the caller; default chosen from the data's sign.
    percentile : float or None, default 99
        Percentile of ``|values|`` used as the default limit, in (0, 100]; None uses the
        maximum.

    Returns
    -------
    SurfaceStyle
        ``(vmin, vmax, cmap, signed, note)``; ``note`` is ``""`` when nothing is clipped.
    """
    if percentile is not None and not (0 < float(percentile) <= 100):
        raise ValueError(f"percentile must be in (0, 100] or None; received {percentile!r}.")
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data) & (data != 0)]
    signed = bool(data.size and data.min() < 0)
    peak = float(np.abs(data).max()) if data.size else 1.0
    limit = (
        peak
        if percentile is None or not data.size
        else float(np.percentile(np.abs(data), percentile))
    )
    limit = limit if limit > 0 else peak
    if signed:
        lo, hi = -limit, limit
    else:
        lo, hi = 0.0, limit
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"vmin must be below vmax; received vmin={lo!r}, vmax={hi!r}.")
    top = max(abs(lo), abs(hi))
    note = ""
    if data.size and peak > top * (1 + 1e-6):
        how = f"the {percentile:g}th percentile of |value|" if vmax is None else "vmax"
        note = f"colours saturate at {how} ({top:.3g}); the map reaches {peak:.3g}"
    name = cmap if cmap is not None else (DIVERGING_CMAP if signed else SEQUENTIAL_CMAP)
    return SurfaceStyle(lo, hi, str(name), signed, note)


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


def plot_clip(waveform, sr: int, *, title: str | None = None, axes=None):
    """Plot a clip's waveform above its spectrogram.

    Static twin of :func:`b2m_widgets.view_audio` (and, once per waveform, of
    :func:`b2m_widgets.view_ab`).

    Parameters
    ----------
    waveform : array-like of shape (n_samples,)
        Mono audio samples (finite).
    sr : int
        Sampling rate in Hz.
    title : str, optional
        Title above the waveform.
    axes : pair of matplotlib.axes.Axes, optional
        Axes for the waveform and the spectrogram; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure with (at least) two axes: waveform, spectrogram.
    """
    x = check_array(waveform, "waveform", ndim=1, min_samples=2)
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram

    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True, layout="constrained")
    if len(axes) != 2:
        raise ValueError(f"axes must be a pair of Axes; received {len(axes)} axes.")
    ax_wave, ax_spec = axes
    t = np.arange(len(x)) / sr
    ax_wave.plot(t, x, lw=0.5, color="#333333")
    ax_wave.set_ylabel("amplitude")
    ax_wave.set_xlim(0, t[-1])
    nperseg = int(min(1024, len(x)))
    freqs, times, power = spectrogram(x, fs=sr, nperseg=nperseg, noverlap=nperseg // 2)
    db = 10 * np.log10(power + 1e-12)
    ax_spec.pcolormesh(times, freqs, db, shading="auto", cmap="magma", vmin=db.max() - 80)
    ax_spec.set_ylabel("frequency (Hz)")
    ax_spec.set_xlabel("time (s)")
    if title:
        ax_wave.set_title(title)
    return ax_wave.figure


def plot_run(events, timeseries, *, tr: float = 1.5, delay: float = 3.0, title=None, ax=None):
    """A run's time series against its clips: one shaded band per clip, coloured by genre.

    Parameters
    ----------
    events : pandas.DataFrame
        The run's events (``onset``, ``duration``, ``genre``; ``is_lead_in`` optional).
    timeseries : array of shape (n_volumes,) or (n_volumes, n_series)
        Signals sampled every ``tr`` seconds (e.g. a few vertices, or a region's mean).
    tr : float, default 1.5
    delay : float, default 3.0
        Haemodynamic delay: bands are drawn over each clip's response window.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    y = check_array(timeseries, "timeseries", ndim=(1, 2))
    y = y[:, None] if y.ndim == 1 else y
    missing = {"onset", "duration", "genre"} - set(events.columns)
    if missing:
        raise ValueError(
            f"events must have columns onset, duration, genre; missing {sorted(missing)}."
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3))
    else:
        fig = ax.figure
    colors = genre_colors()
    for onset, duration, genre in zip(
        events["onset"], events["duration"], events["genre"], strict=True
    ):
        ax.axvspan(
            onset + delay,
            onset + delay + duration,
            color=colors.get(genre, "0.8"),
            alpha=0.18,
            lw=0,
        )
    t = np.arange(len(y)) * tr
    ax.plot(t, y, lw=0.8)
    ax.set_xlim(0, t[-1])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("BOLD (z)")
    present = list(dict.fromkeys(events["genre"]))
    ax.legend(
        handles=[Patch(color=colors.get(g, "0.8"), alpha=0.4, label=g) for g in present],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
    )
    if title:
        ax.set_title(title)
    fig.tight_layout()
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
