"""The reconstruction interface: :class:`Reconstruction` (one clip) and :class:`Reconstructor`."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np

from b2m._utils._validation import check_array
from b2m.models import Neighbour

__all__ = ["Reconstruction", "Reconstructor", "as_neighbour_items"]


def _json_ready(value, name: str):
    """Return ``value`` as plain JSON types (numpy scalars and arrays converted)."""

    def convert(x):
        if isinstance(x, dict):
            return {str(k): convert(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [convert(v) for v in x]
        if isinstance(x, np.ndarray):
            return convert(x.tolist())
        if isinstance(x, (np.integer, np.floating, np.bool_)):
            return x.item()
        return x

    out = convert(value)
    try:
        json.dumps(out)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be JSON-serialisable; received {value!r}: {exc}") from None
    return out


class Reconstruction:
    """One reconstructed clip for one decoded embedding.

    Parameters
    ----------
    target_clip_id : str
        The clip whose brain response was decoded (the stimulus being reconstructed).
    backend : str
        Name of the :class:`Reconstructor` that made it (``"retrieval"``, ``"synth"``…).
    rank : int
        0-based position among the ``k`` reconstructions of this target (0 = best or first).
    audio : ndarray of shape (n_samples,), or callable
        The mono waveform, kept in memory; or a function of no argument that returns it,
        called on each access of :attr:`audio` and not kept. A retrieval hit is a clip of
        its library, so it keeps a loader, not a copy: a study's 180 hits would otherwise
        hold ~0.24 GB of audio that only a player or a listening test ever reads.
    sr : int
        Sampling rate of ``audio`` in Hz.
    label : str
        Short human-readable description (e.g. ``"retrieved 0123 (jazz)"``).
    similarity : float or None
        Cosine similarity between the decoded embedding and what was returned, where the
        backend defines one (retrieval); ``None`` otherwise.
    provenance : dict
        JSON-ready record of how the clip was made: backend parameters, library or source
        clip ids, model name and revision, attributes used, seed.
    n_samples : int, optional
        Length of the waveform a loader returns, when known (``to_dict`` and ``duration``
        then need no load); each load is checked against it. For an array, it must equal
        the array's length if given.

    Attributes
    ----------
    target_clip_id, backend, rank, sr, label, similarity, provenance
        As given (normalised: ``rank`` and ``sr`` int, ``similarity`` float, ``provenance``
        plain JSON types).
    audio : ndarray of shape (n_samples,), float32
        The waveform (loaded now if the record holds a loader).
    n_samples : int
    """

    __slots__ = (
        "_audio",
        "_load",
        "_n_samples",
        "backend",
        "label",
        "provenance",
        "rank",
        "similarity",
        "sr",
        "target_clip_id",
    )

    def __init__(
        self,
        target_clip_id: str,
        backend: str,
        rank: int,
        audio,
        sr: int,
        label: str,
        similarity: float | None = None,
        provenance: dict | None = None,
        *,
        n_samples: int | None = None,
    ) -> None:
        if not isinstance(target_clip_id, str) or not target_clip_id:
            raise TypeError(f"target_clip_id must be a non-empty str; received {target_clip_id!r}.")
        self.target_clip_id = target_clip_id
        if not isinstance(backend, str) or not backend:
            raise TypeError(f"backend must be a non-empty str; received {backend!r}.")
        self.backend = backend
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
            raise TypeError(f"rank must be an int >= 0; received {rank!r}.")
        if rank < 0:
            raise ValueError(f"rank must be an int >= 0; received {rank!r}.")
        self.rank = int(rank)
        ok = isinstance(sr, (int, np.integer)) and not isinstance(sr, bool)
        if not ok or sr <= 0:
            raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
        self.sr = int(sr)
        if not isinstance(label, str):
            raise TypeError(f"label must be a str; received {type(label).__name__}.")
        self.label = label
        if similarity is not None:
            sim = float(similarity)
            if not np.isfinite(sim):
                raise ValueError(f"similarity must be finite or None; received {sim!r}.")
            similarity = sim
        self.similarity = similarity
        if provenance is None:
            provenance = {}
        if not isinstance(provenance, dict):
            raise TypeError(f"provenance must be a dict; received {type(provenance).__name__}.")
        self.provenance = _json_ready(provenance, "provenance")
        if n_samples is not None and (
            isinstance(n_samples, bool)
            or not isinstance(n_samples, (int, np.integer))
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be a positive integer; received {n_samples!r}.")
        if callable(audio):
            self._audio, self._load = None, audio
            self._n_samples = None if n_samples is None else int(n_samples)
        else:
            self._audio, self._load = self._checked(audio, n_samples), None
            self._n_samples = len(self._audio)

    def _checked(self, audio, n_samples, name: str = "audio") -> np.ndarray:
        wave = np.ascontiguousarray(check_array(audio, name, ndim=1, dtype=np.float32))
        if n_samples is not None and len(wave) != n_samples:
            raise ValueError(
                f"{self._loaded_name()} must have n_samples={n_samples} samples; received "
                f"{len(wave)}."
            )
        return wave

    def _loaded_name(self) -> str:
        return (
            f"audio of the {self.backend} reconstruction of {self.target_clip_id!r} "
            f"(rank {self.rank})"
        )

    @property
    def audio(self) -> np.ndarray:
        """The mono float32 waveform (loaded on each access when the record keeps a loader)."""
        if self._load is None:
            return self._audio
        wave = self._checked(self._load(), self._n_samples, self._loaded_name())
        self._n_samples = len(wave)
        return wave

    @property
    def n_samples(self) -> int:
        """Length of :attr:`audio` in samples."""
        if self._n_samples is None:
            self._n_samples = len(self.audio)
        return self._n_samples

    @property
    def duration(self) -> float:
        """Length of :attr:`audio` in seconds."""
        return self.n_samples / self.sr

    def in_memory(self) -> Reconstruction:
        """This record holding its waveform: loaded or rendered once, for repeated use.

        A record that keeps a loader reads or renders its clip on every access of
        :attr:`audio`; scoring the same reconstructions in several feature spaces reads it
        once per space. Returns ``self`` when the waveform is already held.
        """
        if self._load is None:
            return self
        return Reconstruction(
            self.target_clip_id,
            self.backend,
            self.rank,
            self.audio,
            self.sr,
            self.label,
            self.similarity,
            self.provenance,
        )

    def to_dict(self) -> dict:
        """Everything but the audio, as JSON-ready types (``n_samples`` and ``duration`` added)."""
        return {
            "target_clip_id": self.target_clip_id,
            "backend": self.backend,
            "rank": self.rank,
            "label": self.label,
            "similarity": self.similarity,
            "sr": self.sr,
            "n_samples": self.n_samples,
            "duration": round(self.duration, 4),
            "provenance": self.provenance,
        }

    def __repr__(self) -> str:
        return (
            f"Reconstruction(target_clip_id={self.target_clip_id!r}, backend={self.backend!r}, "
            f"rank={self.rank}, sr={self.sr}, label={self.label!r}, "
            f"similarity={self.similarity!r})"
        )


def as_neighbour_items(reconstructions) -> list[dict]:
    """Reconstructions of one target in the item format of ``b2m_widgets.view_neighbours``.

    Parameters
    ----------
    reconstructions : sequence of Reconstruction
        E.g. ``result[i]`` of :meth:`Reconstructor.reconstruct`.

    Returns
    -------
    list of dict
        ``index`` (position in ``reconstructions``), ``clip_id`` (the source clip of a
        retrieval, else the label), ``genre`` (of the source clip or the generated genre,
        ``""`` if unknown) and ``score`` (the similarity, 0.0 when there is none).
    """
    items = []
    for i, rec in enumerate(reconstructions):
        if not isinstance(rec, Reconstruction):
            raise TypeError(
                f"reconstructions[{i}] must be a Reconstruction; received {type(rec).__name__}."
            )
        p = rec.provenance
        items.append(
            Neighbour(
                index=i,
                clip_id=str(p.get("source_clip_id") or rec.label),
                genre=str(p.get("genre") or ""),
                score=0.0 if rec.similarity is None else float(rec.similarity),
            )
        )
    return items


def iter_reconstructions(reconstructions):
    """Every :class:`Reconstruction` in a mapping or nested sequences, in order.

    The one walk over the shapes backends and :func:`reconstruct_study` return
    (``{backend: [[Reconstruction, ...] per clip]}``, lists of lists, a single list).

    Raises
    ------
    TypeError
        If an element is neither a Reconstruction nor a list, tuple or dict of them; the
        message gives its path, e.g. ``reconstructions['synth'][1]``.
    """

    def walk(x, where):
        if isinstance(x, Reconstruction):
            yield x
        elif isinstance(x, dict):
            for key, value in x.items():
                yield from walk(value, f"{where}[{key!r}]")
        elif isinstance(x, (list, tuple)):
            for i, value in enumerate(x):
                yield from walk(value, f"{where}[{i}]")
        else:
            raise TypeError(
                f"{where} must be a Reconstruction (or a list or dict of them); received "
                f"{type(x).__name__}."
            )

    yield from walk(reconstructions, "reconstructions")


def group_by_target(reconstructions) -> dict[str, list[Reconstruction]]:
    """Every reconstruction of each heard clip, across backends: ``clip_id -> list``.

    Parameters
    ----------
    reconstructions : mapping or nested sequences of Reconstruction
        E.g. the ``{backend: [[Reconstruction, ...] per test clip]}`` of
        :func:`reconstruct_study`.

    Returns
    -------
    dict
        In the order first met (backends in the mapping's order, ranks in order), the form
        ``b2m_widgets.view_clip_explorer(..., reconstructions=)`` takes.
    """
    grouped: dict[str, list[Reconstruction]] = {}
    for rec in iter_reconstructions(reconstructions):
        grouped.setdefault(rec.target_clip_id, []).append(rec)
    return grouped


class Reconstructor:
    """Base class: turn decoded embeddings into audio clips.

    Subclasses set :attr:`name`, store their constructor arguments in :attr:`params` and
    implement :meth:`_reconstruct`. :meth:`reconstruct` validates the inputs first (shape,
    finiteness, the expected dimension :attr:`dim`, ``k``), so every backend raises the same
    errors.

    Attributes
    ----------
    name : str
        Backend name, copied into each :attr:`Reconstruction.backend`.
    params : dict
        JSON-ready parameters of the backend (copied into provenance).
    """

    name: ClassVar[str] = ""

    def __init__(self, **params) -> None:
        if type(self) is Reconstructor:
            raise TypeError(
                "Reconstructor is abstract; use RetrievalReconstructor, SynthReconstructor or "
                "MusicGenReconstructor."
            )
        self.params: dict = _json_ready(params, f"{type(self).__name__} parameters")

    @property
    def dim(self) -> int | None:
        """Embedding dimension the backend expects (``None`` while not known)."""
        return None

    def _check_fitted(self) -> None:
        """Raise if the backend needs fitting and was not fitted."""

    def reconstruct(self, decoded_embeddings, target_clip_ids, k: int = 1) -> list:
        """Reconstruct ``k`` clips for each decoded embedding.

        Parameters
        ----------
        decoded_embeddings : array of shape (n_targets, d)
            Decoded embeddings, in the space the backend was built for (``d == dim``).
        target_clip_ids : sequence of str of length n_targets
            The clip each embedding was decoded for (recorded; retrieval leaves it out).
        k : int, default 1
            Reconstructions per target (``k >= 1``).

        Returns
        -------
        list of list of Reconstruction
            ``result[i][r]`` is the ``r``-th reconstruction of ``target_clip_ids[i]``.
        """
        self._check_fitted()
        x, ids, k = self._check_inputs(decoded_embeddings, target_clip_ids, k)
        return self._reconstruct(x, ids, k)

    def _check_inputs(self, decoded_embeddings, target_clip_ids, k):
        x = check_array(decoded_embeddings, "decoded_embeddings", ndim=2, dtype=np.float64)
        if self.dim is not None and x.shape[1] != self.dim:
            raise ValueError(
                f"decoded_embeddings must have {self.dim} columns (the dimension the "
                f"{self.name!r} reconstructor was built for); received shape {x.shape}."
            )
        if isinstance(target_clip_ids, str):
            raise TypeError("target_clip_ids must be a sequence of str; received a single str.")
        ids = [c.item() if isinstance(c, np.generic) else c for c in list(target_clip_ids)]
        if len(ids) != len(x):
            raise ValueError(
                f"target_clip_ids must have one id per decoded embedding ({len(x)}); "
                f"received {len(ids)}."
            )
        bad = [c for c in ids if not isinstance(c, str) or not c]
        if bad:
            raise TypeError(f"target_clip_ids must be non-empty str; received {bad[:3]!r}.")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer; received {k!r}.")
        return x, ids, int(k)

    def _reconstruct(self, x: np.ndarray, ids: list[str], k: int) -> list:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"
