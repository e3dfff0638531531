"""Interactive 2-D map of clip embeddings, coloured by genre; click a point to select a clip."""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import traitlets

from b2m.plotting import embedding_map, genre_colors
from b2m.validation import check_consistent_length

#: Plot toolbar of the scatter: only what a map needs (nothing reaches outside).
MODEBAR_2D = ["zoom2d", "pan2d", "resetScale2d"]
#: The scatter's plotly config: the reduced toolbar, no logo, no cloud or chart-studio links.
PLOT_CONFIG = {"displaylogo": False, "showSendToCloud": False, "modeBarButtons": [MODEBAR_2D]}

__all__ = ["EmbeddingScatter", "view_embeddings"]

_WEBGL_ABOVE = 3000  # SVG scatter (robust clicks) up to this many clips, WebGL beyond


class EmbeddingScatter(widgets.VBox):
    """A scatter of clips in a 2-D embedding map, one trace per genre.

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip, projected with :func:`b2m.plotting.embedding_map`.
    genres : sequence of str of length n_clips
        Genre of each clip (colours from :func:`b2m.plotting.genre_colors`).
    clip_ids : sequence of str of length n_clips
        Identifier of each clip, shown on hover (escaped).
    method : {"pca", "tsne"}, default "pca"
        Projection to 2-D (unused when ``n_dims == 2``).
    title : str, optional
        Figure title (escaped).
    height : int, default 450
        Height of the figure in pixels.
    width : int, optional
        Width of the figure in pixels (default: fill the output area).
    marked : sequence of int, optional
        Clips to ring (e.g. the test clips that have reconstructions); clickable like the
        others.
    marked_label : str, default "marked"
        Legend entry of the rings.
    static_fallback : bool, default False
        Add a PNG of the static twin (:func:`b2m.plotting.plot_embeddings`) to the display
        data, so that exported notebooks show the map without a kernel or a network.

    Attributes
    ----------
    selected : int
        Index of the selected clip (``-1``: none). Set by clicking a point, or from Python;
        the selected clip is circled.
    figure : plotly.graph_objects.FigureWidget
        One trace per genre (sorted by name), the rings of ``marked`` clips (when given), then
        the highlight trace.
    coordinates : ndarray of shape (n_clips, 2)
        The 2-D map.
    """

    selected = traitlets.Int(-1)

    def __init__(
        self,
        embeddings,
        genres: Sequence[str],
        clip_ids: Sequence[str],
        *,
        method: str = "pca",
        title: str | None = None,
        height: int = 450,
        width: int | None = None,
        marked: Sequence[int] | None = None,
        marked_label: str = "marked",
        static_fallback: bool = False,
    ):
        self.static_fallback = bool(static_fallback)
        self._title = title
        self.coordinates = embedding_map(embeddings, method=method)
        self.genres = np.asarray([str(g) for g in genres], dtype=object)
        self.clip_ids = np.asarray([str(c) for c in clip_ids], dtype=object)
        check_consistent_length(
            embeddings=self.coordinates, genres=self.genres, clip_ids=self.clip_ids
        )
        self.method = method
        scatter_cls = go.Scattergl if len(self.coordinates) > _WEBGL_ABOVE else go.Scatter
        colors = genre_colors(self.genres)
        traces = []
        for genre in sorted(set(self.genres)):
            index = np.flatnonzero(self.genres == genre).astype(np.int32)
            hover = [html.escape(c) for c in self.clip_ids[index]]
            traces.append(
                scatter_cls(
                    x=self.coordinates[index, 0],
                    y=self.coordinates[index, 1],
                    mode="markers",
                    name=html.escape(genre),
                    marker={"color": colors[genre], "size": 8, "opacity": 0.85},
                    customdata=index,
                    hovertext=hover,
                    hovertemplate="%{hovertext}<extra>%{fullData.name}</extra>",
                )
            )
        if marked is not None:
            index = np.asarray(marked, dtype=np.int32).ravel()
            if index.size and (index.min() < 0 or index.max() >= len(self.coordinates)):
                raise ValueError(
                    f"marked must hold rows in [0, {len(self.coordinates)}); received "
                    f"{index.min()}..{index.max()}."
                )
            traces.append(
                scatter_cls(
                    x=self.coordinates[index, 0],
                    y=self.coordinates[index, 1],
                    mode="markers",
                    name=html.escape(str(marked_label)),
                    marker={
                        "size": 13,
                        "color": "#222222",  # an open symbol is drawn in the marker colour
                        "symbol": "circle-open",
                        "line": {"width": 1.5},
                    },
                    customdata=index,
                    hovertext=[html.escape(c) for c in self.clip_ids[index]],
                    hovertemplate="%{hovertext}<extra>"
                    + html.escape(str(marked_label))
                    + "</extra>",
                )
            )
        traces.append(
            go.Scatter(
                x=[],
                y=[],
                mode="markers",
                name="selected",
                marker={
                    "size": 18,
                    "color": "rgba(0,0,0,0)",
                    "line": {"color": "black", "width": 2.5},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
        self.figure = go.FigureWidget(traces)
        self.figure._config = dict(PLOT_CONFIG)
        n_dims = np.shape(embeddings)[1]
        axis_name = "dim " if n_dims == 2 else {"pca": "PC", "tsne": "t-SNE "}[method]
        self.figure.update_layout(
            height=height,
            width=width,
            autosize=width is None,
            margin={"l": 40, "r": 10, "t": 40 if title else 10, "b": 40},
            title={"text": html.escape(title) if title else None},
            xaxis={"title": {"text": f"{axis_name}1"}, "zeroline": False},
            yaxis={"title": {"text": f"{axis_name}2"}, "zeroline": False},
            legend={"itemsizing": "constant"},
            clickmode="event",
            hovermode="closest",
            plot_bgcolor="white",
        )
        for trace in self.figure.data[:-1]:
            trace.on_click(self._on_click)
        super().__init__([self.figure])
        self.observe(self._on_selected, names="selected")

    def static_figure(self):
        """The map drawn by the static twin :func:`b2m.plotting.plot_embeddings`.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        from b2m.plotting import plot_embeddings

        fig, ax = plt.subplots(figsize=(6, 4.5))
        plot_embeddings(
            self.coordinates,
            self.genres,
            highlight=None if self.selected < 0 else self.selected,
            title=self._title,
            ax=ax,
        )
        return fig

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if self.static_fallback and isinstance(data, dict):
            from b2m_widgets._explorer_static import figure_png

            data["image/png"] = figure_png(self.static_figure())
        return data

    @property
    def n_clips(self) -> int:
        """Number of clips in the map."""
        return len(self.coordinates)

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        value = proposal["value"]
        if not -1 <= value < len(self.coordinates):
            raise traitlets.TraitError(
                f"selected must be -1 or an index in [0, {len(self.coordinates)}); "
                f"received {value!r}."
            )
        return value

    def _on_click(self, trace, points, state) -> None:
        if points.point_inds:
            self.selected = int(trace.customdata[points.point_inds[0]])

    def _on_selected(self, change) -> None:
        highlight = self.figure.data[-1]
        index = change["new"]
        with self.figure.batch_update():
            if index < 0:
                highlight.x, highlight.y = [], []
            else:
                highlight.x = [float(self.coordinates[index, 0])]
                highlight.y = [float(self.coordinates[index, 1])]
                highlight.hovertext = [html.escape(self.clip_ids[index])]


def view_embeddings(
    embeddings,
    genres: Sequence[str],
    clip_ids: Sequence[str],
    *,
    method: str = "pca",
    title: str | None = None,
    static_fallback: bool = True,
) -> EmbeddingScatter:
    """Show clips in a 2-D embedding map, coloured by genre; click a point to select it.

    Static twin: :func:`b2m.plotting.plot_embeddings`.

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip.
    genres : sequence of str of length n_clips
        Genre of each clip.
    clip_ids : sequence of str of length n_clips
        Identifier of each clip (shown on hover).
    method : {"pca", "tsne"}, default "pca"
        Projection to 2-D.
    title : str, optional
        Figure title.
    static_fallback : bool, default True
        Embed the static twin as a PNG in the display data (exports show it offline).

    Returns
    -------
    EmbeddingScatter
        Its ``selected`` trait holds the index of the clicked clip.
    """
    return EmbeddingScatter(
        embeddings,
        genres,
        clip_ids,
        method=method,
        title=title,
        static_fallback=static_fallback,
    )
