"""Read and validate ``data_manifest.yaml``, the one list of every external file.

The manifest ships inside the package (``b2m/data/data_manifest.yaml``); its schema is
documented at the top of that file. :func:`load_manifest` parses it into small frozen
dataclasses and rejects anything malformed with an error that names the dataset, the entry and
the field.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NoReturn

import yaml

from b2m._utils._validation import UnknownNameError

__all__ = [
    "MANIFEST_PATH",
    "DatasetEntry",
    "FileEntry",
    "Manifest",
    "ManifestError",
    "load_manifest",
]

#: The manifest packaged with b2m.
MANIFEST_PATH = Path(__file__).resolve().parent.parent / "data" / "data_manifest.yaml"

_SCHEMA_VERSION = 1
_HASH_LENGTHS = {"md5": 32, "sha256": 64}
_HASH_RE = re.compile(r"^(md5|sha256):([0-9a-f]+)$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ENTITY_RE = re.compile(r"^([A-Za-z]+)-([A-Za-z0-9]+)$")

_TOP_KEYS = {"version", "datasets"}
_DATASET_REQUIRED = ("description", "licence", "redistributable", "provenance", "homepage")
_DATASET_OPTIONAL = {
    "title",
    "authors",
    "citation",
    "doi",
    "release",
    "notes",
    "known_issues",
    "files",
    "local_only",
    "instructions",
    "default_dir",
    "expected_layout",
    "repo_id",
    "revision",
    "pinned",
}
_DATASET_KEYS = set(_DATASET_REQUIRED) | _DATASET_OPTIONAL
_FILE_KEYS = {"path", "url", "urls", "size", "hash", "kind"}
_HASH_HELP = "a string 'sha256:<64 hex digits>' or 'md5:<32 hex digits>' (lower case)"


class ManifestError(ValueError):
    """A data manifest does not follow the schema (the message names where and which field)."""


# --------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileEntry:
    """One downloadable file of a dataset.

    Parameters
    ----------
    path : str
        Relative POSIX path of the file inside the dataset folder
        (``<data_home>/<dataset>/<path>``).
    urls : tuple of str
        Where to download it from, tried in order.
    size : int
        Size in bytes.
    hash : str
        ``"md5:<hex>"`` or ``"sha256:<hex>"``.
    kind : str or None, default None
        Category used for filtering (the BIDS datatype, ``"anat"`` or ``"func"``, for ds003720).
    """

    path: str
    urls: tuple[str, ...]
    size: int
    hash: str
    kind: str | None = None

    @property
    def url(self) -> str:
        """The primary URL (the first of :attr:`urls`)."""
        return self.urls[0]

    @property
    def name(self) -> str:
        """The file name, without its folders."""
        return PurePosixPath(self.path).name

    @property
    def hash_algorithm(self) -> str:
        """The hash algorithm, ``"md5"`` or ``"sha256"``."""
        return self.hash.split(":", 1)[0]

    @property
    def entities(self) -> dict[str, str]:
        """BIDS entities parsed from the file name, e.g. ``{"sub": "001", "task": "Test"}``.

        Returns
        -------
        dict of str to str
            Entity key to label, in file-name order; empty when the name is not BIDS-like.
        """
        stem = self.name.split(".", 1)[0]
        out: dict[str, str] = {}
        for part in stem.split("_"):
            match = _ENTITY_RE.match(part)
            if match:
                out[match.group(1)] = match.group(2)
        return out

    @property
    def suffix(self) -> str | None:
        """The BIDS suffix (``"bold"``, ``"T1w"``), or None when the name has none."""
        stem = self.name.split(".", 1)[0]
        last = stem.rsplit("_", 1)[-1]
        return None if "-" in last or last == stem else last


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset of the manifest: its terms, provenance and files.

    Attributes mirror the manifest's fields (see the schema at the top of
    ``data_manifest.yaml``); ``files`` is empty for ``local_only`` datasets.
    """

    name: str
    description: str
    licence: str
    redistributable: bool
    provenance: str
    homepage: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    citation: str | None = None
    doi: str | None = None
    release: str | None = None
    notes: str | None = None
    known_issues: tuple[str, ...] = ()
    files: tuple[FileEntry, ...] = ()
    local_only: bool = False
    instructions: str | None = None
    default_dir: str | None = None
    expected_layout: tuple[str, ...] = ()
    repo_id: str | None = None
    revision: str | None = None
    pinned: bool | None = None

    @property
    def total_size(self) -> int:
        """Total size in bytes of :attr:`files`."""
        return sum(f.size for f in self.files)

    @property
    def subjects(self) -> tuple[str, ...]:
        """Sorted subject labels found in the file names, e.g. ``("sub-001", ...)``."""
        return tuple(f"sub-{v}" for v in self._entity_values("sub"))

    @property
    def tasks(self) -> tuple[str, ...]:
        """Sorted task labels found in the file names, e.g. ``("Test", "Training")``."""
        return self._entity_values("task")

    @property
    def kinds(self) -> tuple[str, ...]:
        """Sorted distinct ``kind`` values of the files."""
        return tuple(sorted({f.kind for f in self.files if f.kind is not None}))

    def _entity_values(self, key: str) -> tuple[str, ...]:
        return tuple(sorted({f.entities[key] for f in self.files if key in f.entities}))

    def file(self, path: str) -> FileEntry:
        """Return the entry of one file by its path.

        Parameters
        ----------
        path : str
            Relative path as written in the manifest.

        Returns
        -------
        FileEntry

        Raises
        ------
        KeyError
            If the dataset has no such file.
        """
        for entry in self.files:
            if entry.path == path:
                return entry
        raise UnknownNameError(f"path must be a file of dataset {self.name!r}; received {path!r}.")

    def files_matching(
        self,
        subjects=None,
        tasks=None,
        runs=None,
        kinds=None,
    ) -> tuple[FileEntry, ...]:
        """Select files by BIDS entities and kind.

        Task and run filters only apply to files that carry a task or run in their name, so an
        anatomical image of a selected subject stays selected unless ``kinds`` excludes it.

        Parameters
        ----------
        subjects : str, int or iterable of them, optional
            Subjects as ``"sub-001"``, ``"001"`` or ``1``. None keeps all.
        tasks : str or iterable of str, optional
            Task labels such as ``"Training"`` or ``"Test"`` (case-insensitive; a ``"task-"``
            prefix is accepted). None keeps all.
        runs : int, str or iterable of them, optional
            Run numbers such as ``1`` or ``"run-01"``. None keeps all.
        kinds : str or iterable of str, optional
            Values of the files' ``kind`` (``"anat"``, ``"func"``). None keeps all.

        Returns
        -------
        tuple of FileEntry
            The matching files, in manifest order (possibly empty).

        Raises
        ------
        ValueError
            If the dataset is ``local_only`` or a requested subject, task, run or kind does not
            occur in the dataset (the message lists the valid values).
        TypeError
            If a value has the wrong type.
        """
        if self.local_only:
            raise ValueError(
                f"dataset {self.name!r} is local_only and lists no files to match; "
                f"see its instructions: {self.instructions}"
            )
        sub_ok = _entity_filter(self, "sub", subjects, "subjects", numeric=True)
        task_ok = _entity_filter(self, "task", tasks, "tasks", numeric=False)
        run_ok = _entity_filter(self, "run", runs, "runs", numeric=True)
        kind_set = None
        if kinds is not None:
            kind_set = set(_as_tuple(kinds, "kinds", (str,)))
            unknown = sorted(kind_set - set(self.kinds))
            if unknown:
                raise ValueError(
                    f"kinds must be among {list(self.kinds)} for dataset {self.name!r}; "
                    f"received {unknown[0]!r}."
                )
        out = []
        for entry in self.files:
            ent = entry.entities
            if kind_set is not None and entry.kind not in kind_set:
                continue
            if not (sub_ok(ent) and task_ok(ent) and run_ok(ent)):
                continue
            out.append(entry)
        return tuple(out)


