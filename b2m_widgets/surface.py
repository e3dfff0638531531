"""Interactive fsaverage5 surface viewer (plotly ``FigureWidget`` with two ``Mesh3d`` traces).

Per-vertex values travel as float32 typed arrays. Sub-threshold vertices show the sulcal depth in
grey (see :mod:`b2m_widgets._surface_parts`); a separate, invisible trace carries the colour bar
with the real value range.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import traitlets

from b2m._utils._validation import check_array, check_choice
from b2m.plotting import color_limits
from b2m.surface import N_VERTICES, N_VERTICES_HEMI
from b2m_widgets._surface_parts import (
    COLORMAPS,
    HEMISPHERES,
    SURFACE_MESHES,
    VIEWS,
    background,
    camera,
    colorscale,
    combined_colorscale,
    encode,
    geometry,
)

__all__ = ["COLORMAPS", "SURFACE_MESHES", "SurfaceViewer", "view_surface"]


class SurfaceViewer(widgets.VBox):
    """Interactive view of a map on the fsaverage5 surface, with its controls.

    Parameters
    ----------
    values : array-like of shape (20484,), optional
        One value per fsaverage5 vertex, left hemisphere first.
    mesh : {"inflated", "pial", "white_matter", "sphere"}, default "inflated"
        Surface to draw on.
    threshold : float, optional
        Vertices with ``|value| < threshold`` show the grey sulcal background (default 0).
    cmap : str, default "Inferno"
        A plotly colour-scale name (case-insensitive, ``"_r"`` reverses).
    vmin, vmax : float, optional
        Colour limits; default: symmetric for signed maps, else the data range.
    title : str, optional
        Figure title (escaped).
    hemisphere : {"both", "left", "right"}, default "both"
        Which hemispheres to show.
    view : {"dorsal", "lateral", "medial", "anterior", "posterior", "ventral"}, default "dorsal"
        Initial camera.
    height : int, default 480
        Height of the figure in pixels.

    Attributes
    ----------
    figure : plotly.graph_objects.FigureWidget
        Traces 0 and 1 are the left and right ``Mesh3d``; trace 2 carries the colour bar.
    threshold, colormap, mesh, hemisphere, view : traitlets
        Linked to the controls; setting them from Python updates the figure.
    """

    threshold = traitlets.Float(0.0)
    colormap = traitlets.Unicode("Inferno")
    mesh = traitlets.Unicode("inflated")
    hemisphere = traitlets.Unicode("both")
    view = traitlets.Unicode("dorsal")

    def __init__(
        self,
        values=None,
        *,
        mesh: str = "inflated",
        threshold: float | None = None,
        cmap: str = "Inferno",
        vmin: float | None = None,
        vmax: float | None = None,
        title: str | None = None,
        hemisphere: str = "both",
        view: str = "dorsal",
        height: int = 480,
    ):
        check_choice(mesh, "mesh", SURFACE_MESHES)
        check_choice(hemisphere, "hemisphere", HEMISPHERES)
        check_choice(view, "view", VIEWS)
        colorscale(cmap, param="cmap")
        self._values: np.ndarray | None = None
        self._limits = (0.0, 1.0)
        self.figure = go.FigureWidget(self._initial_traces(mesh, cmap))
        self.figure.update_layout(
            height=height,
            margin={"l": 0, "r": 0, "t": 40, "b": 0},
            paper_bgcolor="white",
            scene={
                "aspectmode": "data",
                "xaxis": {"visible": False},
                "yaxis": {"visible": False},
                "zaxis": {"visible": False},
                "camera": camera(view, hemisphere),
            },
        )
        self.threshold_slider = widgets.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.01,
            description="threshold",
            continuous_update=False,
            readout_format=".3g",
        )
        options = list(COLORMAPS) if cmap in COLORMAPS else [cmap, *COLORMAPS]
        self.colormap_dropdown = widgets.Dropdown(
            options=options, value=cmap, description="colormap"
        )
        self.mesh_dropdown = widgets.Dropdown(
            options=SURFACE_MESHES, value=mesh, description="mesh"
        )
        self.hemisphere_buttons = widgets.ToggleButtons(options=HEMISPHERES, value=hemisphere)
        self.view_dropdown = widgets.Dropdown(options=VIEWS, value=view, description="view")
        self.hemisphere_buttons.style.button_width = "60px"
        controls = widgets.HBox(
            [self.threshold_slider, self.colormap_dropdown, self.mesh_dropdown],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        camera_controls = widgets.HBox([self.hemisphere_buttons, self.view_dropdown])
        super().__init__([controls, camera_controls, self.figure])
        with self.hold_trait_notifications():
            self.colormap, self.mesh, self.hemisphere, self.view = cmap, mesh, hemisphere, view
        for control, name in [
            (self.threshold_slider, "threshold"),
            (self.colormap_dropdown, "colormap"),
            (self.mesh_dropdown, "mesh"),
            (self.hemisphere_buttons, "hemisphere"),
            (self.view_dropdown, "view"),
        ]:
            traitlets.link((control, "value"), (self, name))
        self.observe(self._on_threshold, names="threshold")
        self.observe(self._on_colormap, names="colormap")
        self.observe(self._on_mesh, names="mesh")
        self.observe(self._on_camera, names=["hemisphere", "view"])
        if values is not None:
            self.set_data(values, title=title, vmin=vmin, vmax=vmax, threshold=threshold)
        elif title is not None:
            self.figure.layout.title.text = html.escape(str(title))

    @staticmethod
    def _initial_traces(mesh: str, cmap: str) -> list:
        bg = background()
        traces = []
        for hemi, (coords, faces), part in zip(
            ("left", "right"),
            geometry(mesh),
            (slice(0, N_VERTICES_HEMI), slice(N_VERTICES_HEMI, None)),
            strict=True,
        ):
            traces.append(
                go.Mesh3d(
                    x=coords[:, 0],
                    y=coords[:, 1],
                    z=coords[:, 2],
                    i=faces[:, 0],
                    j=faces[:, 1],
                    k=faces[:, 2],
                    intensity=bg[part],
                    intensitymode="vertex",
                    colorscale=combined_colorscale(cmap),
                    cmin=0.0,
                    cmax=1.0,
                    showscale=False,
                    name=hemi,
                    hoverinfo="skip",
                    lighting={"ambient": 0.55, "diffuse": 0.6, "specular": 0.05, "roughness": 0.9},
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
                    "colorbar": {"thickness": 12, "len": 0.6},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
        return traces

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

    def set_data(
        self,
        values,
        title: str | None = None,
        *,
        vmin: float | None = None,
        vmax: float | None = None,
        threshold: float | None = None,
    ) -> None:
        """Show a new map.

        Parameters
        ----------
        values : array-like of shape (20484,)
            One finite value per fsaverage5 vertex, left hemisphere first.
        title : str, optional
            New figure title (escaped); unchanged when omitted.
        vmin, vmax : float, optional
            Colour limits; default: symmetric for signed maps, else the data range.
        threshold : float, optional
            New threshold; default: keep the current one (clipped to the new range).
        """
        data = check_array(values, "values", shape=(N_VERTICES,)).astype(np.float32)
        self._limits = color_limits(data, vmin, vmax)
        self._values = data
        peak = float(np.abs(data).max()) or 1.0
        if threshold is None:
            threshold = self.threshold if self.threshold <= peak else 0.0
        self._values = data  # before the threshold changes, so that its redraw shows the new map
        with self.figure.batch_update():
            self.threshold_slider.max = max(peak, float(threshold))
            self.threshold_slider.step = peak / 200
            self.threshold = float(threshold)
            if title is not None:
                self.figure.layout.title.text = html.escape(str(title))
            self._draw_values()
            self._draw_colorbar()

    def _draw_values(self) -> None:
        intensity = encode(self._values, self._limits, self.threshold)
        for trace, part in zip(
            self.figure.data[:2],
            (slice(0, N_VERTICES_HEMI), slice(N_VERTICES_HEMI, None)),
            strict=True,
        ):
            trace.intensity = intensity[part]
            if self._values is not None:
                trace.customdata = self._values[part]
                trace.hovertemplate = "value %{customdata:.4g}<extra>" + trace.name + "</extra>"
                trace.hoverinfo = None

    def _draw_colorbar(self) -> None:
        lo, hi = self._limits
        marker = self.figure.data[2].marker
        marker.update(
            cmin=lo,
            cmax=hi,
            color=[lo],
            colorscale=self.colormap,
            showscale=self._values is not None,
        )

    def _on_threshold(self, change) -> None:
        with self.figure.batch_update():
            self._draw_values()

    def _on_colormap(self, change) -> None:
        with self.figure.batch_update():
            for trace in self.figure.data[:2]:
                trace.colorscale = combined_colorscale(change["new"])
            self._draw_colorbar()

    def _on_mesh(self, change) -> None:
        with self.figure.batch_update():
            for trace, (coords, _) in zip(
                self.figure.data[:2], geometry(change["new"]), strict=True
            ):
                trace.x, trace.y, trace.z = coords[:, 0], coords[:, 1], coords[:, 2]

    def _on_camera(self, change) -> None:
        with self.figure.batch_update():
            self.figure.data[0].visible = self.hemisphere in ("both", "left")
            self.figure.data[1].visible = self.hemisphere in ("both", "right")
            self.figure.layout.scene.camera = camera(self.view, self.hemisphere)


def view_surface(
    values,
    *,
    mesh: str = "inflated",
    threshold: float | None = None,
    cmap: str = "Inferno",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
) -> SurfaceViewer:
    """Show a map on the fsaverage5 surface, interactively.

    Static twin: :func:`b2m.plotting.plot_surface`.

    Parameters
    ----------
    values : array-like of shape (20484,)
        One value per fsaverage5 vertex, left hemisphere first.
    mesh : {"inflated", "pial", "white_matter", "sphere"}, default "inflated"
        Surface to draw on.
    threshold : float, optional
        Vertices with ``|value| < threshold`` show the grey sulcal background.
    cmap : str, default "Inferno"
        A plotly colour-scale name.
    vmin, vmax : float, optional
        Colour limits.
    title : str, optional
        Figure title.

    Returns
    -------
    SurfaceViewer
    """
    return SurfaceViewer(
        values, mesh=mesh, threshold=threshold, cmap=cmap, vmin=vmin, vmax=vmax, title=title
    )
