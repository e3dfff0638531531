"""SurfaceViewer: both hemispheres side by side in lateral views, colours chosen from the data."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import traitlets

from b2m.regions import auditory_regions
from b2m.surface import N_VERTICES, N_VERTICES_HEMI, load_fsaverage5
from b2m_widgets import SurfaceViewer, view_surface
from b2m_widgets._cortex import shared_geometry
from b2m_widgets._surface_parts import background_grey, lut_rgb


@pytest.fixture(scope="module")
def values():
    return np.random.default_rng(0).standard_normal(N_VERTICES)


@pytest.fixture
def viewer(values):
    return SurfaceViewer(values, title="<b>map</b>", label="test r")


def _sent_values(viewer):
    return np.frombuffer(viewer.cortex.values, dtype="<f4")


def _is_background(viewer):
    grey = np.repeat(background_grey()[:, None], 3, axis=1)
    return (viewer.colors() == grey).all(axis=1)


def test_mesh_once_values_after(viewer, values):
    geometry = viewer.cortex.geometry
    coords = np.frombuffer(geometry.coords, dtype="<f4").reshape(-1, 3)
    faces = np.frombuffer(geometry.faces, dtype="<u4").reshape(-1, 3)
    surf = load_fsaverage5("inflated")
    assert coords.shape == (N_VERTICES, 3) and faces.shape == surf.faces.shape
    # Each hemisphere's faces index its own vertices; the hemispheres are moved apart along x.
    assert faces.max() < N_VERTICES_HEMI
    assert coords[:N_VERTICES_HEMI, 0].max() < coords[N_VERTICES_HEMI:, 0].min()
    # A second viewer, and a second map, reuse the same geometry model: its bytes go once.
    other = SurfaceViewer(values[::-1].copy())
    assert other.cortex.geometry is geometry is shared_geometry("inflated", viewer._regions)
    # A map is its values as float32 bytes (80 kB), plus small settings.
    np.testing.assert_array_equal(_sent_values(viewer), values.astype(np.float32))
    assert len(viewer.cortex.values) == 4 * N_VERTICES
    sent_lut = np.frombuffer(viewer.cortex.lut, np.uint8).reshape(256, 3)
    np.testing.assert_array_equal(sent_lut, lut_rgb("RdBu_r"))
    assert (viewer.cortex.vmin, viewer.cortex.vmax) == viewer.limits
    geometry.close()  # a closed model is rebuilt, not reused
    assert shared_geometry("inflated", viewer._regions) is not geometry


def test_both_hemispheres_each_in_its_lateral_view(viewer):
    assert viewer.cortex.hemisphere == "both" and viewer.cortex.view == "lateral"
    assert viewer.title == "<b>map</b>" == viewer.cortex.title  # shown as text, never as HTML
    assert viewer.cortex.label == "test r"
    viewer.view = "medial"
    assert viewer.cortex.view == "medial"
    viewer.view_dropdown.value = "dorsal"
    assert viewer.cortex.view == "dorsal"


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
    viewer.threshold = 1.0
    assert viewer.threshold_slider.value == 1.0 and viewer.cortex.threshold == 1.0
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
    top = np.frombuffer(viewer.cortex.lut, np.uint8).reshape(256, 3)[-1]
    assert bytes(top).hex() == "fde725"
    peak = int(np.argmax(viewer.values))
    assert bytes(viewer.colors()[peak]).hex() == "fde725"  # the top of the scale paints the peak
    viewer.colormap = "Blues"  # any plotly scale; added to the dropdown
    assert viewer.colormap_dropdown.value == "Blues"
    with pytest.raises(traitlets.TraitError, match="colormap must be a plotly colour-scale"):
        viewer.colormap = "not-a-colormap"


def test_mesh_hemisphere_and_outline_controls(viewer):
    inflated = viewer.cortex.geometry
    viewer.mesh_dropdown.value = "pial"
    assert viewer.mesh == "pial" and viewer.cortex.geometry.mesh == "pial"
    assert viewer.cortex.geometry.coords != inflated.coords
    assert viewer.cortex.geometry.outline_left != inflated.outline_left
    viewer.mesh = "inflated"
    assert viewer.cortex.geometry is inflated  # back to the model already in the browser
    viewer.hemisphere = "left"
    assert viewer.cortex.hemisphere == "left"
    viewer.hemisphere_buttons.value = "both"
    assert viewer.cortex.hemisphere == "both"
    viewer.outline_box.value = False
    assert viewer.cortex.outlines is False
    viewer.outlines = True
    assert viewer.cortex.outlines is True
    with pytest.raises(traitlets.TraitError, match="mesh must be one of"):
        viewer.mesh = "flat"


def test_regions_are_outlined_and_named_on_hover(viewer):
    heschl = auditory_regions()["left Heschl's gyrus"]
    vertex = int(np.flatnonzero(heschl)[0])
    assert "left Heschl's gyrus" in viewer.region_of(vertex)
    geometry = viewer.cortex.geometry
    codes = np.frombuffer(geometry.region_codes, dtype="<u2")
    assert "left Heschl's gyrus" in geometry.region_labels[codes[vertex]]  # the hover text
    assert geometry.region_labels[0] == "" and (codes[~heschl] != codes[vertex]).any()
    left_segments = np.frombuffer(geometry.outline_left, dtype="<f4").reshape(-1, 2, 3)
    assert len(left_segments) > 10 and np.isfinite(left_segments).all()
    only = SurfaceViewer(regions=["right planum temporale"])
    assert only.cortex.geometry.outline_left == b"" and len(only.cortex.geometry.outline_right)
    assert only.cortex.geometry.region_labels == ["", "right planum temporale"]
    with pytest.raises(ValueError, match="regions must name regions among"):
        SurfaceViewer(regions=["left Broca"])


def test_a_click_on_the_cortex_picks_a_vertex(viewer):
    picks = []
    viewer.on_pick(picks.append)
    # What the browser sends on a click (static/cortex.js): the vertex under the pointer.
    viewer.cortex._handle_custom_msg({"type": "pick", "vertex": N_VERTICES_HEMI + 7}, [])
    assert picks == [N_VERTICES_HEMI + 7] and viewer.picked == N_VERTICES_HEMI + 7
    assert viewer.cortex.picked == N_VERTICES_HEMI + 7  # the browser marks it
    assert "right vertex 7" in viewer.status.value and "test r" in viewer.status.value
    viewer.cortex._handle_custom_msg({"type": "pick", "vertex": N_VERTICES}, [])  # off the mesh
    assert picks == [N_VERTICES_HEMI + 7]
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
    assert viewer.cortex.values == b""  # no map: the browser hides the colour bar
    with pytest.raises(ValueError, match="hemisphere must be one of"):
        SurfaceViewer(hemisphere="both-ish")
    with pytest.raises(ValueError, match="cmap must be a plotly colour-scale"):
        SurfaceViewer(cmap="nope")
    with pytest.raises(ValueError, match="height must be an integer >= 60"):
        SurfaceViewer(height=10)


def test_view_surface_embeds_its_static_twin(values):
    bundle = view_surface(values, title="map")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    bare = SurfaceViewer(values)._repr_mimebundle_()
    assert "image/png" not in bare
