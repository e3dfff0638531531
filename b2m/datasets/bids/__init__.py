"""The ds003720 BIDS reader: raw runs (native voxels) and fMRIPrep derivatives (fsaverage5
surface or MNI volume projected onto it), cleaned and turned into clip responses, cached.

- ``_files``: finding the runs and their sidecars; ``_read``: reading NIfTI/GIFTI runs;
- ``_spaces`` and ``_surface``: the derivative spaces and the MNI → fsaverage5 projection;
- ``_load``: :func:`load_ds003720_responses` (the whole path), ``_cache``: the response cache;
- ``_study``: the :class:`b2m.datasets.Study` of a real subject.
"""

from b2m.datasets.bids._load import (
    DERIVATIVES,
    BIDSFileError,
    DS003720Responses,
    load_ds003720_responses,
    load_ds003720_run,
)

__all__ = [
    "DERIVATIVES",
    "BIDSFileError",
    "DS003720Responses",
    "load_ds003720_responses",
    "load_ds003720_run",
]
