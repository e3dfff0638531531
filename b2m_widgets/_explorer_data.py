"""What :class:`b2m_widgets.ClipExplorer` shows for a clip, computed without any widget.

- :class:`Responses`: a clip's measured response (its training row, or the mean of a test clip's
  repeats) and the encoder's prediction from its features.
- :func:`retrieval_for`: the clips retrieved for a clip (from a decoding result, a callable, or
  the cosine neighbours in the embedding space).
- :func:`reconstructions_for`: a clip's reconstructions, validated.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m.models import cosine_neighbours
from b2m.validation import check_array
from b2m_widgets.retrieval import check_neighbours

__all__ = [
    "Reconstructed",
    "Responses",
    "check_decoded",
    "check_reconstructions",
    "is_study",
    "reconstruction_rows",
    "reconstructions_for",
    "resolve_clips",
    "retrieval_for",
    "retrieval_rows",
]


def is_study(obj) -> bool:
    """Whether ``obj`` looks like a :class:`b2m.datasets.Study` (clips table and audio)."""
    clips = getattr(obj, "clips", None)
    return (
        isinstance(clips, pd.DataFrame)
        and {"clip_id", "genre"} <= set(clips.columns)
        and callable(getattr(obj, "load_audio", None))
    )


def resolve_clips(study, n_rows: int, clip_ids=None) -> tuple[np.ndarray, np.ndarray]:
    """Clip id and genre of each row of the explorer's embeddings.

    Parameters
    ----------
    study : Study-like
        Its ``clips`` table gives the genres.
    n_rows : int
        Rows of the embeddings.
    clip_ids : sequence of str, optional
        Default ``study.clips.clip_id``.

    Returns
    -------
    clip_ids, genres : ndarray of shape (n_rows,), dtype object
    """
    ids = study.clips["clip_id"] if clip_ids is None else clip_ids
    ids = np.asarray([str(c) for c in ids], dtype=object)
    if len(ids) != n_rows:
        raise ValueError(
            f"embeddings has {n_rows} rows but there are {len(ids)} clip ids; pass clip_ids= "
            "naming the clip of each row."
        )
    genre_of = dict(zip(study.clips["clip_id"].astype(str), study.clips["genre"], strict=True))
    unknown = [c for c in ids if c not in genre_of]
    if unknown:
        raise ValueError(f"clip_ids must be clips of the study; received unknown {unknown[:3]}.")
    return ids, np.asarray([str(genre_of[c]) for c in ids], dtype=object)


def check_reconstructions(reconstructions):
    """Validate the explorer's ``reconstructions`` (None, a mapping or a callable)."""
    if reconstructions is None or callable(reconstructions) or hasattr(reconstructions, "get"):
        return reconstructions
    raise TypeError(
        "reconstructions must be a mapping clip_id -> list or a callable; received "
        f"{type(reconstructions).__name__}."
    )


