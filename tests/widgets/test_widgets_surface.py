"""SurfaceViewer: two Mesh3d traces on fsaverage5, threshold, colormap, mesh and hemisphere."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
import traitlets

from b2m.surface import N_VERTICES, N_VERTICES_HEMI
from b2m_widgets import SurfaceViewer, view_surface


@pytest.fixture(scope="module")
def values():
    return np.random.default_rng(0).standard_normal(N_VERTICES)


@pytest.fixture
def viewer(values):
    return view_surface(values, title="<b>map</b>")


def _intensity(viewer):
    return np.concatenate([np.asarray(t.intensity) for t in viewer.figure.data[:2]])


def test_two_hemisphere_meshes_side_by_side(viewer):
    left, right, colorbar = viewer.figure.data
    assert isinstance(left, go.Mesh3d) and isinstance(right, go.Mesh3d)
    assert isinstance(colorbar, go.Scatter3d)
    assert len(left.x) == len(right.x) == N_VERTICES_HEMI
    assert np.max(left.x) < np.min(right.x)  # inflated hemispheres offset apart
    assert np.asarray(left.intensity).dtype == np.float32
    assert np.asarray(left.x).dtype == np.float32
    assert np.asarray(left.i).dtype == np.int32
    assert viewer.figure.layout.title.text == "&lt;b&gt;map&lt;/b&gt;"
    assert colorbar.marker.showscale
    assert colorbar.marker.cmin == pytest.approx(-np.abs(viewer.values).max())


def test_threshold_greys_out_small_values(viewer, values):
    viewer.threshold = 1.0
    assert viewer.threshold_slider.value == 1.0
    grey = _intensity(viewer) < 0.5
    np.testing.assert_array_equal(grey, np.abs(values.astype(np.float32)) < 1.0)
    viewer.threshold_slider.value = 0.0
    assert viewer.threshold == 0.0
    assert (_intensity(viewer) >= 0.5).all()
    with pytest.raises(traitlets.TraitError, match="threshold must be a finite number"):
        viewer.threshold = -1.0


def test_colormap_trait_and_dropdown_are_linked(viewer):
    viewer.colormap_dropdown.value = "Viridis"
    assert viewer.colormap == "Viridis"
    assert viewer.figure.data[0].colorscale[-1][1] == "#fde725"
    viewer.colormap = "Blues"  # any plotly scale; added to the dropdown
    assert viewer.colormap_dropdown.value == "Blues"
    with pytest.raises(traitlets.TraitError, match="colormap must be a plotly colour-scale"):
        viewer.colormap = "not-a-colormap"


def test_mesh_and_hemisphere_controls(viewer):
    inflated_x = np.asarray(viewer.figure.data[0].x).copy()
    viewer.mesh_dropdown.value = "pial"
    assert viewer.mesh == "pial"
    assert not np.allclose(np.asarray(viewer.figure.data[0].x), inflated_x)
    viewer.hemisphere = "left"
    assert viewer.figure.data[0].visible is not False and viewer.figure.data[1].visible is False
    assert viewer.figure.layout.scene.camera.eye.z > 0
    viewer.view = "lateral"
    assert viewer.figure.layout.scene.camera.eye.x < 0
    viewer.hemisphere_buttons.value = "both"
    assert viewer.figure.data[1].visible is True
    with pytest.raises(traitlets.TraitError, match="mesh must be one of"):
        viewer.mesh = "flat"


def test_set_data_validates_shape(viewer):
    with pytest.raises(ValueError, match=r"values must have shape \(20484\)"):
        viewer.set_data(np.zeros(100))
    with pytest.raises(ValueError, match="values must be finite"):
        viewer.set_data(np.full(N_VERTICES, np.nan))
    viewer.set_data(np.linspace(0, 2, N_VERTICES), title="positive", threshold=0.5)
    assert viewer.figure.data[2].marker.cmin == 0.0
    assert viewer.figure.data[2].marker.cmax == pytest.approx(2.0)
    assert viewer.threshold == 0.5 and viewer.threshold_slider.max == pytest.approx(2.0)
    assert (_intensity(viewer) < 0.5).sum() == np.count_nonzero(viewer.values < 0.5)
    viewer.set_data(np.linspace(-0.2, 0.2, N_VERTICES))  # threshold above the new peak: reset
    assert viewer.threshold == 0.0 and (_intensity(viewer) >= 0.5).all()


def test_empty_viewer_shows_background_only():
    viewer = SurfaceViewer(hemisphere="right", view="lateral")
    assert viewer.values is None
    assert (_intensity(viewer) < 0.5).all()
    assert not viewer.figure.data[2].marker.showscale
    with pytest.raises(ValueError, match="hemisphere must be one of"):
        SurfaceViewer(hemisphere="both-ish")
    with pytest.raises(ValueError, match="cmap must be a plotly colour-scale"):
        SurfaceViewer(cmap="nope")
