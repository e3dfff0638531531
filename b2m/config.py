"""Where b2m keeps its data.

The data home is resolved as: explicit argument > ``B2M_DATA`` environment variable >
``~/b2m_data``. Nothing is ever written into the repository or the installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ENV_VAR", "get_data_home"]

#: Environment variable that overrides the default data home.
DATA_ENV_VAR = "B2M_DATA"


def get_data_home(data_home: str | os.PathLike | None = None, *, create: bool = True) -> Path:
    """Return the directory where b2m stores datasets, features and caches.

    Parameters
    ----------
    data_home : str or path-like, optional
        Explicit location. When omitted, the ``B2M_DATA`` environment variable is used, and
        when that is unset or empty, ``~/b2m_data``.
    create : bool, default True
        Create the directory (and parents) if it does not exist.

    Returns
    -------
    pathlib.Path
        Absolute path of the data home.

    Raises
    ------
    NotADirectoryError
        If the resolved path exists and is not a directory.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_ENV_VAR) or None
    path = Path(data_home).expanduser() if data_home is not None else Path.home() / "b2m_data"
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"data_home must be a directory; received {str(path)!r}, which is a file."
        )
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