def _as_tuple(value, name: str, types: tuple[type, ...]) -> tuple:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = (value,)
    elif not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a label, an int or an iterable of them; "
            f"received {type(value).__name__}."
        )
    items = tuple(value)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, types):
            want = " or ".join(t.__name__ for t in types)
            raise TypeError(
                f"{name} must contain {want} values; received {item!r} ({type(item).__name__})."
            )
    return items


def _entity_filter(ds: DatasetEntry, key: str, requested, name: str, *, numeric: bool):
    """Return a predicate on a file's entities; validate the requested labels."""
    if requested is None:
        return lambda ent: True
    items = _as_tuple(requested, name, (str, int) if numeric else (str,))
    available = ds._entity_values(key)
    wanted: set[str] = set()
    for item in items:
        label = str(item)
        if isinstance(item, str) and label.lower().startswith(f"{key}-"):
            label = label[len(key) + 1 :]
        matches = [
            a
            for a in available
            if a == label
            or (not numeric and a.lower() == label.lower())
            or (numeric and a.isdigit() and label.isdigit() and int(a) == int(label))
        ]
        if not matches:
            shown = [f"{key}-{a}" for a in available] if key == "sub" else list(available)
            hint = {
                "sub": " (as 'sub-001', '001' or 1)",
                "run": " (as 1 or 'run-01')",
            }.get(key, "")
            raise ValueError(
                f"{name} must be among {shown}{hint} for dataset {ds.name!r}; received {item!r}."
            )
        wanted.update(matches)
    return lambda ent: key not in ent or ent[key] in wanted


