"""Interactive 2-D map of clip embeddings, coloured by genre; click a point to select a clip.

A small anywidget (``static/scatter.js``) draws the map on a canvas: the coordinates cross as
float32 bytes (4 kB for 540 clips) and the script is 14 kB, where a plotly figure carried all
of plotly.js (5 MB) in every figure's state.
"""

from __future__ import annotations

from collections.abc import Sequence

import anywidget
import numpy as np
import traitlets

from b2m.plotting import embedding_map, genre_colors
from b2m.validation import check_consistent_length
from b2m_widgets._static import esm

__all__ = ["EmbeddingScatter", "view_embeddings"]

_ESM = esm("scatter.js")
_CSS = """
.b2m-scatter { font-size: 12px; width: 100%; }
.b2m-scatter-title { font-weight: 600; margin: 0 0 4px 4px; overflow-wrap: anywhere; }
.b2m-scatter-row { display: flex; gap: 6px; align-items: flex-start; width: 100%; }
.b2m-scatter-stage { position: relative; flex: 1 1 auto; min-width: 0; }
.b2m-scatter-canvas { display: block; width: 100%; outline: none; }
.b2m-scatter-canvas:focus-visible { box-shadow: 0 0 0 2px #1a73e8; }
.b2m-scatter-tip { position: absolute; pointer-events: none; background: rgba(255,255,255,0.94);
  border: 1px solid #bbb; border-radius: 3px; padding: 2px 5px; white-space: nowrap; }
.b2m-scatter-tools { position: absolute; top: 12px; right: 16px; display: flex; gap: 2px; }
.b2m-scatter-tools button { width: 22px; height: 22px; padding: 0; font-size: 13px;
  line-height: 20px; background: rgba(255,255,255,0.85); border: 1px solid #ccc;
  border-radius: 3px; cursor: pointer; }
.b2m-scatter-legend { list-style: none; margin: 8px 0 0 0; padding: 0; flex: 0 0 auto;
  max-width: 130px; }
.b2m-scatter-key { display: flex; align-items: center; gap: 5px; border: none;
  background: none; padding: 1px 2px; font-size: 12px; cursor: pointer; text-align: left; }
.b2m-scatter-key[aria-pressed="false"] { opacity: 0.35; }
.b2m-scatter-swatch { width: 10px; height: 10px; border-radius: 50%; flex: 0 0 10px; }
.b2m-scatter-ring { border: 1.5px solid #222; box-sizing: border-box; }
"""


class EmbeddingScatter(anywidget.AnyWidget):
    """A scatter of clips in a 2-D embedding map, one colour per genre.

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip, projected with :func:`b2m.plotting.embedding_map`.
    genres : sequence of str of length n_clips
        Genre of each clip (colours from :func:`b2m.plotting.genre_colors`).
    clip_ids : sequence of str of length n_clips
        Identifier of each clip, shown on hover (as text, never as HTML).
    method : {"pca", "tsne"}, default "pca"
        Projection to 2-D (unused when ``n_dims == 2``).
    title : str, optional
        Figure title (shown as text).
    height : int, default 450
        Height of the drawing in pixels (the width follows the container).
    width : int, optional
        Largest width in pixels (default: fill the output area).
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
    coordinates : ndarray of shape (n_clips, 2)
        The 2-D map.
    genres, clip_ids : ndarray of str
    marked : ndarray of int
        The ringed clips.

    Notes
    -----
    In the browser: hovering names the clip, a click selects it, the legend's buttons hide or
    show a genre, drag (or the arrow keys) pans, + and - (or the buttons) zoom, Home or a
    double click resets the view.
    """

    _esm = _ESM
    _css = _CSS
    selected = traitlets.Int(-1).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    x_label = traitlets.Unicode("").tag(sync=True)
    y_label = traitlets.Unicode("").tag(sync=True)
    marked_label = traitlets.Unicode("marked").tag(sync=True)
    height = traitlets.Int(450).tag(sync=True)
    _points = traitlets.Bytes(b"").tag(sync=True)
    _codes = traitlets.Bytes(b"").tag(sync=True)
    _groups = traitlets.List(traitlets.Dict()).tag(sync=True)
    _ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _marked = traitlets.Bytes(b"").tag(sync=True)

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
        coordinates = embedding_map(embeddings, method=method)
        self.genres = np.asarray([str(g) for g in genres], dtype=object)
        self.clip_ids = np.asarray([str(c) for c in clip_ids], dtype=object)
        check_consistent_length(embeddings=coordinates, genres=self.genres, clip_ids=self.clip_ids)
        if isinstance(height, bool) or not isinstance(height, (int, np.integer)) or height < 80:
            raise ValueError(f"height must be an integer >= 80 (pixels); received {height!r}.")
        self.coordinates = coordinates
        self.method = method
        index = np.zeros(0, np.int64) if marked is None else np.asarray(marked).ravel()
        if index.size and (
            not np.issubdtype(index.dtype, np.integer)
            or index.min() < 0
            or index.max() >= len(coordinates)
        ):
            raise ValueError(
                f"marked must hold rows in [0, {len(coordinates)}); received "
                f"{index.min()}..{index.max()}."
            )
        self.marked = index.astype(np.int64)
        names = sorted(set(self.genres))
        colors = genre_colors(self.genres)
        codes = np.searchsorted(np.asarray(names, dtype=object), self.genres)
        n_dims = np.shape(embeddings)[1]
        axis_name = "dim " if n_dims == 2 else {"pca": "PC", "tsne": "t-SNE "}[method]
        super().__init__(
            title="" if title is None else str(title),
            x_label=f"{axis_name}1",
            y_label=f"{axis_name}2",
            marked_label=str(marked_label),
            height=int(height),
            _points=np.asarray(coordinates, dtype="<f4").tobytes(),
            _codes=codes.astype("<u2").tobytes(),
            _groups=[{"name": str(g), "color": str(colors[g])} for g in names],
            _ids=[str(c) for c in self.clip_ids],
            _marked=self.marked.astype("<u4").tobytes(),
        )
        self.layout.width = "100%"  # the canvas follows the width of the output area
        if width is not None:
            self.layout.max_width = f"{int(width)}px"
        self.add_class("b2m-embedding-scatter")

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
        bundle = super()._repr_mimebundle_(**kwargs)  # anywidget: (data, metadata)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if self.static_fallback and isinstance(data, dict):
            from b2m_widgets._explorer_static import figure_png

            data["image/png"] = figure_png(self.static_figure())
        return bundle

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
