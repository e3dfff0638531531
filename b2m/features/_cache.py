"""Embeddings cached on disk, keyed by the dataset, the feature space and its parameters."""

from __future__ import annotations

import json
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from b2m._utils._io import save_npz
from b2m.config import get_data_home
from b2m.features._base import FeatureSpace

__all__ = ["cached_features", "feature_cache_path"]

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


def feature_cache_path(
    space: FeatureSpace, *, dataset_key: str, data_home: str | os.PathLike | None = None
) -> Path:
    """Where :func:`cached_features` keeps ``space``'s embeddings of a dataset.

    Parameters
    ----------
    space : FeatureSpace
        The feature space.
    dataset_key : str
        Names the dataset; letters, digits, ``.``, ``_`` and ``-`` only.
    data_home : str or path-like, optional
        Data home (see :func:`b2m.config.get_data_home`).

    Returns
    -------
    pathlib.Path
        ``<data_home>/features/<dataset_key>/<space.name>/<space.cache_key>.npz``.
    """
    if not isinstance(space, FeatureSpace):
        raise TypeError(f"space must be a FeatureSpace; received {type(space).__name__}.")
    if not isinstance(dataset_key, str) or not _SAFE.match(dataset_key) or ".." in dataset_key:
        raise ValueError(
            "dataset_key must be a non-empty name of letters, digits, '.', '_' or '-' (it "
            f"becomes a folder name); received {dataset_key!r}."
        )
    root = get_data_home(data_home)
    return root / "features" / dataset_key / space.name / f"{space.cache_key}.npz"


def cached_features(
    space: FeatureSpace,
    *,
    dataset_key: str,
    clip_ids: list[str],
    compute: Callable[[], np.ndarray],
    data_home: str | os.PathLike | None = None,
) -> np.ndarray:
    """Return embeddings from the cache, computing and storing them when needed.

    The file ``<data_home>/features/<dataset_key>/<space.name>/<space.cache_key>.npz`` holds
    the embeddings, the clip ids in row order and the space's name, version and parameters.
    A different version or parameter gives a different ``cache_key`` and so a different file
    (a cached result is never stale). The stored embeddings are reused only when their clip
    ids equal ``clip_ids`` exactly (same ids, same order); otherwise — or when the file is
    unreadable — ``compute()`` runs and the file is replaced. Writes are atomic: if
    ``compute`` raises or is interrupted, no file (partial or new) is left behind.

    Parameters
    ----------
    space : FeatureSpace
        The feature space that produces the embeddings.
    dataset_key : str
        Names the dataset (and any variant, e.g. ``"sim-seed0"``); a folder name.
    clip_ids : list of str
        Identifier of each row, in order; length n_clips.
    compute : callable
        Called without arguments on a cache miss; returns an array of shape
        (n_clips, n_dims).
    data_home : str or path-like, optional
        Data home (see :func:`b2m.config.get_data_home`).

    Returns
    -------
    ndarray of shape (n_clips, n_dims)
        The embeddings, rows in ``clip_ids`` order.

    Raises
    ------
    ValueError
        If ``clip_ids`` is empty or has duplicates, or ``compute`` returns an array whose
        shape is not (len(clip_ids), n_dims) or that is not finite.
    """
    path = feature_cache_path(space, dataset_key=dataset_key, data_home=data_home)
    if isinstance(clip_ids, str):
        raise TypeError("clip_ids must be a list of str; received a single str.")
    ids = [str(c) for c in clip_ids]
    if not ids:
        raise ValueError("clip_ids must contain at least one id; received 0.")
    if len(set(ids)) != len(ids):
        dup = sorted({c for c in ids if ids.count(c) > 1})[:5]
        raise ValueError(f"clip_ids must be unique; received duplicates such as {dup}.")
    if not callable(compute):
        raise TypeError(f"compute must be callable; received {type(compute).__name__}.")

    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as stored:
                if stored["clip_ids"].tolist() == ids:
                    return stored["embeddings"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            warnings.warn(
                f"Ignoring unreadable feature cache {str(path)!r} ({exc}); recomputing.",
                RuntimeWarning,
                stacklevel=2,
            )

    embeddings = np.asarray(compute())
    if embeddings.ndim != 2 or embeddings.shape[0] != len(ids):
        raise ValueError(
            f"compute() must return an array of shape (n_clips={len(ids)}, n_dims); "
            f"received shape {embeddings.shape}."
        )
    if embeddings.dtype.kind in "fc" and not np.isfinite(embeddings).all():
        raise ValueError(
            f"compute() returned {int((~np.isfinite(embeddings)).sum())} NaN or infinite "
            "value(s); nothing was cached."
        )
    meta = json.dumps({"name": space.name, "version": space.version, "params": space.params})
    save_npz(
        path, embeddings=embeddings, clip_ids=np.asarray(ids, dtype=str), meta=np.asarray(meta)
    )
    return embeddings
