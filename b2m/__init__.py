"""b2m: the compute package of b2m-explorer.

Data (fetch, load, simulate), feature spaces, models (ridge, decoding, encoding,
identification) and static figures for reproducing Brain2Music (Denk et al. 2023) on the
Music Genre fMRI Dataset (OpenNeuro ds003720). This package never imports display libraries;
the interactive views live in :mod:`b2m_widgets`.
"""

from b2m.config import get_data_home

__version__ = "0.1.0"

__all__ = ["__version__", "get_data_home"]
