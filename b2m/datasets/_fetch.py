"""Download files listed in the data manifest, verified, into the data home.

Every download goes through :func:`pooch.retrieve`, which streams into a temporary file beside
the target and moves it into place only after its hash matched, so an interrupted or corrupt
download never appears at the final path. On top of pooch this module checks the size, turns
HTTP and hash failures into errors that name the file, the URL and what was expected, and
remembers which files were verified so that later calls do not re-hash gigabytes.

URL override
------------
Set the environment variable ``B2M_MIRROR_URL`` (e.g. ``http://127.0.0.1:8000/mirror``) to
download every file from ``<B2M_MIRROR_URL>/<dataset>/<path>`` instead of the manifest's URLs:
for a local mirror, a lab cache, or tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path
from urllib.parse import quote

import pooch

from b2m._utils._io import atomic_path, save_json
from b2m._utils._progress import progress
from b2m.config import get_data_home
from b2m.datasets._events import TR
from b2m.datasets._manifest import DatasetEntry, FileEntry, load_manifest

__all__ = [
    "MIRROR_ENV_VAR",
    "ChecksumError",
    "DownloadError",
    "fetch_ds003720",
    "fetch_file",
]

#: Environment variable whose value replaces the URL prefix: ``<value>/<dataset>/<path>``.
MIRROR_ENV_VAR = "B2M_MIRROR_URL"

_CHUNK_SIZE = 1 << 20
_STAMP_DIR = ".b2m_verified"
_EVENTS_DIR = Path(__file__).resolve().parent / "data" / "ds003720_events"
_DS003720 = "ds003720"
_DS003720_BIDS_VERSION = "1.4.0"


class ChecksumError(ValueError):
    """A downloaded file's hash or size differs from the manifest; the download was deleted.

    Attributes
    ----------
    path : str
        The file's path in the manifest.
    url : str
        Where it was downloaded from.
    expected, received : str
        The manifest's value and the downloaded file's (``"md5:..."`` or ``"<n> bytes"``).
    """

    def __init__(self, message: str, *, path: str, url: str, expected: str, received: str):
        super().__init__(message)
        self.path, self.url, self.expected, self.received = path, url, expected, received


class DownloadError(OSError):
    """A file could not be downloaded (HTTP error status, refused or broken connection).

    Attributes
    ----------
    path : str
        The file's path in the manifest.
    url : str
        The URL that failed.
    status : int or None
        The HTTP status code, when the server answered.
    """

    def __init__(self, message: str, *, path: str, url: str, status: int | None = None):
        super().__init__(message)
        self.path, self.url, self.status = path, url, status

    def __str__(self) -> str:
        return str(self.args[0])


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------
def fetch_file(
    entry: FileEntry,
    *,
    data_home: str | os.PathLike | None = None,
    dataset: str = _DS003720,
    progressbar: bool = True,
    downloader=None,
) -> Path:
    """Download one manifest file into the data home, verified; return its local path.

    A file already present with the manifest's size and hash is not downloaded again (the
    verification is remembered, keyed by size and modification time, so later calls do not
    re-hash it). A present file with the wrong size or hash is deleted and downloaded afresh.
    The URLs of the entry are tried in order; ``B2M_MIRROR_URL`` replaces them all with
    ``<B2M_MIRROR_URL>/<dataset>/<path>``.

    Parameters
    ----------
    entry : FileEntry
        The manifest entry (see :func:`b2m.datasets._manifest.load_manifest`).
    data_home : str or path-like, optional
        Data home; defaults to ``B2M_DATA`` or ``~/b2m_data``
        (see :func:`b2m.config.get_data_home`).
    dataset : str, default "ds003720"
        Dataset folder inside the data home; the file lands at ``<data_home>/<dataset>/<path>``.
    progressbar : bool, default True
        Show a byte progress bar (tqdm, notebook-aware; ``B2M_PROGRESS=0`` silences it).
    downloader : callable, optional
        A pooch downloader ``downloader(url, output_file, pooch)`` to use instead of pooch's
        HTTP downloader (its progress display is then its own business).

    Returns
    -------
    pathlib.Path
        The verified local file.

    Raises
    ------
    ChecksumError
        If the downloaded file's size or hash differs from the manifest (nothing is kept).
    DownloadError
        If the server answered with an HTTP error, or the connection failed or broke off
        (nothing is kept).
    ValueError
        If ``dataset`` or ``B2M_MIRROR_URL`` is malformed.
    """
    if not isinstance(entry, FileEntry):
        raise TypeError(
            f"entry must be a FileEntry from the manifest; received {type(entry).__name__}."
        )
    if not isinstance(dataset, str) or not dataset or "/" in dataset or dataset in (".", ".."):
        raise ValueError(f"dataset must be a folder name such as 'ds003720'; received {dataset!r}.")
    root = get_data_home(data_home) / dataset
    dest = root / entry.path
    if dest.exists() and _present_and_valid(root, entry, dest, dataset):
        return dest

    errors: list[ChecksumError | DownloadError] = []
    for url in _urls(entry, dataset):
        try:
            _download(url, entry, root, dataset, progressbar=progressbar, downloader=downloader)
        except (ChecksumError, DownloadError) as exc:
            errors.append(exc)
            continue
        _write_stamp(root, entry, dest)
        return dest
    if len(errors) == 1:
        raise errors[0]
    lines = "\n".join(f"  - {e.url}: {e}" for e in errors)
    message = f"Could not fetch {entry.path!r} (dataset {dataset!r}) from any of its URLs:\n{lines}"
    last = errors[-1]
    if all(isinstance(e, ChecksumError) for e in errors):
        raise ChecksumError(
            message, path=entry.path, url=last.url, expected=last.expected, received=last.received
        ) from last
    raise DownloadError(message, path=entry.path, url=last.url) from last


def _urls(entry: FileEntry, dataset: str) -> tuple[str, ...]:
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if not mirror:
        return entry.urls
    if not mirror.startswith(("http://", "https://")):
        raise ValueError(
            f"{MIRROR_ENV_VAR} must be an http:// or https:// URL prefix; received {mirror!r}."
        )
    return (f"{mirror.rstrip('/')}/{quote(dataset)}/{quote(entry.path)}",)


def _file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK_SIZE), b""):
            digest.update(block)
    return f"{algorithm}:{digest.hexdigest()}"


def _stamp_path(root: Path, entry: FileEntry) -> Path:
    return root / _STAMP_DIR / f"{entry.path}.json"


def _write_stamp(root: Path, entry: FileEntry, dest: Path) -> None:
    stat = dest.stat()
    stamp = {"hash": entry.hash, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        save_json(_stamp_path(root, entry), stamp)
    except OSError:  # a read-only data home only loses the shortcut
        pass


def _stamp_matches(root: Path, entry: FileEntry, dest: Path) -> bool:
    try:
        stamp = json.loads(_stamp_path(root, entry).read_text())
        stat = dest.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"hash": entry.hash, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _present_and_valid(root: Path, entry: FileEntry, dest: Path, dataset: str) -> bool:
    """Whether ``dest`` holds the right file; delete it (with a warning) when it does not."""
    if entry.size == dest.stat().st_size and _stamp_matches(root, entry, dest):
        return True
    size = dest.stat().st_size
    if size != entry.size:
        problem = f"its size is {size} bytes, expected {entry.size}"
    else:
        received = _file_hash(dest, entry.hash_algorithm)
        if received == entry.hash:
            _write_stamp(root, entry, dest)
            return True
        problem = f"its hash is {received}, expected {entry.hash}"
    warnings.warn(
        f"Local file {str(dest)!r} (dataset {dataset!r}) does not match the manifest: {problem}. "
        "Deleting it and downloading it again.",
        UserWarning,
        stacklevel=3,
    )
    dest.unlink()
    _stamp_path(root, entry).unlink(missing_ok=True)
    return False


class _VerifyingDownloader:
    """Wrap a pooch downloader: translate network errors, check size and hash of the download.

    Runs inside :func:`pooch.retrieve` on the temporary file, so a failure here makes pooch
    delete the temporary file and leave the final path untouched.
    """

    def __init__(self, inner, entry: FileEntry, dataset: str):
        self.inner, self.entry, self.dataset = inner, entry, dataset

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        import requests

        entry, what = self.entry, f"{self.entry.path!r} (dataset {self.dataset!r})"
        if check_only:
            return self.inner(url, output_file, pooch_obj, check_only=True)
        try:
            self.inner(url, output_file, pooch_obj)
        except requests.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else None
            reason = f" {response.reason}" if response is not None and response.reason else ""
            raise DownloadError(
                f"Could not download {what}: HTTP {status}{reason} from {url}. Check the URL in "
                f"data_manifest.yaml or the {MIRROR_ENV_VAR} environment variable.",
                path=entry.path,
                url=url,
                status=status,
            ) from exc
        except requests.RequestException as exc:
            raise DownloadError(
                f"Could not download {what} from {url}: the connection failed or broke off "
                f"({type(exc).__name__}: {exc}). Nothing was kept; try again.",
                path=entry.path,
                url=url,
            ) from exc
        size = Path(output_file).stat().st_size
        if size != entry.size:
            raise ChecksumError(
                f"Size mismatch for {what} downloaded from {url}: expected {entry.size} bytes "
                f"(from the data manifest), received {size} bytes. The download was deleted; the "
                "transfer was cut short or the manifest is out of date.",
                path=entry.path,
                url=url,
                expected=f"{entry.size} bytes",
                received=f"{size} bytes",
            )
        received = _file_hash(Path(output_file), entry.hash_algorithm)
        if received != entry.hash:
            raise ChecksumError(
                f"Checksum mismatch for {what} downloaded from {url}: expected {entry.hash} "
                f"(from the data manifest), received {received}. The download was deleted; the "
                "file was corrupted in transit or the manifest is out of date.",
                path=entry.path,
                url=url,
                expected=entry.hash,
                received=received,
            )
        return None


def _download(url, entry: FileEntry, root: Path, dataset: str, *, progressbar, downloader):
    bar = None
    if downloader is None:
        if progressbar:
            bar = progress(
                total=entry.size, desc=entry.name, unit="B", unit_scale=True, unit_divisor=1024
            )
        downloader = pooch.HTTPDownloader(
            progressbar=bar if bar is not None else False, chunk_size=_CHUNK_SIZE
        )
    try:
        pooch.retrieve(
            url,
            known_hash=entry.hash,
            fname=entry.path,
            path=root,
            downloader=_VerifyingDownloader(downloader, entry, dataset),
        )
    finally:
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------------------------
# ds003720
# --------------------------------------------------------------------------------------------
def fetch_ds003720(
    subjects=None,
    tasks=None,
    runs=None,
    *,
    data_home: str | os.PathLike | None = None,
    include_anat: bool = True,
    progressbar: bool = True,
) -> Path:
    """Download (part of) the Music Genre fMRI Dataset, OpenNeuro ds003720, as a BIDS tree.

    Fetches the selected NIfTI images listed in the data manifest (46.5 GB in all; one BOLD
    run is 490 MiB), verified by MD5, and writes the packaged ``events.tsv`` files, a
    ``dataset_description.json`` and task-level ``*_bold.json`` sidecars (``TaskName``,
    ``RepetitionTime``) beside them where absent, so the folder is a valid BIDS dataset.
    Files already present and verified are not downloaded again.

    Parameters
    ----------
    subjects : str, int or iterable of them, optional
        Subjects as ``"sub-001"``, ``"001"`` or ``1``; None fetches all five.
    tasks : {"Training", "Test"} or iterable of them, optional
        None fetches both.
    runs : int or iterable of int, optional
        Run numbers (Training 1-12, Test 1-6); None fetches all.
    data_home : str or path-like, optional
        Data home; defaults to ``B2M_DATA`` or ``~/b2m_data``.
    include_anat : bool, default True
        Also fetch each selected subject's T1-weighted image (``anat/sub-XXX_T1w.nii``).
    progressbar : bool, default True
        Show progress bars (files, and bytes per file).

    Returns
    -------
    pathlib.Path
        The BIDS root, ``<data_home>/ds003720``.

    Raises
    ------
    ValueError
        If a subject, task or run does not exist (the message lists the valid ones) or the
        selection matches no file.
    ChecksumError, DownloadError
        If a download fails (see :func:`fetch_file`); files fetched before stay.

    Notes
    -----
    Set ``B2M_MIRROR_URL`` to download from a mirror instead of OpenNeuro's S3 bucket.
    """
    for name, value in (("include_anat", include_anat), ("progressbar", progressbar)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False; received {value!r}.")
    ds = load_manifest().dataset(_DS003720)
    kinds = None if include_anat else ("func",)
    files = ds.files_matching(subjects=subjects, tasks=tasks, runs=runs, kinds=kinds)
    if not files:
        raise ValueError(
            f"No ds003720 file matches subjects={subjects!r}, tasks={tasks!r}, runs={runs!r}, "
            f"include_anat={include_anat!r}; Test runs are 1-6 and Training runs 1-12."
        )
    root = get_data_home(data_home) / _DS003720
    _write_bids_metadata(root, ds, files)
    items = (
        progress(files, desc="ds003720", unit="file") if progressbar and len(files) > 1 else files
    )
    try:
        for entry in items:
            fetch_file(entry, data_home=data_home, dataset=_DS003720, progressbar=progressbar)
    finally:
        if items is not files:
            items.close()
    return root


def _write_if_absent(target: Path, data: bytes) -> None:
    if target.exists():
        return
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def _write_bids_metadata(root: Path, ds: DatasetEntry, files) -> None:
    """Write dataset_description.json, task sidecars and events.tsv files where absent."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "dataset_description.json").exists():
        description = {
            "Name": ds.title or ds.name,
            "BIDSVersion": _DS003720_BIDS_VERSION,
            "License": ds.licence,
            "Authors": list(ds.authors),
            "ReferencesAndLinks": [ds.citation] if ds.citation else [],
            "DatasetDOI": ds.doi,
        }
        save_json(root / "dataset_description.json", description)
    for task in sorted({f.entities["task"] for f in files if "task" in f.entities}):
        sidecar = root / f"task-{task}_bold.json"
        if not sidecar.exists():
            save_json(sidecar, {"TaskName": task, "RepetitionTime": TR})
    for entry in files:
        if entry.suffix != "bold":
            continue
        ent = entry.entities
        packaged = _EVENTS_DIR / f"task-{ent['task']}_run-{ent['run']}_events.tsv"
        target = root / re.sub(r"_bold\.nii(\.gz)?$", "_events.tsv", entry.path)
        if packaged.is_file():
            _write_if_absent(target, packaged.read_bytes())
