"""The fsaverage5 cortical surface (shipped with nilearn, no download).

Vertex order everywhere in b2m: the 10,242 left-hemisphere vertices, then the 10,242
right-hemisphere vertices (20,484 in all), as in nilearn's ``load_fsaverage("fsaverage5")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from b2m._utils._validation import check_choice

__all__ = ["MESHES", "N_VERTICES", "N_VERTICES_HEMI", "SurfaceMesh", "load_fsaverage5"]

#: Mesh kinds available offline for fsaverage5.
MESHES = ("pial", "white_matter", "inflated", "sphere", "flat")
N_VERTICES_HEMI = 10242
N_VERTICES = 2 * N_VERTICES_HEMI


@dataclass(frozen=True)
class SurfaceMesh:
    """Both hemispheres of a fsaverage5 mesh.

    Attributes
    ----------
    coordinates : ndarray of shape (20484, 3)
        Vertex coordinates in mm (left hemisphere first).
    faces : ndarray of shape (40960, 3)
        Triangles indexing ``coordinates`` (right-hemisphere faces already offset).
    n_left : int
        Number of left-hemisphere vertices (10242).
    kind : str
        Mesh kind (``"pial"``, ``"inflated"``…).
    """

    coordinates: np.ndarray
    faces: np.ndarray
    n_left: int
    kind: str

    @property
    def hemispheres(self) -> np.ndarray:
        """Array of shape (20484,) with ``"left"``/``"right"`` per vertex."""
        out = np.full(len(self.coordinates), "right", dtype=object)
        out[: self.n_left] = "left"
        return out


@lru_cache(maxsize=8)
def load_fsaverage5(mesh: str = "inflated") -> SurfaceMesh:
    """Load the fsaverage5 mesh of both hemispheres.

    Parameters
    ----------
    mesh : {"pial", "white_matter", "inflated", "sphere", "flat"}, default "inflated"
        Which surface. ``"pial"`` has MNI-like coordinates (use it to locate regions);
        ``"inflated"`` is the usual display surface.

    Returns
    -------
    SurfaceMesh
    """
    check_choice(mesh, "mesh", MESHES)
    from nilearn.datasets import load_fsaverage

    poly = load_fsaverage("fsaverage5")[mesh]
    left, right = poly.parts["left"], poly.parts["right"]
    coords = np.vstack([left.coordinates, right.coordinates]).astype(np.float32)
    n_left = len(left.coordinates)
    faces = np.vstack([left.faces, right.faces + n_left]).astype(np.int32)
    coords.setflags(write=False)
    faces.setflags(write=False)
    return SurfaceMesh(coordinates=coords, faces=faces, n_left=n_left, kind=mesh)
