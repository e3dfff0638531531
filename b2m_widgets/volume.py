"""Interactive slices of a voxel map (nilearn ``view_img``) inside an ``ipywidgets.HTML``.

nilearn's viewer is a standalone HTML page (brainsprite, its JavaScript inlined); it is embedded
as the ``srcdoc`` of an iframe, escaped, so it runs in its own document and needs no kernel.
The title is shown outside the iframe, escaped; nilearn would write it into the page unescaped.
The only external reference nilearn's page carries (a favicon link) is removed: nothing is
fetched from the network.
"""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import numpy as np

from b2m.plotting import values_to_volume

__all__ = ["view_volume"]

_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.IGNORECASE)


def view_volume(
    values,
    mask_img,
    *,
    bg_img=None,
    threshold: float | None = None,
    cmap: str = "cold_hot",
    vmax: float | None = None,
    title: str | None = None,
    height: int = 420,
) -> widgets.HTML:
    """Browse a voxel map interactively (click to move the cut; sagittal, coronal, axial).

    Static twin: :func:`b2m.plotting.plot_volume_map`.

    Parameters
    ----------
    values : array-like of shape (n_voxels,)
        One value per non-zero voxel of ``mask_img`` (C order), e.g. an encoding map of a
        native-space study.
    mask_img : nibabel image or path
        3-D mask (``study.mask_img``).
    bg_img : nibabel image or path, optional
        Background on the same grid or in the same space (default: none).
    threshold : float, optional
        Voxels with ``|value| < threshold`` are transparent (default: only exact zeros).
    cmap : str, default "cold_hot"
        A matplotlib or nilearn colormap name.
    vmax : float, optional
        Colour limit (symmetric); default: the largest ``|value|``.
    title : str, optional
        Shown above the viewer (escaped).
    height : int, default 420
        Height of the viewer in pixels.

    Returns
    -------
    ipywidgets.HTML
        Its ``value`` holds the title and an ``<iframe srcdoc="...">`` with nilearn's viewer.
    """
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not np.isfinite(threshold)
        or threshold < 0
    ):
        raise ValueError(f"threshold must be a finite number >= 0 or None; received {threshold!r}.")
    if isinstance(height, bool) or not isinstance(height, int) or not 100 <= height <= 4000:
        raise ValueError(
            f"height must be an integer number of pixels in 100..4000; received {height!r}."
        )
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"vmax must be a finite number > 0 or None; received {vmax!r}.")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; received {type(title).__name__}.")
    image = values_to_volume(values, mask_img)
    from matplotlib import colormaps
    from nilearn import plotting

    if not isinstance(cmap, str) or cmap not in colormaps:
        raise ValueError(f"cmap must be a matplotlib or nilearn colormap name; received {cmap!r}.")
    if not np.any(np.asarray(image.dataobj)):
        raise ValueError("values are all zero: there is nothing to show.")
    view = plotting.view_img(
        image,
        bg_img=False if bg_img is None else bg_img,
        threshold=1e-6 if threshold is None else float(threshold),
        cmap=cmap,
        vmax=vmax,
        symmetric_cmap=True,
        black_bg=False,
        title=None,
    )
    page = _EXTERNAL_LINK.sub("", view.get_standalone())
    header = (
        f'<div style="font-weight:600;margin:0 0 4px">{html.escape(title)}</div>' if title else ""
    )
    frame = (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" width="100%" height="{height}" '
        'style="border:none" sandbox="allow-scripts"></iframe>'
    )
    return widgets.HTML(value=header + frame, layout=widgets.Layout(width="100%"))
