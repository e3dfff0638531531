"""Reconstruction by retrieval: the library clips nearest (cosine) to each decoded embedding."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from b2m._utils._validation import check_choice
from b2m.models import LibraryIndex
from b2m.reconstruction._base import Reconstruction, Reconstructor

__all__ = ["LIBRARIES", "RetrievalReconstructor", "study_library"]

#: Which of a study's clips :func:`study_library` holds: the training clips only (disjoint
#: from the test set, the default), or every clip, the target being left out at retrieval.
LIBRARIES = ("train", "all-but-target")


def _simple(value):
    """A metadata cell as a JSON-ready scalar (NaN → None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


class RetrievalReconstructor(Reconstructor):
    """Return the ``k`` library clips most cosine-similar to each decoded embedding.

    Works with any :class:`b2m.models.LibraryIndex` whose metadata has a ``clip_id`` column:
    the study's own clips (:func:`study_library`), a music folder embedded with
    ``b2m features``, or a million-clip index. Audio is loaded only for the clips returned,
    once each to check it; a :class:`Reconstruction` keeps a loader, not the waveform, and
    reads the clip again whenever its ``audio`` is used (a player, a listening test).

    Parameters
    ----------
    library : b2m.models.LibraryIndex
        Embeddings in the space of the decoded embeddings; metadata with ``clip_id`` (and
        optionally ``genre``, ``title``).
    load_audio : callable
        ``load_audio(clip_id) -> (waveform, sr)``, a 1-D waveform (2-D is averaged over its
        last axis as channels).
    exclude_self : bool, default True
        Never return the target clip itself (leave-one-out when the library holds the
        study's clips): library items whose ``clip_id`` equals the target's are skipped.
    source : str, optional
        Names where the library comes from (e.g. the study key), recorded in provenance.
    library_name : str, optional
        Names which clips the library holds (e.g. ``"train"`` or ``"all-but-target"`` for a
        study's library, see :func:`study_library`), recorded in each reconstruction's
        provenance as ``library_name`` (and in ``params``), so evaluations can say which
        library was searched.
    """

    name = "retrieval"

    def __init__(
        self,
        library,
        load_audio: Callable[[str], tuple[np.ndarray, int]],
        *,
        exclude_self: bool = True,
        source: str | None = None,
        library_name: str | None = None,
    ):
        if not isinstance(library, LibraryIndex):
            raise TypeError(
                f"library must be a b2m.models.LibraryIndex; received {type(library).__name__}."
            )
        if library.metadata is None or "clip_id" not in library.metadata.columns:
            cols = None if library.metadata is None else list(library.metadata.columns)
            raise ValueError(
                "library must have metadata with a 'clip_id' column (to name and load the "
                f"retrieved clips); received metadata columns {cols}."
            )
        if not callable(load_audio):
            raise TypeError(
                f"load_audio must be callable (clip_id -> (waveform, sr)); received "
                f"{type(load_audio).__name__}."
            )
        if not isinstance(exclude_self, bool):
            raise TypeError(f"exclude_self must be a bool; received {exclude_self!r}.")
        if library_name is not None and not isinstance(library_name, str):
            raise TypeError(f"library_name must be a str or None; received {library_name!r}.")
        super().__init__(
            exclude_self=exclude_self, source=source, library_size=int(library.n_items),
            library_name=library_name,
        )  # fmt: skip
        self.library = library
        self.load_audio = load_audio
        self._ids = library.metadata["clip_id"].astype(str).to_numpy()

    @property
    def dim(self) -> int:
        return int(self.library.dim)

    def _search(self, x: np.ndarray, ids: list[str], k: int):
        """Indices and scores of the ``k`` best allowed items per query, best first."""
        n = self.library.n_items
        exclude = self.params["exclude_self"]
        m = min(n, k + 1) if exclude else k
        if not exclude and k > n:
            raise ValueError(f"k must be at most the library size ({n}); received k={k}.")
        while True:
            res = self.library.search(x, m)
            hits, done = [], True
            for q, target in enumerate(ids):
                keep = [
                    (int(i), float(s))
                    for i, s in zip(res.indices[q], res.scores[q], strict=True)
                    if i >= 0 and not (exclude and self._ids[i] == target)
                ]
                done &= len(keep) >= k
                hits.append(keep[:k])
            if done or m >= n:
                break
            m = min(n, 2 * m)  # the target appears several times in the library
        short = [ids[q] for q, h in enumerate(hits) if len(h) < k]
        if short:
            raise ValueError(
                f"k must be at most the number of library clips other than the target; "
                f"received k={k}, but only {len(hits[ids.index(short[0])])} remain for "
                f"{short[0]!r} (library of {n})."
            )
        return hits

    def _reconstruct(self, x: np.ndarray, ids: list[str], k: int) -> list:
        meta = self.library.metadata
        shapes: dict[str, tuple[int, int]] = {}  # clip id -> (n_samples, sr), one load each
        out = []
        for target, hits in zip(ids, self._search(x, ids, k), strict=True):
            recs = []
            for rank, (index, score) in enumerate(hits):
                clip_id = str(self._ids[index])
                if clip_id not in shapes:
                    wave, sr = self._load(clip_id)  # checked now, then read again on access
                    shapes[clip_id] = (len(wave), sr)
                n_samples, sr = shapes[clip_id]
                row = {c: _simple(v) for c, v in meta.iloc[index].items()}
                genre = row.get("genre")
                name = row.get("title") or clip_id
                label = f"retrieved {name}" + (f" ({genre})" if genre else "")
                provenance = {
                    "backend": self.name,
                    "params": self.params,
                    "source_clip_id": clip_id,
                    "library_index": index,
                    "library_name": self.params["library_name"],
                    "library": row,
                    "genre": genre,
                    "excluded_target": bool(self.params["exclude_self"] and target in self._ids),
                }
                recs.append(
                    Reconstruction(
                        target_clip_id=target,
                        backend=self.name,
                        rank=rank,
                        audio=partial(self._load_wave, clip_id, sr),
                        sr=sr,
                        label=label,
                        similarity=score,
                        provenance=provenance,
                        n_samples=n_samples,
                    )
                )
            out.append(recs)
        return out

    def _load_wave(self, clip_id: str, sr: int) -> np.ndarray:
        """The waveform of a retrieved clip, loaded again when a reconstruction is played."""
        wave, now = self._load(clip_id)
        if now != sr:
            raise ValueError(
                f"load_audio({clip_id!r}) must return the sample rate it returned at "
                f"reconstruction ({sr} Hz); received {now!r}."
            )
        return wave

    def _load(self, clip_id: str) -> tuple[np.ndarray, int]:
        loaded = self.load_audio(clip_id)
        if not (isinstance(loaded, tuple) and len(loaded) == 2):
            raise TypeError(
                f"load_audio({clip_id!r}) must return (waveform, sr); received "
                f"{type(loaded).__name__}."
            )
        wave, sr = loaded
        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim == 2:
            wave = wave.mean(axis=1)
        if wave.ndim != 1 or wave.size == 0:
            raise ValueError(
                f"load_audio({clip_id!r}) must return a 1-D waveform; received shape {wave.shape}."
            )
        return wave, sr


def study_library(
    study, space: str = "acoustic", *, transform=None, clip_ids=None, library=None, **params
):
    """A :class:`b2m.models.LibraryIndex` of a study's clips in one feature space.

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
        Feature space (:func:`b2m.features.get_feature_space`); embeddings come from the cache.
    transform : callable, optional
        Applied to the embeddings first, e.g. ``decoding.decoder.transform_embeddings``,
        so that the library lives in the same (standardised) space as the decoded
        embeddings. Cosine similarity in raw feature units is dominated by the largest ones.
    clip_ids : sequence of str, optional
        Exactly these clips, in this order (instead of ``library``).
    library : {"train", "all-but-target"}, optional
        Which clips, when ``clip_ids`` is not given: ``"train"`` (the default) the training
        clips, in ``study.responses.train_ids`` order — disjoint from the test set, so a
        decoded test clip can only retrieve clips the models were fitted on; or
        ``"all-but-target"``: every clip of ``study.clips`` (training and test, their
        order), for a :class:`RetrievalReconstructor` that leaves the target out
        (``exclude_self=True``) — the other test clips can then be retrieved.
    **params
        Passed to the feature space.

    Returns
    -------
    LibraryIndex
        Metadata columns ``clip_id``, ``genre``, ``split``, ``caption``.

    Raises
    ------
    ValueError
        If ``library`` is not one of :data:`LIBRARIES`, or both ``library`` and
        ``clip_ids`` are given.
    """
    # lazy: b2m.analysis pulls b2m.datasets (pooch, yaml, platformdirs)
    from b2m.analysis import study_embeddings

    if library is not None and clip_ids is not None:
        raise ValueError(
            "library and clip_ids choose the same thing; pass one or the other, not both "
            f"(received library={library!r} and {len(list(clip_ids))} clip_ids)."
        )
    if clip_ids is not None:
        rows = study.clip_indices([str(c) for c in clip_ids])
    elif check_choice("train" if library is None else library, "library", LIBRARIES) == "train":
        rows = study.clip_indices([str(c) for c in study.responses.train_ids])
    else:
        rows = np.arange(len(study.clips))
    emb = study_embeddings(study, space, **params)[rows]
    if transform is not None:
        if not callable(transform):
            raise TypeError(f"transform must be callable; received {type(transform).__name__}.")
        emb = np.asarray(transform(emb))
    cols = [c for c in ("clip_id", "genre", "split", "caption") if c in study.clips.columns]
    meta = pd.DataFrame(study.clips.iloc[rows][cols]).reset_index(drop=True)
    return LibraryIndex(emb, meta, backend="numpy")
