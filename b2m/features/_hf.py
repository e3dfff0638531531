"""Shared machinery of the weight-bearing feature spaces (Hugging Face ``transformers`` models).

:func:`resolve_model` finds a saved model on this machine only (a folder given, the manifest's
folder under the data home, or a snapshot in the Hugging Face cache) and identifies its weights
(cache commit, or a content hash of a folder) for cache keys; it never downloads.
:class:`WindowedAudioSpace` resamples clips, cuts them into windows and batches them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from b2m._utils._audio import resample
from b2m._utils._parallel import numpy_blas_beside_torch
from b2m._utils._progress import progress
from b2m.features._base import FeatureSpace, check_sr, check_waveforms

__all__ = [
    "ModelSource",
    "WindowedAudioSpace",
    "directory_fingerprint",
    "hf_hub_cache",
    "import_transformers",
    "resample",
    "resolve_model",
    "window_starts",
]

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_CHUNK = 8 << 20
_FINGERPRINTS: dict[tuple, str] = {}


@dataclass(frozen=True)
class ModelSource:
    """Where a model was found and what identifies its weights.

    Attributes
    ----------
    path : pathlib.Path
        The folder ``from_pretrained`` loads (written by ``save_pretrained``).
    repo_id : str
        The repository id asked for (a label only when ``origin`` is not ``"hf_cache"``).
    revision : str or None
        The commit of a Hugging Face cache snapshot; None for a plain local folder.
    fingerprint : str
        ``"<repo_id>@<commit>"`` for a cache snapshot, else :func:`directory_fingerprint`.
    origin : {"model_dir", "data_home", "hf_cache"}
    """

    path: Path
    repo_id: str
    revision: str | None
    fingerprint: str
    origin: str

    def read_json(self, name: str) -> dict:
        """Parse a JSON file of the model folder (``{}`` when absent)."""
        file = self.path / name
        if not file.is_file():
            return {}
        try:
            return json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{str(file)!r} is not readable JSON ({exc}).") from None

    def feature_extractor_config(self) -> dict:
        """The saved feature-extractor settings (old or new ``transformers`` layout)."""
        old = self.read_json("preprocessor_config.json")
        return old or self.read_json("processor_config.json").get("feature_extractor", {})


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache, read from the environment at each call (``HF_HUB_CACHE`` >
    ``HUGGINGFACE_HUB_CACHE`` > ``$HF_HOME/hub`` > ``$XDG_CACHE_HOME/huggingface/hub`` >
    ``~/.cache/huggingface/hub``)."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def directory_fingerprint(path: str | os.PathLike) -> str:
    """SHA-256 over the relative names, sizes and contents of every file in a folder.

    Hidden files and folders are skipped. File hashes are memoised per process by path,
    size, modification time and inode: a model folder is read once per session (about a
    second per GB) and again as soon as a file changes. Returns ``"sha256:<64 hex digits>"``.
    """
    root = Path(path)
    digest = hashlib.sha256()
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )  # fmt: skip
    for file in files:
        st = file.stat()
        key = (str(file.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
        if key not in _FINGERPRINTS:
            h = hashlib.sha256()
            with open(file, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
            _FINGERPRINTS[key] = h.hexdigest()
        rel = file.relative_to(root).as_posix()
        digest.update(f"{rel}\0{st.st_size}\0{_FINGERPRINTS[key]}\n".encode())
    return "sha256:" + digest.hexdigest()


def _manifest_defaults(manifest_name: str | None, repo_id: str) -> tuple[str | None, str | None]:
    """(revision, default_dir) of the manifest entry when it describes ``repo_id``."""
    if manifest_name is None:
        return None, None
    from b2m.datasets._manifest import load_manifest

    try:
        entry = load_manifest().dataset(manifest_name)
    except KeyError:
        return None, None
    if entry.repo_id != repo_id:
        return None, None
    return entry.revision, entry.default_dir


def _local_source(path: Path, repo_id: str, origin: str) -> ModelSource:
    if path.parent.name == "snapshots" and _COMMIT.match(path.name):
        # A snapshot folder of a Hugging Face cache: the Hub addresses it by commit.
        repo = path.parent.parent.name.removeprefix("models--").replace("--", "/")
        return ModelSource(path, repo_id, path.name, f"{repo}@{path.name}", origin)
    return ModelSource(path, repo_id, None, directory_fingerprint(path), origin)


def resolve_model(
    repo_id: str,
    *,
    revision: str | None = None,
    model_dir: str | os.PathLike | None = None,
    manifest_name: str | None = None,
    space: str,
    extra: str,
) -> ModelSource:
    """Find a saved model on this machine (never over the network).

    In order: ``model_dir``; ``<data_home>/<default_dir>`` of the manifest entry
    ``manifest_name`` (when it describes ``repo_id`` and the folder holds a ``config.json``);
    the snapshot of ``repo_id`` at ``revision`` in the Hugging Face cache (:func:`hf_hub_cache`).

    Parameters
    ----------
    repo_id : str
        Hugging Face repository id, e.g. ``"laion/larger_clap_music"``.
    revision : str, optional
        Branch, tag or 40-hex commit; default: the manifest entry's revision, else ``"main"``.
    model_dir : str or path-like, optional
        A folder written by ``save_pretrained`` (or a cache snapshot folder).
    manifest_name : str, optional
        Name of the ``data_manifest.yaml`` entry of this model.
    space, extra : str
        Feature-space name and the pip extra it needs, for messages.

    Returns
    -------
    ModelSource

    Raises
    ------
    FileNotFoundError
        If the model is in none of the places (the message says how to get it).
    ValueError
        If ``repo_id``, ``revision`` or ``model_dir`` is malformed.
    """
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id):
        raise ValueError(
            f"model must be a Hugging Face repository id such as 'org/name'; received {repo_id!r}."
        )
    if revision is not None and (
        not isinstance(revision, str) or not _REVISION.match(revision) or ".." in revision
    ):
        raise ValueError(
            f"revision must be a branch, tag or commit name, or None; received {revision!r}."
        )
    if model_dir is not None:
        if not isinstance(model_dir, (str, os.PathLike)):
            raise ValueError(
                f"model_dir must be a folder path or None; received {type(model_dir).__name__}."
            )
        path = Path(model_dir).expanduser().resolve()
        if not (path / "config.json").is_file():
            raise FileNotFoundError(
                f"model_dir must be a folder holding a model saved with save_pretrained "
                f"(config.json, weights, processor files); received {str(path)!r}, which "
                + ("has no config.json." if path.is_dir() else "does not exist.")
            )
        return _local_source(path, repo_id, "model_dir")

    manifest_revision, default_dir = _manifest_defaults(manifest_name, repo_id)
    revision = revision or manifest_revision or "main"
    home_dir = None
    if default_dir:
        from b2m.config import get_data_home

        home_dir = get_data_home(create=False) / default_dir
        if (home_dir / "config.json").is_file():
            return _local_source(home_dir.resolve(), repo_id, "data_home")

    cache = hf_hub_cache()
    repo_folder = cache / ("models--" + repo_id.replace("/", "--"))
    commit, why = None, f"there is no copy of {repo_id} in it"
    if _COMMIT.match(revision):
        commit = revision
    elif (repo_folder / "refs" / revision).is_file():
        commit = (repo_folder / "refs" / revision).read_text().strip()
        if not _COMMIT.match(commit):
            commit, why = None, f"its refs/{revision} holds no commit hash"
    elif repo_folder.is_dir():
        why = f"it holds {repo_id} but not its revision {revision!r}"
    if commit is not None:
        snapshot = repo_folder / "snapshots" / commit
        if (snapshot / "config.json").is_file():
            return ModelSource(snapshot, repo_id, commit, f"{repo_id}@{commit}", "hf_cache")
        why = f"it holds no complete snapshot of {repo_id} at commit {commit}"
    where = f" or put such a folder at {str(home_dir)!r}" if home_dir is not None else ""
    raise FileNotFoundError(
        f"The {space!r} feature space needs the weights of {repo_id} (revision {revision!r}) "
        f"and found none: no model_dir was given, and the Hugging Face cache "
        f"{str(cache)!r} does not have them ({why}). b2m never downloads model weights by "
        f"itself. Download them once, on a machine with internet access:\n"
        f"    hf download {repo_id} --revision {revision}\n"
        f"(`huggingface-cli download {repo_id} --revision {revision}` with huggingface_hub "
        f"< 1.0; pin --revision to a commit for reproducible results), or pass "
        f"model_dir=<a folder written by save_pretrained>{where}. The {space!r} space needs "
        f"the {extra!r} extra: pip install 'b2m-explorer[{extra}]'."
    )


def import_transformers(space: str, extra: str):
    """Import torch and transformers, or raise an ImportError naming the pip extra."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ImportError(
            f"The {space!r} feature space needs torch and transformers; install them with "
            f"`pip install 'b2m-explorer[{extra}]'` (missing: {exc.name or exc})."
        ) from exc
    return torch, transformers


