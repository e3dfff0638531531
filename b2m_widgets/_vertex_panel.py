"""What does this vertex hear? The panel :class:`b2m_widgets.ClipExplorer` fills on a pick.

A click on the cortex picks a vertex; the panel shows its region, its measured response to every
clip of the explorer (sorted, one bar per clip coloured by genre, drawn as an inline SVG: no
plotting library, a few kB), the clips that drive it most (a :class:`ClipList`: activating a row
selects and plays the clip) and, with an encoding result, its test r against the noise ceiling.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from b2m.plotting import genre_colors
from b2m.surface import N_VERTICES_HEMI
from b2m_widgets._cliplist import ClipList

__all__ = ["VertexPanel", "response_profile"]

_SVG_W, _SVG_H = 360, 80


def response_profile(responses, clip_ids, vertex: int) -> np.ndarray:
    """Measured response of one vertex to every clip.

    Parameters
    ----------
    responses : b2m_widgets._explorer_data.Responses
        The explorer's responses (training rows and test repeats, by clip id).
    clip_ids : sequence of str of length n_clips
    vertex : int

    Returns
    -------
    ndarray of shape (n_clips,), float64
        NaN for clips without a response (test clips: the mean of their repeats).
    """
    out = np.full(len(clip_ids), np.nan)
    data = responses.responses
    if data is None:
        return out
    train = np.asarray(data.train)[:, vertex]
    test = np.asarray(data.test_repeats)[:, :, vertex].mean(axis=0)
    for pos, clip in enumerate(clip_ids):
        where = responses.rows.get(str(clip))
        if where is not None:
            split, row = where
            out[pos] = train[row] if split == "train" else test[row]
    return out


def _svg(values: np.ndarray, genres: np.ndarray, vertex: int) -> str:
    order = np.argsort(-values)
    values, genres = values[order], genres[order]
    colors = genre_colors(genres)
    peak = float(np.abs(values).max()) or 1.0
    mid = _SVG_H / 2
    width = _SVG_W / len(values)
    bars = []
    for i, (v, g) in enumerate(zip(values, genres, strict=True)):
        h = abs(v) / peak * (mid - 2)
        y = mid - h if v >= 0 else mid
        bars.append(
            f"<rect x='{i * width:.2f}' y='{y:.2f}' width='{max(width, 0.6):.2f}' "
            f"height='{max(h, 0.3):.2f}' fill='{html.escape(colors[g])}'/>"
        )
    label = f"responses of vertex {vertex} to {len(values)} clips, sorted, coloured by genre"
    return (
        f"<svg role='img' aria-label='{html.escape(label)}' width='{_SVG_W}' height='{_SVG_H}' "
        f"viewBox='0 0 {_SVG_W} {_SVG_H}'><title>{html.escape(label)}</title>"
        f"<line x1='0' x2='{_SVG_W}' y1='{mid}' y2='{mid}' stroke='#999' stroke-width='0.5'/>"
        + "".join(bars)
        + "</svg>"
    )


def _legend(genres: np.ndarray) -> str:
    colors = genre_colors(genres)
    return " ".join(
        f"<span style='color:{html.escape(colors[g])}'>&#9632;</span>&nbsp;{html.escape(g)}"
        for g in sorted(set(genres))
    )


class VertexPanel(widgets.VBox):
    """The picked vertex: region, response to every clip, top clips, model fit.

    Parameters
    ----------
    output : ipywidgets.Output, optional
        Where errors of the top-clips list's callbacks are shown.
    k : int, default 5
        Number of top clips listed.

    Attributes
    ----------
    header : ipywidgets.HTML
        Vertex, region, model fit (or a message when the pick has no data).
    profile : ipywidgets.HTML
        The sorted responses (SVG) and the genre legend.
    top_clips : ClipList
        The clips that drive the vertex most; ``items[i]["key"]`` is the clip id.
    vertex : int
        The vertex shown (``-1``: none).
    """

    def __init__(self, output: widgets.Output | None = None, k: int = 5):
        self.k = int(k)
        self.vertex = -1
        self.rows: list[int] = []
        self.header = widgets.HTML(
            "<b>vertex</b>: click the cortex to see what a vertex responds to"
        )
        self.profile = widgets.HTML()
        self.top_clips = ClipList(
            title="clips that drive it most", empty_text="pick a vertex", output=output
        )
        self.top_clips.add_class("b2m-vertex-clips")
        super().__init__([self.header, self.profile, self.top_clips])
        self.add_class("b2m-vertex-panel")

    def show(
        self,
        vertex: int,
        values: np.ndarray,
        clip_ids,
        genres,
        *,
        region: str = "",
        test_r: float | None = None,
        ceiling: float | None = None,
    ) -> None:
        """Fill the panel for one vertex.

        Parameters
        ----------
        vertex : int
            Index in [0, 20484).
        values : ndarray of shape (n_clips,)
            The vertex's response to each clip (NaN: no response).
        clip_ids, genres : sequence of str of length n_clips
        region : str, default ""
            Region name(s) of the vertex.
        test_r, ceiling : float, optional
            The encoding model's test r at the vertex and its noise ceiling.
        """
        self.vertex = int(vertex)
        hemi = "left" if vertex < N_VERTICES_HEMI else "right"
        where = f"{hemi} vertex {vertex % N_VERTICES_HEMI}"
        parts = [f"<b>{html.escape(where)}</b>", html.escape(region or "outside the regions")]
        if test_r is not None and np.isfinite(test_r):
            fit = f"encoding test r {test_r:.2f}"
            if ceiling is not None and np.isfinite(ceiling):
                fit += f" (noise ceiling {ceiling:.2f})"
            parts.append(html.escape(fit))
        clip_ids = np.asarray([str(c) for c in clip_ids], dtype=object)
        genres = np.asarray([str(g) for g in genres], dtype=object)
        values = np.asarray(values, dtype=np.float64)
        have = np.isfinite(values)
        if not have.any():
            self.header.value = " · ".join(parts) + (
                "<br><i>no measured response at this vertex (e.g. the medial wall, or a study "
                "without responses)</i>"
            )
            self.profile.value = ""
            self.rows = []
            self.top_clips.set_items([], title="clips that drive it most")
            return
        parts.append(f"{int(have.sum())} clips")
        self.header.value = " · ".join(parts)
        self.profile.value = (
            _svg(values[have], genres[have], vertex)
            + f"<div style='font-size:11px;white-space:normal'>{_legend(genres[have])}</div>"
        )
        index = np.flatnonzero(have)
        top = index[np.argsort(-values[have], kind="stable")[: self.k]]
        self.rows = [int(i) for i in top]
        self.top_clips.set_items(
            [
                {
                    "label": clip_ids[i],
                    "detail": genres[i],
                    "score": f"{values[i]:+.2f}",
                    "key": clip_ids[i],
                }
                for i in top
            ],
            title=f"clips that drive {where} most",
        )
