"""Interactive fsaverage5 surface viewer: both hemispheres side by side, each in its own view.

A WebGL canvas (:class:`b2m_widgets._cortex.CortexCanvas`, a hand-written anywidget) draws the
left and right hemispheres, lateral by default. The mesh crosses to the browser once per kernel
session (a shared geometry model); a new map sends only its values (20,484 float32, 80 kB) and
the browser colours each vertex itself: the map above threshold, the sulcal grey elsewhere.
Colour scale and limits default to what the data need (:func:`b2m.plotting.surface_style`:
diverging for signed maps, sequential for positive ones, a high percentile as the limit);
auditory regions (:func:`b2m.regions.auditory_regions`) are outlined and named on hover.
Clicking the cortex picks the vertex (:attr:`SurfaceViewer.picked`). The static twin
(:func:`b2m.plotting.plot_surface`) travels with the widget as a PNG, so exported notebooks show
the map without a kernel or a network.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import traitlets

from b2m.plotting import plot_surface, surface_style
from b2m.surface import N_VERTICES, N_VERTICES_HEMI
from b2m.validation import check_array, check_choice
from b2m_widgets._cortex import CortexCanvas, check_regions, map_messages, shared_geometry
from b2m_widgets._surface_parts import (
    COLORMAPS,
    HEMISPHERES,
    SURFACE_MESHES,
    VIEWS,
    colorscale,
    lut_rgb,
    region_labels,
    shown_mask,
    vertex_colors,
)

__all__ = ["COLORMAPS", "SURFACE_MESHES", "SurfaceViewer", "view_surface"]


class SurfaceViewer(widgets.VBox):
    """Interactive view of a map on the fsaverage5 surface, with its controls.

    Parameters
    ----------
    values : array-like of shape (20484,), optional
        One value per fsaverage5 vertex, left hemisphere first; NaN shows the background.
    mesh : {"inflated", "pial", "white_matter", "sphere"}, default "inflated"
        Surface to draw on.
    threshold : float, optional
        Vertices with ``|value| <= threshold`` show the grey sulcal background (default 0: the
        exact zeros of a masked map, e.g. non-significant vertices, are background).
    cmap : str, optional
        A plotly colour-scale name; default from the data's sign (diverging ``"RdBu_r"`` for
        signed maps, sequential ``"Plasma"`` for positive ones).
    vmin, vmax : float, optional
        Colour limits; default the 99th percentile of ``|values|`` (symmetric for signed
        maps, from 0 for positive ones); a clipped range is stated under the figure.
    title : str, optional
        Figure title (shown as text, never as HTML).
    label : str, optional
        The quantity and units, shown on the colour bar and on hover (default "value").
    hemisphere : {"both", "left", "right"}, default "both"
        Which hemispheres to show (both: side by side).
    view : {"lateral", "medial", "dorsal", "ventral", "anterior", "posterior"}, default "lateral"
        Initial camera, per hemisphere (lateral faces each hemisphere's outer side).
    height : int, default 360
        Height of the drawing in pixels.
    width : int, optional
        Largest width in pixels (default: the width of the container).
    regions : dict or list of str, optional
        Regions outlined and named on hover: names among the per-hemisphere regions of
        :func:`b2m.regions.auditory_regions` (default: all of them), or a dict of bool masks.
    static_fallback : bool, default False
        Add a PNG of the static twin to the display data, for exports without a kernel.

    Attributes
    ----------
    cortex : b2m_widgets._cortex.CortexCanvas
        The WebGL drawing; its traits hold what the browser shows (values as float32 bytes,
        limits, threshold, colour table, camera, title, label).
    threshold, colormap, mesh, hemisphere, view, outlines : traitlets
        Linked to the controls; setting them from Python updates the drawing.
    picked : int
        Last vertex clicked (index into the 20484 vertices; ``-1``: none); see :meth:`pick`.
    status : ipywidgets.HTML
        Messages about the map (clipped range, NaN vertices, empty threshold, picks).

    Notes
    -----
    In the browser: drag (or the arrow keys, with the drawing focused) rotates the hemisphere,
    Home or a double click resets the view, hovering names the region and the value, and a
    click picks the nearest vertex.
    """

    threshold = traitlets.Float(0.0)
    colormap = traitlets.Unicode("RdBu_r")
    mesh = traitlets.Unicode("inflated")
    hemisphere = traitlets.Unicode("both")
    view = traitlets.Unicode("lateral")
    outlines = traitlets.Bool(True)
    picked = traitlets.Int(-1)

    def __init__(
        self,
        values=None,
        *,
        mesh: str = "inflated",
        threshold: float | None = None,
        cmap: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        title: str | None = None,
        label: str | None = None,
        hemisphere: str = "both",
        view: str = "lateral",
        height: int = 360,
        width: int | None = None,
        regions=None,
        static_fallback: bool = False,
    ):
        check_choice(mesh, "mesh", SURFACE_MESHES)
        check_choice(hemisphere, "hemisphere", HEMISPHERES)
        check_choice(view, "view", VIEWS)
        if cmap is not None:
            colorscale(cmap, param="cmap")
        if isinstance(height, bool) or not isinstance(height, (int, np.integer)) or height < 60:
            raise ValueError(f"height must be an integer >= 60 (pixels); received {height!r}.")
        self._regions = check_regions(regions)
        self._labels = region_labels(self._regions)
        self._values: np.ndarray | None = None
        self._limits = (0.0, 1.0)
        self._fixed_cmap = cmap
        self._note = ""
        self.static_fallback = bool(static_fallback)
        self._callbacks: list = []
        start_cmap = cmap or "RdBu_r"
        self.cortex = CortexCanvas(
            geometry=shared_geometry(mesh, self._regions),
            lut=lut_rgb(start_cmap).tobytes(),
            hemisphere=hemisphere,
            view=view,
            height=int(height),
            label="value" if label is None else str(label),
            layout=widgets.Layout(width="100%"),  # fill the box: the canvas follows its width
        )
        self.threshold_slider = widgets.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.01,
            description="threshold",
            tooltip="threshold: vertices with |value| at or below it show the grey background",
            continuous_update=False,
            readout_format=".3g",
        )
        options = list(COLORMAPS) if start_cmap in COLORMAPS else [start_cmap, *COLORMAPS]
        self.colormap_dropdown = widgets.Dropdown(
            options=options, value=start_cmap, description="colormap", tooltip="colour scale"
        )
        self.mesh_dropdown = widgets.Dropdown(
            options=SURFACE_MESHES, value=mesh, description="mesh", tooltip="surface"
        )
        self.hemisphere_buttons = widgets.ToggleButtons(
            options=HEMISPHERES,
            value=hemisphere,
            tooltips=[f"show {h} hemisphere{'s' if h == 'both' else ''}" for h in HEMISPHERES],
        )
        self.hemisphere_buttons.style.button_width = "52px"
        self.view_dropdown = widgets.Dropdown(
            options=VIEWS, value=view, description="view", tooltip="camera view"
        )
        self.outline_box = widgets.Checkbox(
            value=True, description="region outlines", indent=False, tooltip="region outlines"
        )
        small = widgets.Layout(width="210px")
        for control in (self.colormap_dropdown, self.mesh_dropdown, self.view_dropdown):
            control.layout = small
        self.outline_box.layout = widgets.Layout(width="140px")
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.4em"))
        self.status.add_class("b2m-surface-status")
        self.figure_box = widgets.Box(
            [self.cortex],
            layout=widgets.Layout(
                overflow="hidden", width="100%", max_width=None if width is None else f"{width}px"
            ),
        )
        self.figure_box.add_class("b2m-surface-figure")
        controls = widgets.HBox(
            [self.threshold_slider, self.colormap_dropdown, self.mesh_dropdown],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        camera_controls = widgets.HBox(
            [self.hemisphere_buttons, self.view_dropdown, self.outline_box],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        super().__init__([controls, camera_controls, self.figure_box, self.status])
        self.add_class("b2m-surface-viewer")
        with self.hold_trait_notifications():
            self.colormap, self.mesh, self.hemisphere, self.view = (
                start_cmap,
                mesh,
                hemisphere,
                view,
            )
        for control, name in [
            (self.threshold_slider, "threshold"),
            (self.colormap_dropdown, "colormap"),
            (self.mesh_dropdown, "mesh"),
            (self.hemisphere_buttons, "hemisphere"),
            (self.view_dropdown, "view"),
            (self.outline_box, "outlines"),
        ]:
            traitlets.link((control, "value"), (self, name))
        for name in ("threshold", "hemisphere", "view", "outlines", "picked"):
            traitlets.dlink((self, name), (self.cortex, name))
        self.observe(self._on_threshold, names="threshold")
        self.observe(self._on_colormap, names="colormap")
        self.observe(self._on_mesh, names="mesh")
        self.cortex.on_msg(self._on_cortex_message)
        if values is not None:
            self.set_data(
                values, title=title, vmin=vmin, vmax=vmax, threshold=threshold, label=label
            )
        elif title is not None:
            self.cortex.title = str(title)

    @traitlets.validate("threshold")
    def _valid_threshold(self, proposal):
        value = proposal["value"]
        if not np.isfinite(value) or value < 0:
            raise traitlets.TraitError(
                f"threshold must be a finite number >= 0; received {value!r}."
            )
        slider = getattr(self, "threshold_slider", None)
        if slider is not None and value > slider.max:
            slider.max = value
        return value

    @traitlets.validate("colormap")
    def _valid_colormap(self, proposal):
        name = proposal["value"]
        try:
            colorscale(name)
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None
        dropdown = getattr(self, "colormap_dropdown", None)
        if dropdown is not None and name not in dropdown.options:
            dropdown.options = [*dropdown.options, name]
        return name

    @traitlets.validate("mesh", "hemisphere", "view")
    def _valid_choice(self, proposal):
        name = proposal["trait"].name
        choices = {"mesh": SURFACE_MESHES, "hemisphere": HEMISPHERES, "view": VIEWS}[name]
        try:
            return check_choice(proposal["value"], name, choices)
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @property
    def values(self) -> np.ndarray | None:
        """The current map, float32 array of shape (20484,), or None."""
        return self._values

    @property
    def limits(self) -> tuple[float, float]:
        """The colour limits ``(vmin, vmax)`` in use."""
        return self._limits

    @property
    def title(self) -> str:
        """The figure title (plain text)."""
        return self.cortex.title

    @property
    def label(self) -> str:
        """The quantity and units of the map (colour bar, hover, status line)."""
        return self.cortex.label

    def colors(self) -> np.ndarray:
        """The colour the browser gives each vertex (the reference the browser test checks).

        Returns
        -------
        ndarray of shape (20484, 3), uint8
            RGB: the colour scale above threshold, the sulcal grey elsewhere.
        """
        return vertex_colors(self._values, self._limits, self.threshold, self.colormap)[0]

    def set_data(
        self,
        values,
        title: str | None = None,
        *,
        vmin: float | None = None,
        vmax: float | None = None,
        threshold: float | None = None,
        label: str | None = None,
        cmap: str | None = None,
    ) -> None:
        """Show a new map.

        Parameters
        ----------
        values : array-like of shape (20484,)
            One value per fsaverage5 vertex, left hemisphere first (NaN: background, counted
            in the status line).
        title : str, optional
            New figure title (plain text); unchanged when omitted.
        vmin, vmax : float, optional
            Colour limits; default from :func:`b2m.plotting.surface_style`.
        threshold : float, optional
            New threshold; default: keep the current one (0 when above the new map's peak).
        label : str, optional
            The quantity and units (colour bar, hover); unchanged when omitted.
        cmap : str, optional
            Colour scale; default: the one given at construction, else chosen from the sign.
        """
        data = check_array(values, "values", shape=(N_VERTICES,), allow_nan=True)
        data = data.astype(np.float32)
        if cmap is not None:
            colorscale(cmap, param="cmap")
        finite = data[np.isfinite(data)]
        style = surface_style(data, vmin=vmin, vmax=vmax, cmap=cmap or self._fixed_cmap)
        self._limits, self._note = (style.vmin, style.vmax), style.note
        peak = float(np.abs(finite).max()) if finite.size else 0.0
        if threshold is None:
            threshold = self.threshold if self.threshold <= peak else 0.0
        self._values = data  # before the threshold changes, so that its redraw shows the new map
        with self.cortex.hold_sync():
            self.threshold_slider.max = max(peak, float(threshold), 1e-6)
            self.threshold_slider.step = max(peak, 1e-6) / 200
            self._drawing = True
            try:
                self.threshold = float(threshold)
                name = next((c for c in COLORMAPS if c.lower() == style.cmap.lower()), style.cmap)
                if self.colormap != name:
                    self.colormap = name
            finally:
                self._drawing = False
            if title is not None:
                self.cortex.title = str(title)
            if label is not None:
                self.cortex.label = str(label)
            self.cortex.vmin, self.cortex.vmax = self._limits
            self.cortex.values = data.astype("<f4").tobytes()
        self._report()

    def _report(self) -> None:
        if self._values is None:
            self.show_message("")
            return
        shown = shown_mask(self._values, self.threshold)
        self.show_message(" · ".join(map_messages(self._values, shown, self.threshold, self._note)))

    def show_message(self, text: str) -> None:
        """Write a line under the figure (escaped; empty clears it).

        Parameters
        ----------
        text : str
        """
        self.status.value = (
            f"<span style='font-size:12px;color:#444'>{html.escape(text)}</span>" if text else ""
        )

    def _on_threshold(self, change) -> None:
        if not getattr(self, "_drawing", False):
            self._report()

    def _on_colormap(self, change) -> None:
        self.cortex.lut = lut_rgb(change["new"]).tobytes()
        if not getattr(self, "_drawing", False):
            self._report()

    def _on_mesh(self, change) -> None:
        self.cortex.geometry = shared_geometry(change["new"], self._regions)

    # -- picking ---------------------------------------------------------------------------
    def _on_cortex_message(self, _widget, content, _buffers) -> None:
        """A click on the cortex: ``{"type": "pick", "vertex": i}`` from ``static/cortex.js``."""
        if not isinstance(content, dict) or content.get("type") != "pick":
            return
        vertex = content.get("vertex")
        if isinstance(vertex, int) and 0 <= vertex < N_VERTICES:
            self.pick(vertex)
        else:
            self.cortex.send({"type": "note", "text": f"ignored a pick of vertex {vertex!r}"})

    def pick(self, vertex: int) -> None:
        """Pick a vertex, as a click on the cortex does, and call the :meth:`on_pick` callbacks.

        Parameters
        ----------
        vertex : int
            Index in [0, 20484) (left hemisphere first).
        """
        if isinstance(vertex, bool) or not isinstance(vertex, (int, np.integer)):
            raise TypeError(f"vertex must be an int; received {type(vertex).__name__}.")
        if not 0 <= vertex < N_VERTICES:
            raise ValueError(f"vertex must be in [0, {N_VERTICES}); received {vertex!r}.")
        self.picked = int(vertex)
        hemi = "left" if vertex < N_VERTICES_HEMI else "right"
        region = self._labels[vertex] or "outside the outlined regions"
        text = f"picked: {hemi} vertex {vertex % N_VERTICES_HEMI} ({region})"
        if self._values is not None:
            value = float(self._values[vertex])
            shown = f"{value:.3g}" if np.isfinite(value) else "no value (NaN)"
            text += f", {self.label} {shown}"
        self.show_message(text)
        for callback in self._callbacks:
            callback(int(vertex))

    def on_pick(self, callback) -> None:
        """Call ``callback(vertex)`` whenever a vertex is picked.

        Parameters
        ----------
        callback : callable
            Receives the vertex index in [0, 20484).
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable; received {type(callback).__name__}.")
        self._callbacks.append(callback)

    def region_of(self, vertex: int) -> str:
        """Name(s) of the outlined region(s) a vertex lies in (``""``: none).

        Parameters
        ----------
        vertex : int
            Index in [0, 20484).

        Returns
        -------
        str
        """
        if not 0 <= int(vertex) < N_VERTICES:
            raise ValueError(f"vertex must be in [0, {N_VERTICES}); received {vertex!r}.")
        return str(self._labels[int(vertex)])

    # -- static twin -----------------------------------------------------------------------
    def static_figure(self):
        """The current map drawn by the static twin :func:`b2m.plotting.plot_surface`.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt
        from matplotlib import colormaps

        if self._values is None:
            fig = plt.figure(figsize=(6, 1))
            fig.text(0.5, 0.5, "no map", ha="center", va="center", color="#777")
            return fig
        cmap = self.colormap if self.colormap in colormaps else self.colormap.lower()
        return plot_surface(
            self._values,
            mesh=self.mesh,
            threshold=self.threshold,
            cmap=cmap if cmap in colormaps else None,
            vmin=self._limits[0],
            vmax=self._limits[1],
            title=self.cortex.title,
            label=self.label,
        )

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if self.static_fallback and isinstance(data, dict):
            from b2m_widgets._explorer_static import figure_png

            data["image/png"] = figure_png(self.static_figure())
        return data


def view_surface(
    values,
    *,
    mesh: str = "inflated",
    threshold: float | None = None,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    label: str | None = None,
    regions=None,
    static_fallback: bool = True,
) -> SurfaceViewer:
    """Show a map on the fsaverage5 surface, interactively: both hemispheres, lateral views.

    Static twin: :func:`b2m.plotting.plot_surface` (embedded as a PNG beside the widget, so
    that exported notebooks show the map offline).

    Parameters
    ----------
    values : array-like of shape (20484,)
        One value per fsaverage5 vertex, left hemisphere first (NaN: no value).
    mesh : {"inflated", "pial", "white_matter", "sphere"}, default "inflated"
        Surface to draw on.
    threshold : float, optional
        Vertices with ``|value| <= threshold`` show the grey sulcal background (default 0).
    cmap : str, optional
        A plotly colour-scale name; default chosen from the data's sign.
    vmin, vmax : float, optional
        Colour limits; default a high percentile of ``|values|``.
    title : str, optional
        Figure title.
    label : str, optional
        The quantity and units (colour bar and hover).
    regions : dict or list of str, optional
        Regions outlined (see :class:`SurfaceViewer`).
    static_fallback : bool, default True
        Embed the static twin as a PNG in the display data.

    Returns
    -------
    SurfaceViewer
    """
    return SurfaceViewer(
        values,
        mesh=mesh,
        threshold=threshold,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        title=title,
        label=label,
        regions=regions,
        static_fallback=static_fallback,
    )
