"""Traces, toolbar and messages of :class:`b2m_widgets.SurfaceViewer` (no widget state here)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from b2m.surface import N_VERTICES, N_VERTICES_HEMI
from b2m_widgets._surface_parts import default_regions, geometry, region_outline, vertex_colors

__all__ = [
    "MODEBAR_3D",
    "check_regions",
    "initial_traces",
    "map_messages",
    "outline_trace",
    "plot_config",
]

_HALVES = (slice(0, N_VERTICES_HEMI), slice(N_VERTICES_HEMI, None))
#: Plot toolbar of the viewer: only what a 3-D brain needs (nothing reaches outside).
MODEBAR_3D = ["orbitRotation", "tableRotation", "resetCameraDefault3d"]
PLOT_CONFIG = {"displaylogo": False, "showSendToCloud": False}


def plot_config(buttons: list[str]) -> dict:
    """A plotly config with a reduced toolbar (no logo, no cloud or chart-studio links).

    Parameters
    ----------
    buttons : list of str
        The plotly mode-bar buttons to keep.

    Returns
    -------
    dict
    """
    return {**PLOT_CONFIG, "modeBarButtons": [list(buttons)]}


def check_regions(regions) -> dict[str, np.ndarray]:
    """Validate the viewer's ``regions``: None, names of default regions, or bool masks."""
    if regions is None:
        return default_regions()
    known = default_regions()
    if isinstance(regions, dict):
        out = {}
        for name, mask in regions.items():
            mask = np.asarray(mask)
            if mask.shape != (N_VERTICES,) or mask.dtype != bool:
                raise ValueError(
                    f"regions[{name!r}] must be a bool array of shape ({N_VERTICES},); received "
                    f"{mask.dtype} array of shape {mask.shape}."
                )
            out[str(name)] = mask
        return out
    if isinstance(regions, str):
        regions = [regions]
    out = {}
    for name in regions:
        if name not in known:
            raise ValueError(f"regions must name regions among {sorted(known)}; received {name!r}.")
        out[name] = known[name]
    return out


def initial_traces(mesh: str, cmap: str, labels: np.ndarray, regions: dict) -> list:
    """The viewer's traces: left and right ``Mesh3d``, the colour-bar carrier, two outlines."""
    colors, _ = vertex_colors(None, (0.0, 1.0), 0.0, cmap)
    traces = []
    for hemi, (coords, faces), part, scene in zip(
        ("left", "right"), geometry(mesh), _HALVES, ("scene", "scene2"), strict=True
    ):
        traces.append(
            go.Mesh3d(
                x=coords[:, 0],
                y=coords[:, 1],
                z=coords[:, 2],
                i=faces[:, 0],
                j=faces[:, 1],
                k=faces[:, 2],
                vertexcolor=colors[part].tolist(),
                text=labels[part].tolist(),
                name=hemi,
                scene=scene,
                hoverinfo="text",
                lighting={"ambient": 0.6, "diffuse": 0.55, "specular": 0.05, "roughness": 0.9},
                flatshading=False,
            )
        )
    traces.append(
        go.Scatter3d(
            x=[0.0],
            y=[0.0],
            z=[0.0],
            mode="markers",
            name="colour bar",
            marker={
                "size": 1,
                "opacity": 0,
                "color": [0.0],
                "colorscale": cmap,
                "cmin": 0.0,
                "cmax": 1.0,
                "showscale": False,
                "colorbar": {"thickness": 12, "len": 0.7, "x": 0.91},
            },
            hoverinfo="skip",
            scene="scene",
        )
    )
    for hemi, (coords, faces), part, scene in zip(
        ("left", "right"), geometry(mesh), _HALVES, ("scene", "scene2"), strict=True
    ):
        traces.append(outline_trace(hemi, coords, faces, part, scene, regions))
    return traces


def outline_trace(hemi, coords, faces, part, scene, regions: dict) -> go.Scatter3d:
    """The outlines of ``regions`` on one hemisphere, as a ``Scatter3d`` of lines."""
    masks = [m[part] for m in regions.values() if m[part].any()]
    line = region_outline(coords, faces, masks)
    return go.Scatter3d(
        x=line[:, 0],
        y=line[:, 1],
        z=line[:, 2],
        mode="lines",
        line={"color": "rgba(20,20,20,0.85)", "width": 3},
        name=f"{hemi} regions",
        hoverinfo="skip",
        scene=scene,
        connectgaps=False,
    )


def map_messages(data, shown: np.ndarray, threshold: float, note: str) -> list[str]:
    """What the status line says about a map (NaN, nothing shown, clipped range)."""
    if data is None:
        return []
    out = []
    n_nan = int(np.count_nonzero(~np.isfinite(data)))
    if n_nan == data.size:
        return ["every value of this map is NaN: nothing to show"]
    if n_nan:
        out.append(f"{n_nan} vertices have no value (NaN) and show grey")
    finite = data[np.isfinite(data)]
    peak = float(np.abs(finite).max())
    if not shown.any():
        if threshold >= peak and peak > 0:
            out.append(
                f"threshold {threshold:.3g} is at or above the map's largest |value| "
                f"({peak:.3g}): no vertex is coloured; lower the threshold"
            )
        else:
            out.append("this map is zero everywhere (e.g. no significant vertex)")
    if note:
        out.append(note)
    return out