@dataclass(frozen=True)
class Manifest:
    """The parsed data manifest.

    Attributes
    ----------
    version : int
        Schema version.
    datasets : tuple of DatasetEntry
        Datasets in manifest order.
    source : str or None
        Where the manifest was read from.
    """

    version: int
    datasets: tuple[DatasetEntry, ...]
    source: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Dataset names, in manifest order."""
        return tuple(d.name for d in self.datasets)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[DatasetEntry]:
        return iter(self.datasets)

    def dataset(self, name: str) -> DatasetEntry:
        """Return one dataset by name.

        Parameters
        ----------
        name : str
            Dataset name, e.g. ``"ds003720"``.

        Returns
        -------
        DatasetEntry

        Raises
        ------
        KeyError
            If the manifest has no such dataset (the message lists the known ones).
        """
        for entry in self.datasets:
            if entry.name == name:
                return entry
        raise UnknownNameError(f"dataset must be one of {list(self.names)}; received {name!r}.")


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------
def load_manifest(path: str | os.PathLike | None = None) -> Manifest:
    """Read and validate a data manifest.

    Parameters
    ----------
    path : str or path-like, optional
        A manifest YAML file. Defaults to the manifest packaged with b2m (parsed once and
        cached).

    Returns
    -------
    Manifest

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ManifestError
        If the file is not valid YAML or does not follow the schema. The message names the
        dataset, the file entry and the field at fault, e.g. ``datasets.ds003720.files[3]
        ('sub-001/func/...'): missing required field 'hash'``.
    """
    if path is None:
        return _load_packaged()
    return _load(Path(path))


@functools.lru_cache(maxsize=1)
def _load_packaged() -> Manifest:
    return _load(MANIFEST_PATH)


def _load(path: Path) -> Manifest:
    if not path.is_file():
        raise FileNotFoundError(f"path must be an existing manifest file; received {str(path)!r}.")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise ManifestError(
            f"Invalid data manifest {str(path)!r}: not valid YAML ({exc})."
        ) from None
    return _parse(raw, source=str(path))


def _fail(source: str, where: str, message: str) -> NoReturn:
    raise ManifestError(f"Invalid data manifest {source!r}: {where}: {message}")


def _check_keys(source, where, mapping, allowed, required=()):
    unknown = sorted(set(mapping) - set(allowed), key=str)
    if unknown:
        _fail(
            source,
            where,
            f"unknown field {unknown[0]!r}; expected fields among {sorted(allowed)}.",
        )
    for key in required:
        if key not in mapping:
            _fail(source, where, f"missing required field {key!r}.")


def _check_type(source, where, key, value, types, desc):
    bad = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
    if bad:
        _fail(
            source,
            where,
            f"field {key!r} must be {desc}; received {value!r} ({type(value).__name__}).",
        )
    return value


def _check_str_list(source, where, key, value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(source, where, f"field {key!r} must be a list of strings; received {value!r}.")
    return tuple(value)


def _parse(raw, *, source: str) -> Manifest:
    if not isinstance(raw, dict):
        _fail(source, "top level", f"expected a mapping; received {type(raw).__name__}.")
    _check_keys(source, "top level", raw, _TOP_KEYS, required=("version", "datasets"))
    version = raw["version"]
    if version != _SCHEMA_VERSION or isinstance(version, bool):
        _fail(
            source, "top level", f"field 'version' must be {_SCHEMA_VERSION}; received {version!r}."
        )
    datasets = raw["datasets"]
    if not isinstance(datasets, dict) or not datasets:
        _fail(source, "top level", "field 'datasets' must be a non-empty mapping of name -> entry.")
    entries = tuple(_parse_dataset(source, name, body) for name, body in datasets.items())
    return Manifest(version=version, datasets=entries, source=source)


def _parse_dataset(source: str, name, body) -> DatasetEntry:
    where = f"datasets.{name}"
    if not isinstance(name, str) or not _NAME_RE.match(name):
        _fail(
            source, where, f"dataset names must be letters, digits, '_' or '-'; received {name!r}."
        )
    if not isinstance(body, dict):
        _fail(source, where, f"expected a mapping of fields; received {type(body).__name__}.")
    _check_keys(source, where, body, _DATASET_KEYS, required=_DATASET_REQUIRED)
    kw: dict = {"name": name}
    for key in ("description", "licence", "provenance", "homepage"):
        kw[key] = _check_type(source, where, key, body[key], (str,), "a string")
    kw["redistributable"] = _check_type(
        source, where, "redistributable", body["redistributable"], (bool,), "true or false"
    )
    for key in (
        "title",
        "citation",
        "doi",
        "release",
        "notes",
        "instructions",
        "default_dir",
        "repo_id",
        "revision",
    ):
        if key in body:
            kw[key] = _check_type(source, where, key, body[key], (str,), "a string")
    for key in ("authors", "known_issues", "expected_layout"):
        if key in body:
            kw[key] = _check_str_list(source, where, key, body[key])
    if "pinned" in body:
        kw["pinned"] = _check_type(
            source, where, "pinned", body["pinned"], (bool,), "true or false"
        )
    if "default_dir" in kw:
        _check_rel_path(source, where, "default_dir", kw["default_dir"])

    local_only = body.get("local_only", False)
    if local_only is not True and local_only is not False:
        _fail(source, where, f"field 'local_only' must be true or false; received {local_only!r}.")
    has_files = "files" in body
    if local_only and has_files:
        _fail(source, where, "give either 'files' or 'local_only: true', not both.")
    if not local_only and not has_files:
        _fail(source, where, "missing required field 'files' (or 'local_only: true').")
    if local_only and "instructions" not in body:
        _fail(source, where, "missing required field 'instructions' (required with local_only).")
    kw["local_only"] = local_only
    if has_files:
        kw["files"] = _parse_files(source, where, body["files"])
    return DatasetEntry(**kw)


def _check_rel_path(source, where, key, value: str) -> None:
    pure = PurePosixPath(value)
    if (
        not value
        or "\\" in value
        or pure.is_absolute()
        or any(part in ("..", ".") for part in value.split("/"))
        or value.endswith("/")
    ):
        _fail(
            source,
            where,
            f"field {key!r} must be a relative POSIX path without '.', '..' or a trailing '/'; "
            f"received {value!r}.",
        )


def _parse_files(source: str, where: str, files) -> tuple[FileEntry, ...]:
    if not isinstance(files, list) or not files:
        _fail(source, where, "field 'files' must be a non-empty list of file entries.")
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(files):
        here = f"{where}.files[{i}]"
        if not isinstance(item, dict):
            _fail(source, here, f"expected a mapping of fields; received {type(item).__name__}.")
        if isinstance(item.get("path"), str):
            here = f"{here} ({item['path']!r})"
        _check_keys(source, here, item, _FILE_KEYS, required=("path",))
        path = _check_type(source, here, "path", item["path"], (str,), "a string")
        _check_rel_path(source, here, "path", path)
        if path in seen:
            _fail(source, here, f"duplicate path {path!r} (also files[{seen[path]}]).")
        seen[path] = i

        if "url" in item and "urls" in item:
            _fail(source, here, "give either 'url' or 'urls', not both.")
        if "url" in item:
            urls = [item["url"]]
        elif "urls" in item:
            urls = item["urls"]
            if not isinstance(urls, list) or not urls:
                _fail(source, here, f"field 'urls' must be a non-empty list; received {urls!r}.")
        else:
            _fail(source, here, "missing required field 'url' (or 'urls').")
        for url in urls:
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                _fail(
                    source,
                    here,
                    f"field 'url' must be an http:// or https:// URL; received {url!r}.",
                )

        if "size" not in item:
            _fail(source, here, "missing required field 'size' (bytes).")
        size = item["size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            _fail(
                source,
                here,
                f"field 'size' must be a non-negative integer (bytes); received {size!r}.",
            )

        if "hash" not in item:
            _fail(source, here, f"missing required field 'hash'; expected {_HASH_HELP}.")
        digest = item["hash"]
        match = _HASH_RE.match(digest) if isinstance(digest, str) else None
        if match is None or len(match.group(2)) != _HASH_LENGTHS[match.group(1)]:
            _fail(source, here, f"field 'hash' must be {_HASH_HELP}; received {digest!r}.")

        kind = item.get("kind")
        if kind is not None:
            _check_type(source, here, "kind", kind, (str,), "a string")
        out.append(FileEntry(path=path, urls=tuple(urls), size=size, hash=digest, kind=kind))
    return tuple(out)
