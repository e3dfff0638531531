"""Geometry and colour encoding behind :class:`b2m_widgets.SurfaceViewer`.

Sub-threshold vertices show the sulcal depth in grey: each vertex's ``intensity`` is encoded on
[0, 1], the lower part of the colour scale being a grey ramp (background, [0, 0.49]) and the upper
half the chosen colormap (data, [0.5, 1]).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.colors

from b2m.plotting import load_sulcal_depth
from b2m.surface import N_VERTICES_HEMI, load_fsaverage5

__all__ = [
    "COLORMAPS",
    "HEMISPHERES",
    "SURFACE_MESHES",
    "VIEWS",
    "background",
    "camera",
    "colorscale",
    "combined_colorscale",
    "encode",
    "geometry",
]

#: Colormaps offered by the viewer's dropdown (any plotly colour-scale name is accepted).
COLORMAPS = ("Inferno", "Viridis", "Plasma", "Magma", "Cividis", "Hot", "RdBu_r", "Picnic")
#: Meshes offered by the viewer.
SURFACE_MESHES = ("inflated", "pial", "white_matter", "sphere")
HEMISPHERES = ("both", "left", "right")
VIEWS = ("dorsal", "lateral", "medial", "anterior", "posterior", "ventral")
_GAP_MM = 12.0
_BG_TOP = 0.49  # background intensities live on [0, _BG_TOP], data on [0.5, 1]
_GREY_RAMP = [[0.0, "rgb(225,225,225)"], [_BG_TOP, "rgb(105,105,105)"]]


@lru_cache(maxsize=len(SURFACE_MESHES))
def geometry(mesh: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Both hemispheres of a fsaverage5 mesh, moved apart along x so that both are visible.

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
def background() -> np.ndarray:
    """Background intensities from the sulcal depth (sulci darker).

    Returns
    -------
    ndarray of shape (20484,)
        float32 values on [0.05, 0.44], within the grey ramp of :func:`combined_colorscale`.
    """
    sulc = load_sulcal_depth()
    lo, hi = np.percentile(sulc, [2, 98])
    scaled = np.clip((sulc - lo) / (hi - lo), 0.0, 1.0)
    return (0.05 + (_BG_TOP - 0.1) * scaled).astype(np.float32)


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


def combined_colorscale(name: str) -> list:
    """A grey ramp on [0, 0.49] followed by the colormap ``name`` rescaled onto [0.5, 1].

    Parameters
    ----------
    name : str
        A plotly colour-scale name.

    Returns
    -------
    list of [float, str]
        The combined scale's stops.
    """
    data = [[0.5 + 0.5 * float(pos), color] for pos, color in colorscale(name)]
    return [*_GREY_RAMP, *data]


def camera(view: str, hemisphere: str) -> dict:
    """A plotly scene camera for a named view.

    Parameters
    ----------
    view : str
        One of :data:`VIEWS`; ``"lateral"`` and ``"medial"`` face the shown hemisphere (the
        left one when both are shown).
    hemisphere : str
        One of :data:`HEMISPHERES`.

    Returns
    -------
    dict
        With ``eye`` and ``up`` vectors.
    """
    r = 1.9
    side = 1.0 if hemisphere == "right" else -1.0
    eyes = {
        "dorsal": (0.0, 0.0, r),
        "ventral": (0.0, 0.0, -r),
        "anterior": (0.0, r, 0.3),
        "posterior": (0.0, -r, 0.3),
        "lateral": (side * r, 0.0, 0.2),
        "medial": (-side * r, 0.0, 0.2),
    }
    x, y, z = eyes[view]
    up = (0, 1, 0) if view in ("dorsal", "ventral") else (0, 0, 1)
    return {"eye": {"x": x, "y": y, "z": z}, "up": dict(zip("xyz", up, strict=True))}


def encode(values: np.ndarray | None, limits: tuple[float, float], threshold: float) -> np.ndarray:
    """Encode a map as ``Mesh3d`` intensities for :func:`combined_colorscale`.

    Parameters
    ----------
    values : ndarray of shape (20484,) or None
        The map (None: background only).
    limits : tuple of float
        ``(vmin, vmax)`` mapped onto [0.5, 1].
    threshold : float
        Vertices with ``|value| < threshold`` get their background intensity instead.

    Returns
    -------
    ndarray of shape (20484,)
        float32 intensities: background on [0, 0.49], data on [0.5, 1].
    """
    bg = background()
    if values is None:
        return bg
    lo, hi = limits
    scaled = 0.5 + 0.5 * np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    return np.where(np.abs(values) >= threshold, scaled, bg).astype(np.float32)
