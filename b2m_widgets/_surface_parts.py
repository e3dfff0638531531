"""Geometry, colours and region outlines behind :class:`b2m_widgets.SurfaceViewer`.

Each vertex gets its own colour: the colour scale's colour where the map is above threshold, the
sulcal-depth grey elsewhere. Colours, not scalar intensities, are interpolated across a triangle,
so a patch blends into the grey background without the dark rim that a shared grey-and-data
colour scale would draw. The browser computes the same colours (``static/cortex.js``) from the
map, the 256-entry colour table (:func:`lut_rgb`) and the grey (:func:`background_grey`);
:func:`vertex_colors` is the reference the browser test checks it against.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.colors

from b2m.plotting import load_sulcal_depth
from b2m.regions import auditory_regions
from b2m.surface import N_VERTICES, N_VERTICES_HEMI, load_fsaverage5

__all__ = [
    "COLORMAPS",
    "HEMISPHERES",
    "SURFACE_MESHES",
    "VIEWS",
    "background_grey",
    "colorscale",
    "default_regions",
    "geometry",
    "lut_rgb",
    "region_labels",
    "region_outline",
    "shown_mask",
    "vertex_colors",
]

#: Colormaps offered by the viewer's dropdown (any plotly colour-scale name is accepted).
COLORMAPS = ("RdBu_r", "Plasma", "Viridis", "Inferno", "Cividis", "Hot", "Picnic")
#: Meshes offered by the viewer.
SURFACE_MESHES = ("inflated", "pial", "white_matter", "sphere")
HEMISPHERES = ("both", "left", "right")
VIEWS = ("lateral", "medial", "dorsal", "ventral", "anterior", "posterior")
_GAP_MM = 12.0
_LUT_SIZE = 256
_GREY_LEVELS = 32


@lru_cache(maxsize=len(SURFACE_MESHES))
def geometry(mesh: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Both hemispheres of a fsaverage5 mesh, moved apart along x.

    Parameters
    ----------
    mesh : str
        A fsaverage5 mesh kind (see :data:`SURFACE_MESHES`).

    Returns
    -------
    tuple
        ``((coords_left, faces_left), (coords_right, faces_right))``: float32 coordinates of
        shape (10242, 3) and int32 faces of shape (20480, 3) indexing their own hemisphere.
    """
    surf = load_fsaverage5(mesh)
    n_faces = len(surf.faces) // 2
    left = np.array(surf.coordinates[:N_VERTICES_HEMI], dtype=np.float32)
    right = np.array(surf.coordinates[N_VERTICES_HEMI:], dtype=np.float32)
    # Inflated/sphere hemispheres overlap in x: move them apart, keeping a small gap.
    left[:, 0] -= left[:, 0].max() + _GAP_MM / 2
    right[:, 0] -= right[:, 0].min() - _GAP_MM / 2
    faces_left = np.ascontiguousarray(surf.faces[:n_faces], dtype=np.int32)
    faces_right = np.ascontiguousarray(surf.faces[n_faces:] - N_VERTICES_HEMI, dtype=np.int32)
    return (left, faces_left), (right, faces_right)


@lru_cache(maxsize=1)
def background_grey() -> np.ndarray:
    """Grey level of each vertex from the sulcal depth (sulci darker).

    Returns
    -------
    ndarray of shape (20484,), uint8
        From a ramp of 32 greys between 232 (gyri) and 150 (sulci).
    """
    sulc = load_sulcal_depth()
    lo, hi = np.percentile(sulc, [2, 98])
    level = np.clip((sulc - lo) / (hi - lo), 0.0, 1.0)
    level = np.rint(level * (_GREY_LEVELS - 1)).astype(int)
    ramp = np.rint(np.linspace(232, 150, _GREY_LEVELS)).astype(np.uint8)
    out = ramp[level]
    out.flags.writeable = False
    return out


def colorscale(name: str, param: str = "colormap") -> list:
    """Resolve a plotly colour-scale name.

    Parameters
    ----------
    name : str
        A plotly colour-scale name (case-insensitive; ``"_r"`` reverses).
    param : str, default "colormap"
        Parameter name used in the error message.

    Returns
    -------
    list of [float, str]
        The scale's stops.
    """
    try:
        return plotly.colors.get_colorscale(name)
    except Exception:
        raise ValueError(
            f"{param} must be a plotly colour-scale name such as {list(COLORMAPS)}; "
            f"received {name!r}."
        ) from None


@lru_cache(maxsize=16)
def lut_rgb(name: str) -> np.ndarray:
    """A colour scale sampled at 256 evenly spaced points.

    Parameters
    ----------
    name : str
        A plotly colour-scale name (see :func:`colorscale`).

    Returns
    -------
    ndarray of shape (256, 3), uint8
        Row ``k`` is the colour of ``vmin + k / 255 * (vmax - vmin)``.
    """
    samples = plotly.colors.sample_colorscale(colorscale(name), np.linspace(0, 1, _LUT_SIZE))
    rgb = np.array([plotly.colors.unlabel_rgb(c) for c in samples], dtype=np.float64)
    out = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    out.flags.writeable = False
    return out


