"""SurfaceViewer: both hemispheres side by side in lateral views, colours chosen from the data."""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import pytest
import traitlets
from plotly.callbacks import Points

from b2m.regions import auditory_regions
from b2m.surface import N_VERTICES, N_VERTICES_HEMI
from b2m_widgets import SurfaceViewer, view_surface
from b2m_widgets._surface_parts import background_colors


@pytest.fixture(scope="module")
def values():
    return np.random.default_rng(0).standard_normal(N_VERTICES)


@pytest.fixture
def viewer(values):
    return SurfaceViewer(values, title="<b>map</b>", label="test r")


def _colors(viewer):
    return np.concatenate([np.asarray(t.vertexcolor, dtype=object) for t in viewer.figure.data[:2]])


def _is_background(viewer):
    return _colors(viewer) == background_colors()


def test_two_scenes_each_in_its_lateral_view(viewer):
    left, right, colorbar, outline_left, outline_right = viewer.figure.data
    assert isinstance(left, go.Mesh3d) and isinstance(right, go.Mesh3d)
    assert (left.scene, right.scene) == ("scene", "scene2")
    assert (outline_left.scene, outline_right.scene) == ("scene", "scene2")
    assert len(left.x) == len(right.x) == N_VERTICES_HEMI
    assert np.asarray(left.x).dtype == np.float32 and np.asarray(left.i).dtype == np.int32
    layout = viewer.figure.layout
    assert layout.scene.domain.x[1] <= layout.scene2.domain.x[0]  # side by side
    # Each camera looks at its hemisphere's outer (lateral) side.
    assert layout.scene.camera.eye.x < 0 < layout.scene2.camera.eye.x
    assert layout.title.text == "&lt;b&gt;map&lt;/b&gt;"
    assert colorbar.marker.showscale and colorbar.marker.colorbar.title.text == "test r"
    viewer.view = "medial"
    assert layout.scene.camera.eye.x > 0 > layout.scene2.camera.eye.x


def test_signed_maps_get_a_zero_centred_diverging_scale_with_robust_limits(viewer, values):
    assert viewer.colormap == "RdBu_r"
    lo, hi = viewer.limits
    assert lo == pytest.approx(-hi)
    assert hi == pytest.approx(np.percentile(np.abs(values.astype(np.float32)), 99), rel=1e-4)
    assert hi < np.abs(values).max()
    assert "99th percentile" in viewer.status.value  # the clipped range is stated
    positive = np.abs(values)
    viewer.set_data(positive)
    assert viewer.colormap == "Plasma" and viewer.limits[0] == 0.0
    fixed = SurfaceViewer(positive, cmap="Viridis", vmax=10.0)
    assert fixed.colormap == "Viridis" and fixed.limits == (0.0, 10.0)
    assert "saturate" not in fixed.status.value


def test_per_vertex_colours_and_threshold(viewer, values):
    # Every vertex above threshold carries a data colour, the others the sulcal grey: colours
    # (not intensities on a shared scale) are interpolated, so no dark rim can appear.
    assert viewer.figure.data[0].intensity is None
    viewer.threshold = 1.0
    assert viewer.threshold_slider.value == 1.0
    np.testing.assert_array_equal(_is_background(viewer), np.abs(values) <= 1.0)
    viewer.threshold_slider.value = 0.0
    assert viewer.threshold == 0.0 and not _is_background(viewer).any()
    with pytest.raises(traitlets.TraitError, match="threshold must be a finite number"):
        viewer.threshold = -1.0
    masked = np.where(np.abs(values) > 2, values, 0.0)  # e.g. significant vertices only
    viewer.set_data(masked)
    np.testing.assert_array_equal(_is_background(viewer), masked == 0)


def test_colormap_trait_and_dropdown_are_linked(viewer):
    viewer.colormap_dropdown.value = "Viridis"
    assert viewer.colormap == "Viridis"
    assert viewer.figure.data[2].marker.colorscale[-1][1] == "#fde725"
    assert "#fde725" in set(_colors(viewer))  # the top of the scale paints the peak
    viewer.colormap = "Blues"  # any plotly scale; added to the dropdown
    assert viewer.colormap_dropdown.value == "Blues"
    with pytest.raises(traitlets.TraitError, match="colormap must be a plotly colour-scale"):
        viewer.colormap = "not-a-colormap"


