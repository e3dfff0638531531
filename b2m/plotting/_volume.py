"""Static maps of voxel values (native or MNI space): the twin of ``b2m_widgets.view_volume``.

A study in native space (``load_study("ds003720", derivatives="raw")``) has one response column
per voxel of ``study.mask_img`` (non-zero voxels in C order, as ``nilearn.masking.unmask``
expects); these helpers put such a vector back into a volume and draw it with nilearn.
matplotlib and nilearn are imported lazily; no display library is imported.
"""

from __future__ import annotations

import os

import numpy as np

from b2m._utils._validation import check_array

__all__ = ["plot_volume_map", "values_to_volume"]


def _mask_array(mask_img):
    import nibabel as nib

    if isinstance(mask_img, str | os.PathLike):
        if not os.path.isfile(mask_img):
            raise FileNotFoundError(f"mask_img: file not found: {str(mask_img)!r}.")
        mask_img = nib.load(str(mask_img))
    if not isinstance(mask_img, nib.spatialimages.SpatialImage):
        raise TypeError(
            "mask_img must be a nibabel image or a path to a NIfTI file (e.g. study.mask_img); "
            f"received {type(mask_img).__name__}."
        )
    data = np.asanyarray(mask_img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"mask_img must be a 3-D image; received shape {data.shape}.")
    return data != 0, np.asarray(mask_img.affine, dtype=np.float64)


def values_to_volume(values, mask_img):
    """Put one value per mask voxel back into a 3-D image (0 outside the mask).

    Parameters
    ----------
    values : array-like of shape (n_voxels,)
        One value per non-zero voxel of ``mask_img``, in C order (e.g. a row of
        ``study.responses.train`` or an encoding map of a native-space study).
    mask_img : nibabel image or path
        3-D mask (e.g. ``study.mask_img``).

    Returns
    -------
    nibabel.Nifti1Image
        float32 volume on the mask's grid.
    """
    import nibabel as nib

    mask, affine = _mask_array(mask_img)
    n = int(mask.sum())
    data = check_array(values, "values", ndim=(1, 2), dtype=np.float32)
    if data.ndim == 2 and data.shape[0] == 1:
        data = data[0]
    if data.shape != (n,):
        raise ValueError(
            f"values must have one value per voxel of mask_img, shape ({n},); "
            f"received shape {data.shape}."
        )
    volume = np.zeros(mask.shape, np.float32)
    volume[mask] = data
    return nib.Nifti1Image(volume, affine)


def _check_threshold(threshold):
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not np.isfinite(threshold)
        or threshold < 0
    ):
        raise ValueError(f"threshold must be a finite number >= 0 or None; received {threshold!r}.")


def plot_volume_map(
    values,
    mask_img,
    *,
    bg_img=None,
    threshold: float | None = None,
    cmap: str = "cold_hot",
    vmax: float | None = None,
    title: str | None = None,
    display_mode: str = "ortho",
    cut_coords=None,
    figure=None,
    axes=None,
):
    """Plot a voxel map as orthogonal slices (nilearn ``plot_stat_map``).

    Static twin of :func:`b2m_widgets.view_volume`.

    Parameters
    ----------
    values : array-like of shape (n_voxels,)
        One value per non-zero voxel of ``mask_img`` (C order).
    mask_img : nibabel image or path
        3-D mask (``study.mask_img`` for a native-space study).
    bg_img : nibabel image or path, optional
        Background (e.g. the subject's mean EPI or T1 on the same grid, or the MNI template for
        MNI data). Default: none, since a native-space map has no template.
    threshold : float, optional
        Voxels with ``|value| < threshold`` are not coloured (default: only exact zeros).
    cmap : str, default "cold_hot"
        A matplotlib or nilearn colormap name.
    vmax : float, optional
        Colour limit (symmetric for signed maps); default: the largest ``|value|``.
    title : str, optional
    display_mode : str, default "ortho"
        nilearn display mode (``"ortho"``, ``"x"``, ``"y"``, ``"z"``, ``"mosaic"`` …).
    cut_coords : optional
        Where to cut, as for nilearn (default: the map's centre of mass).
    figure, axes : optional
        matplotlib figure or axes to draw into.

    Returns
    -------
    nilearn.plotting.displays.BaseSlicer
        The display; its figure is ``display.frame_axes.figure``.
    """
    _check_threshold(threshold)
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"vmax must be a finite number > 0 or None; received {vmax!r}.")
    image = values_to_volume(values, mask_img)
    from matplotlib import colormaps
    from nilearn import plotting  # registers nilearn's colormaps (cold_hot …) with matplotlib

    if not isinstance(cmap, str) or cmap not in colormaps:
        raise ValueError(f"cmap must be a matplotlib or nilearn colormap name; received {cmap!r}.")
    return plotting.plot_stat_map(
        image,
        bg_img=bg_img,
        threshold=1e-6 if threshold is None else float(threshold),
        cmap=cmap,
        vmax=vmax,
        title=title,
        display_mode=display_mode,
        cut_coords=cut_coords,
        figure=figure,
        axes=axes,
        black_bg=False,
    )
