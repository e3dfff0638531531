"""The WebGL cortex behind :class:`b2m_widgets.SurfaceViewer`: mesh once, values after.

Two widgets share the work:

* :class:`SurfaceGeometry`, a data-only widget model holding what never changes while a map
  changes: the two hemispheres' coordinates (float32) and faces (uint32), the sulcal grey of each
  vertex, region outlines and region labels. :func:`shared_geometry` makes one per mesh and set of
  regions and keeps it for the kernel session, so the geometry crosses to the browser once
  (~0.8 MB for fsaverage5) however many viewers and maps follow.
* :class:`CortexCanvas`, an anywidget (``static/cortex.js``, WebGL 2) that references the geometry
  and receives only a map's values (20,484 float32 = 80 kB) and small settings (limits, threshold,
  a 768-byte colour table, camera, title, label). It colours vertices itself, draws both
  hemispheres side by side, names the region under the pointer, and sends
  ``{"type": "pick", "vertex": i}`` when the cortex is clicked.
"""

from __future__ import annotations

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from b2m.surface import N_VERTICES, N_VERTICES_HEMI
from b2m_widgets._static import esm
from b2m_widgets._surface_parts import (
    background_grey,
    default_regions,
    geometry,
    region_labels,
    region_outline,
)

__all__ = [
    "CortexCanvas",
    "SurfaceGeometry",
    "check_regions",
    "map_messages",
    "shared_geometry",
]

_ESM = esm("cortex.js")
_CSS = """
.b2m-cortex { font-size: 12px; width: 100%; }
.b2m-cortex-title { font-weight: 600; margin: 0 0 4px 4px; overflow-wrap: anywhere; }
.b2m-cortex-row { display: flex; align-items: stretch; gap: 6px; width: 100%; }
.b2m-cortex-stage { position: relative; flex: 1 1 auto; min-width: 0; }
.b2m-cortex-canvas { display: block; width: 100%; cursor: grab; outline: none; }
.b2m-cortex-canvas:focus-visible { box-shadow: 0 0 0 2px #1a73e8; }
.b2m-cortex-tip { position: absolute; pointer-events: none; background: rgba(255,255,255,0.94);
  border: 1px solid #bbb; border-radius: 3px; padding: 2px 5px; white-space: nowrap;
  max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
.b2m-cortex-note { position: absolute; left: 6px; bottom: 6px; color: #8a1c1c;
  background: rgba(255,255,255,0.9); padding: 1px 4px; }
.b2m-cortex-bar { flex: 0 0 64px; display: flex; flex-direction: column; align-items: flex-start; }
.b2m-cortex-bar-label { min-height: 2.4em; line-height: 1.2em; overflow-wrap: anywhere;
  margin-bottom: 0.9em; }
.b2m-cortex-bar-body { position: relative; display: flex; }
.b2m-cortex-bar-body canvas { width: 12px; height: 100%; border: 1px solid #999; }
.b2m-cortex-bar-ticks { position: relative; margin-left: 4px; width: 44px; }
.b2m-cortex-bar-ticks span { position: absolute; left: 0; transform: translateY(-50%);
  white-space: nowrap; }
.b2m-cortex-bar-ticks span:nth-child(1) { top: 0; }
.b2m-cortex-bar-ticks span:nth-child(3) { top: 100%; }
"""