def shown_mask(values: np.ndarray, threshold: float) -> np.ndarray:
    """Which vertices carry a data colour: finite values with ``|value| > threshold``.

    Parameters
    ----------
    values : ndarray of shape (n_vertices,)
    threshold : float

    Returns
    -------
    ndarray of shape (n_vertices,), bool
    """
    values = np.asarray(values, dtype=np.float64)
    return np.isfinite(values) & (np.abs(np.nan_to_num(values)) > threshold)


def vertex_colors(
    values: np.ndarray | None, limits: tuple[float, float], threshold: float, cmap: str
) -> tuple[np.ndarray, np.ndarray]:
    """Colour of each vertex: the colour scale above threshold, the sulcal grey elsewhere.

    Parameters
    ----------
    values : ndarray of shape (20484,) or None
        The map (None: background only); NaN shows the background.
    limits : tuple of float
        ``(vmin, vmax)`` mapped onto the colour scale (values outside saturate).
    threshold : float
        Vertices with ``|value| <= threshold`` (and NaN) show the background.
    cmap : str
        A plotly colour-scale name.

    Returns
    -------
    colors : ndarray of shape (20484, 3), uint8
        RGB of each vertex.
    shown : ndarray of shape (20484,), bool
        Which vertices carry a data colour.
    """
    bg = np.repeat(background_grey()[:, None], 3, axis=1)
    if values is None:
        return bg, np.zeros(N_VERTICES, bool)
    lo, hi = limits
    values = np.asarray(values, dtype=np.float64)
    safe = np.where(np.isfinite(values), values, 0.0)
    index = np.clip((safe - lo) / ((hi - lo) or 1.0), 0.0, 1.0) * (_LUT_SIZE - 1)
    shown = shown_mask(values, threshold)
    # floor(x + 0.5), as the browser's Math.round (np.rint would round halves to even)
    colors = np.where(shown[:, None], lut_rgb(cmap)[np.floor(index + 0.5).astype(int)], bg)
    return colors.astype(np.uint8), shown


@lru_cache(maxsize=1)
def default_regions() -> dict[str, np.ndarray]:
    """The per-hemisphere auditory regions of :func:`b2m.regions.auditory_regions`.

    Returns
    -------
    dict of str to ndarray of shape (20484,), bool
        Names start with ``"left "`` or ``"right "``.
    """
    return {k: v for k, v in auditory_regions().items() if k.startswith(("left ", "right "))}


def region_labels(regions: dict[str, np.ndarray]) -> np.ndarray:
    """The region name(s) of each vertex, for hover text.

    Parameters
    ----------
    regions : dict of str to bool array of shape (20484,)

    Returns
    -------
    ndarray of shape (20484,), object
        Names joined by ``" / "``; ``""`` outside every region.
    """
    labels = np.full(N_VERTICES, "", dtype=object)
    for name, mask in regions.items():
        mask = np.asarray(mask, bool)
        joined = np.where(labels[mask] == "", name, labels[mask] + " / " + name)
        labels[mask] = joined
    return labels


def _vertex_normals(coords: np.ndarray, faces: np.ndarray) -> np.ndarray:
    v = coords.astype(np.float64)
    n = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    out = np.zeros_like(v)
    for col in range(3):
        np.add.at(out, faces[:, col], n)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def region_outline(
    coords: np.ndarray, faces: np.ndarray, masks: list[np.ndarray], lift_mm: float = 0.6
) -> np.ndarray:
    """Line segments along the borders of regions on one hemisphere.

    Parameters
    ----------
    coords : ndarray of shape (n_vertices, 3)
    faces : ndarray of shape (n_faces, 3)
    masks : list of bool arrays of shape (n_vertices,)
        One per region (vertices of this hemisphere).
    lift_mm : float, default 0.6
        Distance the lines float above the surface (along the normals), so that they show.

    Returns
    -------
    ndarray of shape (2 * n_segments, 3), float32
        The two end points of each segment, one after the other (WebGL ``LINES``).
    """
    lifted = coords + lift_mm * _vertex_normals(coords, faces)
    parts = []
    for mask in masks:
        inside = np.asarray(mask, bool)[faces]
        mixed = faces[inside.any(1) & ~inside.all(1)]
        inside = inside[inside.any(1) & ~inside.all(1)]
        for a, b in ((0, 1), (1, 2), (2, 0)):
            keep = inside[:, a] & inside[:, b]
            ends = np.stack([lifted[mixed[keep, a]], lifted[mixed[keep, b]]], axis=1)
            parts.append(ends.reshape(-1, 3))
    if not parts:
        return np.empty((0, 3), np.float32)
    return np.concatenate(parts).astype(np.float32)