@contextlib.contextmanager
def quiet_transformers():
    """Hide transformers' own progress bars while loading a model (its warnings stay)."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _resampled_length(n: int, sr: int, target: int) -> int:
    g = gcd(sr, target)
    up, down = target // g, sr // g
    return -(-n * up // down)


def window_starts(n_samples: int, window: int, hop: int | None) -> np.ndarray:
    """First sample of each window (ndarray of shape (n_windows,), int) over a clip.

    A clip no longer than one window is one window. Otherwise, with ``hop`` None, the fewest
    windows that cover the clip, spread evenly from start to end (15 s, 10 s windows: 0-10 and
    5-15 s); with a ``hop``, a window every ``hop`` samples while it fits (a shorter tail is
    left out: 15 s, 10 s windows, 1.5 s hop give Brain2Music's 4 windows).
    """
    if n_samples <= window:
        return np.zeros(1, dtype=int)
    if hop is None:
        k = -(-n_samples // window)
        return np.round(np.linspace(0, n_samples - window, k)).astype(int)
    return np.arange(0, n_samples - window + 1, hop, dtype=int)


def _positive(value, name: str, kind=float, allow_none: bool = False):
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or not np.isfinite(value) or value <= 0:
        what = "a positive integer" if kind is int else "a positive number of seconds"
        raise ValueError(
            f"{name} must be {what}{' or None' if allow_none else ''}; received {value!r}."
        )
    return kind(value)


class WindowedAudioSpace(FeatureSpace):
    """Base of the ``transformers`` audio spaces: model lookup, resampling and windows.

    Subclasses set ``name``, ``_extra``, ``_manifest_name``, call :meth:`_setup` and implement
    ``_load()`` and ``_embed_windows(loaded, segments)`` (1-D arrays at :attr:`sample_rate`
    -> one result per segment).
    """

    _extra = ""
    _manifest_name: str | None = None
    #: Working sampling rate (Hz); set by subclasses from the model's feature extractor.
    sample_rate: int = 16000

    def _setup(self, model, revision, model_dir, window_seconds, hop_seconds, batch_size, device,
               progressbar) -> dict:  # fmt: skip
        """Validate the shared arguments; return the shared part of ``params``."""
        self.window_seconds = _positive(window_seconds, "window_seconds")
        hop = _positive(hop_seconds, "hop_seconds", allow_none=True)
        self.batch_size = _positive(batch_size, "batch_size", kind=int)
        if not isinstance(device, str) or not device:
            raise ValueError(f"device must be a str such as 'cpu' or 'cuda'; received {device!r}.")
        if progressbar is not None and not isinstance(progressbar, bool):
            raise ValueError(f"progressbar must be a bool or None; received {progressbar!r}.")
        self.device, self.progressbar = device, progressbar
        self.source = resolve_model(
            model, revision=revision, model_dir=model_dir, manifest_name=self._manifest_name,
            space=self.name, extra=self._extra,
        )  # fmt: skip
        return {
            "model": model,
            "revision": self.source.revision,
            "weights": self.source.fingerprint,
            "window_seconds": self.window_seconds,
            "hop_seconds": hop,
        }

    def windows(self, n_samples: int, sr: int) -> np.ndarray:
        """Start and end times (s) of the windows a clip of ``n_samples`` at ``sr`` is cut into.

        Returns
        -------
        ndarray of shape (n_windows, 2)
            Seconds from the clip's start; a clip shorter than a window gives one row
            ``[0, duration]``.
        """
        sr = check_sr(sr)
        n = _resampled_length(_positive(n_samples, "n_samples", kind=int), sr, self.sample_rate)
        w, hop = self._window_samples()
        starts = window_starts(n, w, hop)
        ends = np.minimum(starts + w, n)
        return np.stack([starts, ends], axis=1) / self.sample_rate

    def _window_samples(self) -> tuple[int, int | None]:
        w = round(self.window_seconds * self.sample_rate)
        hop = self.params["hop_seconds"]
        return w, (None if hop is None else max(1, round(hop * self.sample_rate)))

    def _map_windows(self, waveforms, sr, desc: str) -> list[list]:
        """Run ``_embed_windows`` over every window of every clip; per clip, a list of results."""
        clips = check_waveforms(waveforms)
        sr = check_sr(sr)
        loaded = self._load()
        w, hop = self._window_samples()
        counts = [len(window_starts(_resampled_length(c.size, sr, self.sample_rate), w, hop))
                  for c in clips]  # fmt: skip
        out: list[list] = [[] for _ in clips]
        pending: list[tuple[int, np.ndarray]] = []
        disable = None if self.progressbar is None else not self.progressbar
        with (
            progress(total=sum(counts), desc=desc, disable=disable, unit="window") as bar,
            numpy_blas_beside_torch(),  # the processors' NumPy work alternates with the model
        ):

            def flush():
                results = self._embed_windows(loaded, [seg for _, seg in pending])
                for (owner, _), res in zip(pending, results, strict=True):
                    out[owner].append(res)
                bar.update(len(pending))
                pending.clear()

            for i, clip in enumerate(clips):
                x = resample(clip, sr, self.sample_rate)
                for start in window_starts(x.size, w, hop):
                    pending.append((i, x[start : start + w]))
                    if len(pending) == self.batch_size:
                        flush()
            if pending:
                flush()
        return out