def test_mesh_hemisphere_and_outline_controls(viewer):
    inflated_x = np.asarray(viewer.figure.data[0].x).copy()
    outline_x = np.asarray(viewer.figure.data[3].x, dtype=float).copy()
    viewer.mesh_dropdown.value = "pial"
    assert viewer.mesh == "pial"
    assert not np.allclose(np.asarray(viewer.figure.data[0].x), inflated_x)
    assert not np.allclose(
        np.asarray(viewer.figure.data[3].x, dtype=float), outline_x, equal_nan=True
    )
    viewer.hemisphere = "left"
    assert viewer.figure.data[0].visible is not False and viewer.figure.data[1].visible is False
    assert viewer.figure.layout.scene.domain.x[1] - viewer.figure.layout.scene.domain.x[0] > 0.8
    viewer.hemisphere_buttons.value = "both"
    assert viewer.figure.data[1].visible is True
    viewer.outline_box.value = False
    assert viewer.figure.data[3].visible is False and viewer.figure.data[4].visible is False
    viewer.outlines = True
    assert viewer.figure.data[3].visible is True
    with pytest.raises(traitlets.TraitError, match="mesh must be one of"):
        viewer.mesh = "flat"


def test_regions_are_outlined_and_named_on_hover(viewer):
    heschl = auditory_regions()["left Heschl's gyrus"]
    vertex = int(np.flatnonzero(heschl)[0])
    assert "left Heschl's gyrus" in viewer.region_of(vertex)
    assert "left Heschl's gyrus" in viewer.figure.data[0].text[vertex]
    assert "%{text}" in viewer.figure.data[0].hovertemplate
    assert np.isfinite(np.asarray(viewer.figure.data[3].x, dtype=float)).sum() > 10
    only = SurfaceViewer(regions=["right planum temporale"])
    assert only.figure.data[3].x is None or len(only.figure.data[3].x) == 0
    assert len(only.figure.data[4].x) > 0
    with pytest.raises(ValueError, match="regions must name regions among"):
        SurfaceViewer(regions=["left Broca"])


def test_a_click_on_the_cortex_picks_a_vertex(viewer):
    picks = []
    viewer.on_pick(picks.append)
    right = viewer.figure.data[1]
    viewer._on_click(right, Points(point_inds=[7], trace_name="right", trace_index=1), None)
    assert picks == [N_VERTICES_HEMI + 7] and viewer.picked == N_VERTICES_HEMI + 7
    assert "right vertex 7" in viewer.status.value and "test r" in viewer.status.value
    with pytest.raises(ValueError, match=r"vertex must be in \[0, 20484\)"):
        viewer.pick(N_VERTICES)
    with pytest.raises(TypeError, match="callback must be callable"):
        viewer.on_pick(3)


def test_bad_maps_get_a_clear_message(viewer, values):
    with pytest.raises(ValueError, match=r"values must have shape \(20484\)"):
        viewer.set_data(np.zeros(100))
    with_nan = values.copy()
    with_nan[:10] = np.nan
    viewer.set_data(with_nan)
    assert "10 vertices have no value (NaN)" in viewer.status.value
    assert _is_background(viewer)[:10].all()
    viewer.set_data(np.full(N_VERTICES, np.nan))
    assert "every value of this map is NaN" in viewer.status.value
    viewer.set_data(np.linspace(0, 1, N_VERTICES), threshold=2.0)
    assert "no vertex is coloured" in viewer.status.value and _is_background(viewer).all()
    viewer.set_data(np.zeros(N_VERTICES))
    assert "zero everywhere" in viewer.status.value
    viewer.set_data(np.linspace(0, 2, N_VERTICES), threshold=0.5)
    assert viewer.threshold == 0.5 and viewer.threshold_slider.max == pytest.approx(2.0)
    viewer.set_data(np.linspace(-0.2, 0.2, N_VERTICES))  # threshold above the new peak: reset
    assert viewer.threshold == 0.0


def test_empty_viewer_and_argument_errors():
    viewer = SurfaceViewer(hemisphere="right", view="lateral")
    assert viewer.values is None and _is_background(viewer).all()
    assert not viewer.figure.data[2].marker.showscale
    with pytest.raises(ValueError, match="hemisphere must be one of"):
        SurfaceViewer(hemisphere="both-ish")
    with pytest.raises(ValueError, match="cmap must be a plotly colour-scale"):
        SurfaceViewer(cmap="nope")


def test_plot_toolbar_is_reduced_and_offline(viewer):
    config = viewer.figure._config
    buttons = [b for group in config["modeBarButtons"] for b in group]
    assert "sendChartToCloud" not in buttons and len(buttons) <= 4
    assert config["displaylogo"] is False


def test_view_surface_embeds_its_static_twin(values):
    bundle = view_surface(values, title="map")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    bare = SurfaceViewer(values)._repr_mimebundle_()
    assert "image/png" not in bare
