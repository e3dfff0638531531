"""The reconstruction interface: :class:`Reconstruction` (one clip) and :class:`Reconstructor`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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


@dataclass
class Reconstruction:
    """One reconstructed clip for one decoded embedding.

    Attributes
    ----------
    target_clip_id : str
        The clip whose brain response was decoded (the stimulus being reconstructed).
    backend : str
        Name of the :class:`Reconstructor` that made it (``"retrieval"``, ``"synth"``…).
    rank : int
        0-based position among the ``k`` reconstructions of this target (0 = best or first).
    audio : ndarray of shape (n_samples,), float32
        Mono waveform.
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
    """

    target_clip_id: str
    backend: str
    rank: int
    audio: np.ndarray = field(repr=False)
    sr: int
    label: str
    similarity: float | None = None
    provenance: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.target_clip_id, str) or not self.target_clip_id:
            raise TypeError(
                f"target_clip_id must be a non-empty str; received {self.target_clip_id!r}."
            )
        if not isinstance(self.backend, str) or not self.backend:
            raise TypeError(f"backend must be a non-empty str; received {self.backend!r}.")
        if isinstance(self.rank, bool) or not isinstance(self.rank, (int, np.integer)):
            raise TypeError(f"rank must be an int >= 0; received {self.rank!r}.")
        if self.rank < 0:
            raise ValueError(f"rank must be an int >= 0; received {self.rank!r}.")
        self.rank = int(self.rank)
        audio = check_array(self.audio, "audio", ndim=1, dtype=np.float32)
        self.audio = np.ascontiguousarray(audio)
        ok = isinstance(self.sr, (int, np.integer)) and not isinstance(self.sr, bool)
        if not ok or self.sr <= 0:
            raise ValueError(f"sr must be a positive integer (Hz); received {self.sr!r}.")
        self.sr = int(self.sr)
        if not isinstance(self.label, str):
            raise TypeError(f"label must be a str; received {type(self.label).__name__}.")
        if self.similarity is not None:
            sim = float(self.similarity)
            if not np.isfinite(sim):
                raise ValueError(f"similarity must be finite or None; received {sim!r}.")
            self.similarity = sim
        if not isinstance(self.provenance, dict):
            raise TypeError(
                f"provenance must be a dict; received {type(self.provenance).__name__}."
            )
        self.provenance = _json_ready(self.provenance, "provenance")

    @property
    def duration(self) -> float:
        """Length of :attr:`audio` in seconds."""
        return len(self.audio) / self.sr

    def to_dict(self) -> dict:
        """Everything but the audio, as JSON-ready types (``n_samples`` and ``duration`` added)."""
        return {
            "target_clip_id": self.target_clip_id,
            "backend": self.backend,
            "rank": self.rank,
            "label": self.label,
            "similarity": self.similarity,
            "sr": self.sr,
            "n_samples": len(self.audio),
            "duration": round(self.duration, 4),
            "provenance": self.provenance,
        }


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
