"""Cortical surface figures on fsaverage5 and the colour style the surface widget shares.

matplotlib, scipy and nilearn are imported lazily, inside the functions."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from b2m._utils._validation import check_array, check_choice
from b2m.surface import N_VERTICES, N_VERTICES_HEMI, load_fsaverage5

__all__ = ["SurfaceStyle", "color_limits", "load_sulcal_depth", "plot_surface", "surface_style"]

_SURFACE_VIEWS = (
    ("left", "lateral"),
    ("right", "lateral"),
    ("left", "medial"),
    ("right", "medial"),
)


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
