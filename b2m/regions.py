"""Offline auditory regions of interest on fsaverage5, from MNI coordinates.

No surface atlas ships offline, so regions are the pial-surface vertices within
``radius_mm`` of approximate MNI centres of auditory and temporal-lobe areas (mirrored
left/right), plus the 12 "Auditory" network coordinates of Seitzman et al. (2018) that
nilearn bundles. They are coarse: good for summaries, not for anatomy.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from b2m._utils._validation import check_array
from b2m.surface import N_VERTICES, load_fsaverage5

__all__ = ["REGION_CENTRES_MNI", "auditory_regions", "region_table"]

#: Approximate MNI centres (right hemisphere; the left mirrors x).
REGION_CENTRES_MNI: dict[str, tuple[float, float, float]] = {
    "Heschl's gyrus": (45.0, -22.0, 8.0),
    "lateral STG": (60.0, -14.0, 2.0),
    "anterior STG": (56.0, 4.0, -10.0),
    "anterior STS": (52.0, 10.0, -18.0),
    "posterior STS": (54.0, -34.0, 2.0),
    "planum temporale": (55.0, -30.0, 14.0),
}


@lru_cache(maxsize=4)
def _regions(radius_mm: float) -> dict[str, np.ndarray]:
    mesh = load_fsaverage5("pial")
    coords = mesh.coordinates.astype(np.float64)
    left = np.arange(len(coords)) < mesh.n_left
    out = {}
    for name, (x, y, z) in REGION_CENTRES_MNI.items():
        for hemi, sign, side in (("left", -1.0, left), ("right", 1.0, ~left)):
            d = np.linalg.norm(coords - np.array([sign * x, y, z]), axis=1)
            out[f"{hemi} {name}"] = (d <= radius_mm) & side
    from nilearn.datasets import fetch_coords_seitzman_2018

    seitz = fetch_coords_seitzman_2018()
    rois = seitz.rois[np.asarray(seitz.networks) == "Auditory"][["x", "y", "z"]].to_numpy(float)
    d = np.linalg.norm(coords[:, None, :] - rois[None], axis=2).min(1)
    out["auditory network (Seitzman 2018)"] = d <= radius_mm
    for mask in out.values():
        mask.setflags(write=False)
    return out


def auditory_regions(radius_mm: float = 10.0) -> dict[str, np.ndarray]:
    """Auditory regions of interest on fsaverage5.

    Parameters
    ----------
    radius_mm : float, default 10
        Vertices within this distance of a centre belong to the region.

    Returns
    -------
    dict of str to ndarray of shape (20484,), bool
    """
    if not (np.isfinite(radius_mm) and radius_mm > 0):
        raise ValueError(f"radius_mm must be a positive number; received {radius_mm!r}.")
    return dict(_regions(float(radius_mm)))


def region_table(
    values, regions: dict[str, np.ndarray] | None = None, *, name: str = "value"
) -> pd.DataFrame:
    """Summarise a per-vertex map by region.

    Parameters
    ----------
    values : array of shape (20484,)
        A map on fsaverage5 (e.g. test correlation).
    regions : dict of str to bool array of shape (20484,), optional
        Default :func:`auditory_regions`.
    name : str, default "value"
        Label of the summarised quantity (column prefix).

    Returns
    -------
    pandas.DataFrame
        One row per region (sorted by mean, descending) with ``n_vertices``, ``mean``,
        ``median``, ``max`` of ``values``; a last row ``whole cortex``.
    """
    values = check_array(values, "values", shape=(N_VERTICES,), allow_nan=True)
    regions = auditory_regions() if regions is None else regions
    rows = []
    for region, mask in {**regions, "whole cortex": np.ones(N_VERTICES, bool)}.items():
        v = values[np.asarray(mask, bool)]
        v = v[np.isfinite(v)]
        rows.append(
            {
                "region": region,
                "n_vertices": int(v.size),
                f"mean {name}": float(v.mean()) if v.size else np.nan,
                f"median {name}": float(np.median(v)) if v.size else np.nan,
                f"max {name}": float(v.max()) if v.size else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    body = table.iloc[:-1].sort_values(f"mean {name}", ascending=False)
    return pd.concat([body, table.iloc[-1:]], ignore_index=True)