class Responses:
    """Measured and predicted responses of clips, looked up by clip id.

    Parameters
    ----------
    responses : b2m.datasets.ClipResponses or None
        ``train`` (n_train, n_values), ``train_ids``, ``test_repeats`` (n_repeats, n_test,
        n_values), ``test_ids``.
    encoder : object with ``predict`` (or with ``.encoder.predict``), optional
        Maps features of shape (n, n_dims) to responses of shape (n, n_values).
    features : ndarray of shape (n_clips, n_dims), optional
        The encoder's input for each clip of the explorer (rows in the explorer's order).
    """

    def __init__(self, responses, encoder=None, features: np.ndarray | None = None):
        self.responses = responses
        self.rows: dict[str, tuple[str, int]] = {}
        self.n_values = 0
        if responses is not None:
            self.rows.update({str(c): ("train", i) for i, c in enumerate(responses.train_ids)})
            self.rows.update({str(c): ("test", i) for i, c in enumerate(responses.test_ids)})
            self.n_values = int(np.shape(responses.train)[1])
        if encoder is not None and not callable(getattr(encoder, "predict", None)):
            inner = getattr(encoder, "encoder", None)
            if not callable(getattr(inner, "predict", None)):
                raise TypeError(
                    "encoder must have a predict(features) method (a b2m.models.Encoder) or an "
                    f"'encoder' attribute that has one; received {type(encoder).__name__}."
                )
            encoder = inner
        n_in = getattr(encoder, "n_features_in_", None)
        if encoder is not None and n_in is not None and features is not None:
            if features.shape[1] != n_in:
                raise ValueError(
                    f"encoder expects {n_in} features per clip; features has "
                    f"{features.shape[1]} columns (pass the embeddings the encoder was fitted on "
                    "as features=)."
                )
        self.encoder = encoder
        self.features = features

    def measured(self, clip_id: str) -> tuple[np.ndarray, str] | None:
        """The clip's measured response and a description, or None when it has none.

        Returns
        -------
        values : ndarray of shape (n_values,)
        description : str
        """
        where = self.rows.get(str(clip_id))
        if where is None:
            return None
        split, row = where
        if split == "train":
            return np.asarray(self.responses.train[row], dtype=np.float32), "training response"
        repeats = np.asarray(self.responses.test_repeats[:, row], dtype=np.float32)
        return repeats.mean(axis=0), f"test response, mean of {len(repeats)} repeats"

    def surface_map(self, index: int, clip_id: str, kind: str) -> tuple[np.ndarray, str]:
        """What the surface shows for explorer row ``index``: values and a title.

        Parameters
        ----------
        index : int
            Explorer row (for the encoder's features).
        clip_id : str
        kind : {"measured", "predicted"}

        Returns
        -------
        values : ndarray of shape (n_values,)
            Zeros when ``kind == "measured"`` and the clip has no response.
        title : str
        """
        measured = self.measured(clip_id)
        if kind == "measured":
            if measured is None:
                return np.zeros(self.n_values, dtype=np.float32), f"{clip_id}: no response"
            return measured[0], f"{clip_id}: measured ({measured[1]})"
        values = self.predicted(index)
        title = f"{clip_id}: predicted by the encoder"
        if measured is not None:
            r = float(np.corrcoef(values, measured[0])[0, 1])
            title += f" (r = {r:.2f} with the measured response)"
        return values, title

    def predicted(self, index: int) -> np.ndarray:
        """The encoder's prediction for explorer row ``index``, shape (n_values,)."""
        if self.encoder is None:
            raise ValueError("response 'predicted' needs an encoder; none was given.")
        values = np.asarray(self.encoder.predict(self.features[index : index + 1]))
        return check_array(values, "encoder.predict(features)", ndim=2)[0].astype(np.float32)


def check_decoded(decoded):
    """Validate the explorer's ``decoded`` argument (None, a decoding result or a callable)."""
    if decoded is None or callable(decoded):
        return decoded
    if callable(getattr(decoded, "neighbours", None)) and hasattr(decoded, "test_ids"):
        return decoded
    raise TypeError(
        "decoded must be None, a decoding result (with neighbours(i, k) and test_ids, e.g. "
        "b2m.analysis.decode_study(...)) or a callable index -> list of dict; received "
        f"{type(decoded).__name__}."
    )


def retrieval_for(index: int, *, decoded, embeddings, clip_ids, genres, k: int):
    """The clips retrieved for explorer row ``index``.

    Returns
    -------
    title : str
        What the list shows (decoded retrieval, or nearest clips in the embedding space).
    items : list of dict
        ``index`` (explorer row, ``-1`` when the clip is not in the explorer), ``clip_id``,
        ``genre``, ``score``; best first, at most ``k``.
    """
    clip_id = str(clip_ids[index])
    raw, source = None, None
    if callable(decoded) and not hasattr(decoded, "test_ids"):
        raw, source = decoded(index), f"decoded({index})"
    elif decoded is not None:
        test_ids = [str(c) for c in decoded.test_ids]
        if clip_id in test_ids:
            raw = decoded.neighbours(test_ids.index(clip_id), k)
            source = "decoded.neighbours"
    if raw is None:
        items = cosine_neighbours(embeddings, index, k, genres, clip_ids)
        note = "" if decoded is None else " (no decoded embedding for this clip)"
        return f"nearest clips to {clip_id} in the embedding space{note}", items
    items = check_neighbours(raw, name=source)[:k]
    rows = {str(c): i for i, c in enumerate(clip_ids)}
    for item in items:
        item["index"] = rows.get(item["clip_id"], -1)
    return f"retrieved from the embedding decoded for {clip_id}", items


