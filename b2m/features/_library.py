"""Embed a folder of music files as a retrieval library, in-process or on a Dask cluster.

The files are split into chunks of ``chunk_size``; each chunk is one task that reads its
files (an excerpt of each), embeds them with the feature space and returns the embeddings,
one metadata row per file and the files it could not use. In-process and on Dask the same
chunks run the same function, so both give identical libraries.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._parallel import environ_restored
from b2m._utils._progress import progress
from b2m.features._base import FeatureSpace, check_sr
from b2m.features._library_chunks import (
    AUDIO_SUFFIXES,
    METADATA_COLUMNS,
    UnreadableAudioWarning,
    check_excerpt,
    embed_chunk,
    find_audio_files,
    reason,
)
from b2m.features._registry import resolve_feature_space

__all__ = [
    "AUDIO_SUFFIXES",
    "UnreadableAudioWarning",
    "embed_music_folder",
    "find_audio_files",
]

_DASK_EXTRA = "pip install 'b2m-explorer[dask]'"


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    return int(value)


def _is_client(obj) -> bool:
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(obj, Client)


def _connect(address: str, timeout: float):
    from distributed import Client
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
    except ValueError as exc:
        raise ValueError(
            "scheduler must be None, 'local' or a Dask scheduler address such as "
            f"'tcp://host:8786'; received {address!r} ({exc})."
        ) from None
    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise ConnectionError(
            f"scheduler: could not connect to a Dask scheduler at {address!r} within "
            f"{timeout:g} s ({reason(exc)}). Start one (`dask scheduler` and `dask worker "
            "ADDRESS`), or use scheduler='local' or None."
        ) from None


def _run_dask(scheduler, space, root, chunks, excerpt, sample_rate, *, timeout, n_workers, bar):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError(
            f"scheduler={scheduler!r} needs dask.distributed; install the dask extra: {_DASK_EXTRA}"
        ) from None
    with contextlib.ExitStack() as stack:
        if isinstance(scheduler, Client):
            client = scheduler
        elif scheduler == "local":
            # Its nanny sets OMP_NUM_THREADS=1 (and more) here for its workers to inherit;
            # restored last, after the cluster has closed.
            stack.enter_context(environ_restored())
            cluster = stack.enter_context(
                LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None)
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
        else:
            client = _connect(scheduler, timeout)
            stack.callback(client.close)
        space_future = client.scatter(space, broadcast=True)
        futures = [
            client.submit(embed_chunk, space_future, root, chunk, excerpt, sample_rate, pure=False)
            for chunk in chunks
        ]
        position = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        try:
            for future in as_completed(futures, loop=client.loop):
                i = position[future.key]
                results[i] = future.result()
                bar.update(len(chunks[i]))
        except BaseException:
            client.cancel(futures)
            raise
        return results


def embed_music_folder(
    folder: str | os.PathLike,
    space: str | FeatureSpace = "acoustic",
    *,
    scheduler=None,
    chunk_size: int = 64,
    excerpt=15.0,
    sample_rate: int | None = None,
    progressbar: bool = True,
    connect_timeout: float = 10.0,
    n_workers: int | None = None,
    return_failures: bool = False,
    **index_kwargs,
):
    """Embed every audio file of a folder and index them for retrieval.

    Files ending in :data:`AUDIO_SUFFIXES` are collected recursively (see
    :func:`find_audio_files`) and read with soundfile (libsndfile: WAV, FLAC, OGG and, from
    libsndfile 1.1, MP3). A file that cannot be read or embedded is skipped; all skipped files
    are named in one :class:`UnreadableAudioWarning` at the end.

    Parameters
    ----------
    folder : str or path-like
        Directory of music; a file's parent folder name is taken as its genre (e.g.
        GTZAN's ``genres/blues/blues.00000.wav``).
    space : str or FeatureSpace, default "acoustic"
        An audio feature space, by name (:func:`b2m.features.get_feature_space`) or built.
    scheduler : None, "local", str or distributed.Client, default None
        None: run in this process. ``"local"``: start a ``dask.distributed.LocalCluster``
        (``n_workers`` processes, one thread each) for this call. Another string: the address
        of a running Dask scheduler (``"tcp://host:8786"``), whose workers must have b2m
        installed. A ``distributed.Client`` is used as is (and not closed). Dask needs the
        ``dask`` extra.
    chunk_size : int, default 64
        Files per task.
    excerpt : float, (float, float) or None, default 15.0
        What to embed of each file: a length in seconds taken from the middle (the whole
        file when shorter), a ``(start, end)`` window in seconds (cut at the file's end; a
        file shorter than ``start`` is skipped), or None for the whole file.
    sample_rate : int, optional
        Resample every file to this rate before embedding; default: each file's own rate
        (the feature space resamples as it needs).
    progressbar : bool, default True
        Show a progress bar over files (``B2M_PROGRESS=0`` silences it).
    connect_timeout : float, default 10.0
        Seconds to wait for a scheduler given by address.
    n_workers : int, optional
        Worker processes of ``scheduler="local"`` (default: Dask's choice from the cores).
    return_failures : bool, default False
        Also return the skipped files instead of warning about them.
    **index_kwargs
        Passed to :class:`b2m.models.LibraryIndex` (``backend``, ``index``…).

    Returns
    -------
    LibraryIndex
        ``embeddings`` of shape (n_files, n_dims) (L2-normalised by the index), in the order
        of the files' relative paths, and ``metadata`` with the columns ``clip_id`` (relative
        path without suffix), ``path`` (absolute), ``genre`` (parent folder name; missing for
        files directly in ``folder``), ``duration`` (s, whole file), ``start``, ``end`` (s,
        the excerpt embedded) and ``sample_rate`` (Hz, as embedded).
    failures : list of (str, str)
        Only with ``return_failures=True``: ``(relative path, reason)`` of each skipped file.

    Raises
    ------
    FileNotFoundError
        If ``folder`` is not a directory.
    ValueError
        If ``folder`` holds no audio file, none could be used, ``space`` does not embed
        audio, or ``chunk_size``, ``excerpt`` or ``sample_rate`` is invalid.
    ConnectionError
        If no scheduler answers at the given address within ``connect_timeout``.
    ImportError
        If a scheduler is asked for and dask.distributed is not installed.

    Examples
    --------
    >>> index = embed_music_folder("~/gtzan/genres", "acoustic", scheduler="local")  # doctest: +SKIP
    >>> index.save("~/b2m_data/libraries/gtzan-acoustic")  # doctest: +SKIP
    """
    from b2m.models import LibraryIndex

    chunk_size = _check_positive_int(chunk_size, "chunk_size")
    excerpt_spec = check_excerpt(excerpt)
    if sample_rate is not None:
        sample_rate = check_sr(sample_rate, "sample_rate")
    if not (isinstance(connect_timeout, int | float) and connect_timeout > 0):
        raise ValueError(
            f"connect_timeout must be a positive number; received {connect_timeout!r}."
        )
    if n_workers is not None:
        n_workers = _check_positive_int(n_workers, "n_workers")
    if scheduler is not None and not isinstance(scheduler, str) and not _is_client(scheduler):
        raise TypeError(
            "scheduler must be None, 'local', a scheduler address or a distributed.Client; "
            f"received {type(scheduler).__name__}."
        )
    if isinstance(scheduler, str) and not scheduler.strip():
        raise ValueError("scheduler must be None, 'local' or a scheduler address; received ''.")
    space = resolve_feature_space(space, modality="audio")
    root = Path(folder).expanduser()
    files = find_audio_files(root)
    if not files:
        raise ValueError(
            f"folder must contain audio files ({', '.join(AUDIO_SUFFIXES)}); none found under "
            f"{str(root)!r}."
        )
    relpaths = [f.as_posix() for f in files]
    chunks = [relpaths[i : i + chunk_size] for i in range(0, len(relpaths), chunk_size)]
    bar = progress(
        total=len(relpaths),
        desc=f"Embedding music ({space.name})",
        unit="file",
        disable=None if progressbar else True,
    )
    try:
        if scheduler is None:
            results = []
            for chunk in chunks:
                results.append(embed_chunk(space, str(root), chunk, excerpt_spec, sample_rate))
                bar.update(len(chunk))
        else:
            results = _run_dask(
                scheduler,
                space,
                str(root),
                chunks,
                excerpt_spec,
                sample_rate,
                timeout=float(connect_timeout),
                n_workers=n_workers,
                bar=bar,
            )
    finally:
        bar.close()
    failures = [f for r in results for f in r["failures"]]
    parts = [r["embeddings"] for r in results if r["embeddings"] is not None]
    if not parts:
        shown = "; ".join(f"{p}: {why}" for p, why in failures[:3])
        raise ValueError(
            f"folder: none of the {len(relpaths)} audio files under {str(root)!r} could be "
            f"read and embedded ({shown}{'; …' if len(failures) > 3 else ''})."
        )
    metadata = pd.DataFrame([row for r in results for row in r["rows"]], columns=METADATA_COLUMNS)
    index = LibraryIndex(np.concatenate(parts), metadata, **index_kwargs)
    if return_failures:
        return index, failures
    if failures:
        listed = "\n".join(f"  {p}: {why}" for p, why in failures)
        warnings.warn(
            UnreadableAudioWarning(
                f"Skipped {len(failures)} of {len(relpaths)} audio files under {str(root)!r}:\n"
                f"{listed}",
                failures,
            ),
            stacklevel=2,
        )
    return index
