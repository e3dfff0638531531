"""Voxel maps: values back into a volume, the static slices and the interactive viewer."""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import nibabel as nib
import numpy as np
import pytest

from b2m.plotting import plot_volume_map, values_to_volume
from b2m_widgets.volume import view_volume


@pytest.fixture(scope="module")
def mask_img():
    mask = np.zeros((10, 12, 8), np.uint8)
    mask[2:8, 3:10, 2:6] = 1
    mask[4, 5, 3] = 0
    return nib.Nifti1Image(mask, np.diag([2.0, 2.0, 2.0, 1.0]))


@pytest.fixture(scope="module")
def values(mask_img):
    n = int(np.asarray(mask_img.dataobj).sum())
    return np.random.default_rng(0).standard_normal(n)


def _srcdoc(widget) -> str:
    match = re.search(r'<iframe srcdoc="([^"]*)"', widget.value)
    assert match, widget.value[:200]
    return html.unescape(match.group(1))


def test_values_to_volume_matches_nilearn_unmask(values, mask_img, tmp_path):
    from nilearn.masking import unmask

    image = values_to_volume(values, mask_img)
    want = unmask(values.astype(np.float32), mask_img).get_fdata()
    assert np.allclose(image.get_fdata(), want) and np.allclose(image.affine, mask_img.affine)
    assert image.get_fdata()[4, 5, 3] == 0 and image.get_fdata()[0, 0, 0] == 0
    path = tmp_path / "mask.nii.gz"
    nib.save(mask_img, path)
    assert np.allclose(values_to_volume(values[None], path).get_fdata(), want)


def test_plot_volume_map_draws_the_slices(values, mask_img):
    import matplotlib.pyplot as plt

    display = plot_volume_map(values, mask_img, threshold=0.5, title="encoding r", vmax=3.0)
    try:
        fig = display.frame_axes.figure
        assert len(display.axes) == 3  # ortho: x, y, z cuts
        assert len(fig.axes) >= 4  # + the colour bar
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert "encoding r" in texts
    finally:
        plt.close("all")


def test_view_volume_embeds_nilearn_viewer_escaped(values, mask_img):
    title = '<script>alert("x")</script> & map'
    widget = view_volume(values, mask_img, title=title, threshold=0.2, height=300)
    assert isinstance(widget, widgets.HTML)
    assert "<script>alert" not in widget.value
    assert html.escape(title) in widget.value
    srcdoc = re.search(r'srcdoc="([^"]*)"', widget.value).group(1)
    assert "<" not in srcdoc and ">" not in srcdoc  # the whole page is escaped
    page = _srcdoc(widget)
    assert "brainsprite" in page.lower() and 'height="300"' in widget.value
    assert "alert(" not in page  # the title is not written into the page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing fetched
    other = view_volume(-values, mask_img)
    assert _srcdoc(other) != page


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"values": np.ones(5)},
            ValueError,
            r"one value per voxel of mask_img, shape \(167,\); "
            r"received shape \(5,\)",
        ),
        ({"values": np.full(167, np.nan)}, ValueError, "values must be finite"),
        ({"mask_img": np.ones((3, 3, 3))}, TypeError, "mask_img must be a nibabel image"),
        ({"mask_img": "/no/such/mask.nii"}, FileNotFoundError, "mask_img: file not found"),
        ({"threshold": -1.0}, ValueError, "threshold must be a finite number >= 0"),
        ({"cmap": "no-such-map"}, ValueError, "cmap must be a matplotlib or nilearn colormap"),
        ({"vmax": 0.0}, ValueError, "vmax must be a finite number > 0"),
    ],
)
@pytest.mark.parametrize("function", [plot_volume_map, view_volume])
def test_bad_input(function, values, mask_img, kwargs, error, match):
    args = {"values": values, "mask_img": mask_img, **kwargs}
    with pytest.raises(error, match=match):
        function(args.pop("values"), args.pop("mask_img"), **args)


def test_view_volume_bad_input(values, mask_img):
    flat = nib.Nifti1Image(np.ones((4, 4), np.uint8), np.eye(4))
    with pytest.raises(ValueError, match=r"mask_img must be a 3-D image; received shape \(4, 4\)"):
        view_volume(values, flat)
    with pytest.raises(ValueError, match="height must be an integer"):
        view_volume(values, mask_img, height=10)
    with pytest.raises(TypeError, match="title must be a str"):
        view_volume(values, mask_img, title=3)
    with pytest.raises(ValueError, match="all zero"):
        view_volume(np.zeros_like(values), mask_img)