def retrieval_rows(items: list[dict]) -> list[dict]:
    """Rows of :class:`~b2m_widgets.ClipList` for retrieved clips (not in the map: disabled)."""
    return [
        {
            "label": it["clip_id"],
            "detail": it["genre"],
            "score": f"{it['score']:.3f}",
            "key": it["clip_id"],
            "disabled": it["index"] < 0,
        }
        for it in items
    ]


@dataclass
class Reconstructed:
    """One validated reconstruction of a clip, ready for a list row; audio read when played.

    ``entry`` is the reconstruction as given. Its ``audio`` is read (and checked) only by
    :attr:`audio`, when a player loads it: a ``b2m.reconstruction.Reconstruction`` may load
    or render its waveform on access, and a selection lists several.
    """

    label: str
    backend: str
    rank: int
    similarity: float | None
    sr: int
    src_id: str
    entry: object = field(repr=False)
    where: str = ""

    @property
    def audio(self) -> np.ndarray:
        """The waveform, read from the entry now; a clear error when it is not 1-D and finite."""
        return check_array(
            _field(self.entry, "audio"), f"{self.where}.audio", ndim=1, dtype=np.float32
        )


def reconstruction_rows(recons: list[Reconstructed]) -> list[dict]:
    """Rows of :class:`~b2m_widgets.ClipList` for reconstructions (``key``: the player's id)."""
    return [
        {
            "label": r.label,
            "detail": r.backend,
            "score": "" if r.similarity is None else f"{r.similarity:.3f}",
            "key": r.src_id,
        }
        for r in recons
    ]


def _field(obj, name: str, default=None):
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def reconstructions_for(reconstructions, clip_id: str) -> list[Reconstructed]:
    """Validate the reconstructions of one clip.

    Parameters
    ----------
    reconstructions : mapping clip_id -> list, or callable clip_id -> list, or None
        Each entry has ``audio`` (1-D, finite), ``sr`` (int > 0) and optionally ``label``,
        ``backend``, ``rank``, ``similarity`` (attributes, or keys of a mapping).
    clip_id : str

    Returns
    -------
    list of Reconstructed
        In the given order.
    """
    if reconstructions is None:
        return []
    if callable(reconstructions):
        entries, name = reconstructions(clip_id), f"reconstructions({clip_id!r})"
    else:
        entries, name = reconstructions.get(clip_id, []), f"reconstructions[{clip_id!r}]"
    if entries is None:
        return []
    if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
        raise TypeError(f"{name} must be a list; received {type(entries).__name__}.")
    out = []
    for pos, entry in enumerate(entries):
        where = f"{name}[{pos}]"
        # look the audio up without reading it (a Reconstruction's may load on access)
        if isinstance(entry, Mapping):
            has_audio = entry.get("audio") is not None
        else:
            has_audio = inspect.getattr_static(entry, "audio", None) is not None
        if not has_audio:
            raise ValueError(
                f"{where} must have 'audio' and 'sr' (a Reconstruction); received "
                f"{type(entry).__name__}."
            )
        sr = _field(entry, "sr")
        if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
            raise ValueError(f"{where}.sr must be a positive integer (Hz); received {sr!r}.")
        target = _field(entry, "target_clip_id")
        if target is not None and str(target) != str(clip_id):
            raise ValueError(
                f"{where}.target_clip_id must be {clip_id!r}; received {str(target)!r}."
            )
        backend = str(_field(entry, "backend", "") or "")
        rank = _field(entry, "rank", pos + 1)
        rank = int(rank) if isinstance(rank, (int, np.integer)) else pos + 1
        similarity = _field(entry, "similarity")
        if similarity is not None:
            try:
                similarity = float(similarity)
            except (TypeError, ValueError):
                similarity = float("nan")
            if not np.isfinite(similarity):
                raise ValueError(
                    f"{where}.similarity must be a finite number or None; received "
                    f"{_field(entry, 'similarity')!r}."
                )
        label = _field(entry, "label") or f"{backend or 'reconstruction'} #{rank}"
        src_id = f"{clip_id}|{backend or 'reconstruction'}|{rank}|{pos}"
        out.append(
            Reconstructed(str(label), backend, rank, similarity, int(sr), src_id, entry, where)
        )
    return out