class SurfaceGeometry(widgets.Widget):
    """The fsaverage5 geometry a :class:`CortexCanvas` draws on (a data-only widget model).

    Built by :func:`shared_geometry`; every attribute is read-only data for the browser.

    Attributes
    ----------
    mesh : str
        The fsaverage5 mesh kind.
    coords : bytes
        float32 (20484, 3): left hemisphere then right, moved apart along x.
    faces : bytes
        uint32 (40960, 3): left faces then right faces, each indexing its own hemisphere.
    grey : bytes
        uint8 (20484,): the sulcal grey of each vertex.
    outline_left, outline_right : bytes
        float32 (2 * n_segments, 3): region borders, lifted above the surface.
    region_codes : bytes
        uint16 (20484,): index of each vertex's name in ``region_labels`` (0: no region).
    region_labels : list of str
        ``""`` first, then the names (overlapping regions joined by ``" / "``).
    """

    _model_name = traitlets.Unicode("WidgetModel").tag(sync=True)
    _model_module = traitlets.Unicode("@jupyter-widgets/base").tag(sync=True)
    _model_module_version = traitlets.Unicode("2.0.0").tag(sync=True)
    _view_name = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    _view_module = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    _view_module_version = traitlets.Unicode("").tag(sync=True)

    mesh = traitlets.Unicode().tag(sync=True)
    coords = traitlets.Bytes().tag(sync=True)
    faces = traitlets.Bytes().tag(sync=True)
    grey = traitlets.Bytes().tag(sync=True)
    outline_left = traitlets.Bytes().tag(sync=True)
    outline_right = traitlets.Bytes().tag(sync=True)
    region_codes = traitlets.Bytes().tag(sync=True)
    region_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)

    @classmethod
    def build(cls, mesh: str, regions: dict[str, np.ndarray]) -> SurfaceGeometry:
        """Pack a mesh and its region outlines and labels.

        Parameters
        ----------
        mesh : str
            A fsaverage5 mesh kind.
        regions : dict of str to bool array of shape (20484,)

        Returns
        -------
        SurfaceGeometry
        """
        (left, faces_left), (right, faces_right) = geometry(mesh)
        outlines = []
        for coords, faces, part in (
            (left, faces_left, slice(0, N_VERTICES_HEMI)),
            (right, faces_right, slice(N_VERTICES_HEMI, N_VERTICES)),
        ):
            masks = [m[part] for m in regions.values() if m[part].any()]
            outlines.append(region_outline(coords, faces, masks).tobytes())
        labels = region_labels(regions)
        names, codes = np.unique(labels.astype(str), return_inverse=True)
        if names[0] != "":  # every vertex in a region: keep code 0 for "none"
            names, codes = np.concatenate([[""], names]), codes + 1
        return cls(
            mesh=mesh,
            coords=np.concatenate([left, right]).astype("<f4").tobytes(),
            faces=np.concatenate([faces_left, faces_right]).astype("<u4").tobytes(),
            grey=background_grey().tobytes(),
            outline_left=outlines[0],
            outline_right=outlines[1],
            region_codes=codes.astype("<u2").tobytes(),
            region_labels=[str(n) for n in names],
        )


_SHARED: dict[tuple, SurfaceGeometry] = {}


def _regions_key(regions: dict[str, np.ndarray]) -> tuple:
    return tuple((name, np.packbits(np.asarray(m, bool)).tobytes()) for name, m in regions.items())


def shared_geometry(mesh: str, regions: dict[str, np.ndarray]) -> SurfaceGeometry:
    """The kernel session's geometry model for a mesh and a set of regions (built once).

    Parameters
    ----------
    mesh : str
        A fsaverage5 mesh kind.
    regions : dict of str to bool array of shape (20484,)

    Returns
    -------
    SurfaceGeometry
        The same open model for the same arguments, so that its bytes are sent once.
    """
    key = (mesh, _regions_key(regions))
    model = _SHARED.get(key)
    if model is None or model.comm is None:  # never built, or closed since
        model = _SHARED[key] = SurfaceGeometry.build(mesh, regions)
    return model


class CortexCanvas(anywidget.AnyWidget):
    """Both hemispheres of a map, drawn in the browser with WebGL 2 (see the module docstring).

    Set the traits from Python (:class:`b2m_widgets.SurfaceViewer` does); a click on the cortex
    arrives as the custom message ``{"type": "pick", "vertex": i}`` (see :meth:`ipywidgets.Widget.on_msg`).
    """

    _esm = _ESM
    _css = _CSS
    geometry = traitlets.Instance(SurfaceGeometry).tag(sync=True, **widgets.widget_serialization)
    values = traitlets.Bytes(b"").tag(sync=True)
    threshold = traitlets.Float(0.0).tag(sync=True)
    vmin = traitlets.Float(0.0).tag(sync=True)
    vmax = traitlets.Float(1.0).tag(sync=True)
    lut = traitlets.Bytes(b"").tag(sync=True)
    hemisphere = traitlets.Unicode("both").tag(sync=True)
    view = traitlets.Unicode("lateral").tag(sync=True)
    outlines = traitlets.Bool(True).tag(sync=True)
    picked = traitlets.Int(-1).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("value").tag(sync=True)
    height = traitlets.Int(360).tag(sync=True)


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
