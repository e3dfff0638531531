"""From a free-text description to music and to cortex, through a tag model's vocabulary.

No open model that embeds music and text in one space installs offline (DESIGN §9), but a
music tagger's 50 tags are words. A description such as ``"distorted guitar, fast drums"`` is
mapped onto those tags with a sentence-embedding model, then

1. **clips are ranked** by their tag scores, weighted by how close each tag is to the text;
2. **the cortex is painted** by the encoding model of the tag space: the predicted response to
   a virtual clip whose matched tags are raised above the library's mean, minus the predicted
   response to the mean clip.

How the text meets the tags (:func:`text_to_tags`): the text is split into phrases at commas,
semicolons, slashes, "and", "with" and "plus"; every phrase and every tag name is embedded by
the sentence model (``sentence-minilm``: all-MiniLM-L6-v2, unit-norm 384-d vectors); a tag's
similarity to the text is its highest cosine similarity to any phrase. Tags at or above
``min_similarity`` are *matched* and weighted by their similarity (weights sum to 1). A text
with no phrase near any tag raises an error that lists the nearest tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from b2m._utils._validation import check_array
from b2m.analysis._embeddings import study_embeddings
from b2m.features import get_feature_space
from b2m.models import unit_rows

__all__ = [
    "TagQuery",
    "TextSearch",
    "TextSearchResult",
    "rank_by_text",
    "text_response_map",
    "text_to_tags",
]

_SPLIT = re.compile(r"\s*(?:[,;/+]|\band\b|\bwith\b|\bplus\b)\s*", flags=re.IGNORECASE)


@dataclass
class TagQuery:
    """A free-text description mapped onto a tag vocabulary.

    Attributes
    ----------
    text : str
    phrases : list of str
        The phrases the text was split into.
    tag_names : list of str
    similarity : ndarray of shape (n_tags,)
        Highest cosine similarity of each tag name to any phrase.
    weights : ndarray of shape (n_tags,)
        Non-negative, summing to 1, non-zero only for matched tags.
    min_similarity : float
    """

    text: str
    phrases: list[str]
    tag_names: list[str]
    similarity: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    min_similarity: float = 0.5

    @property
    def matched(self) -> pd.DataFrame:
        """The matched tags: ``tag``, ``similarity``, ``weight``, heaviest first."""
        keep = np.flatnonzero(self.weights > 0)
        order = keep[np.argsort(-self.weights[keep], kind="stable")]
        return pd.DataFrame(
            {
                "tag": [self.tag_names[i] for i in order],
                "similarity": self.similarity[order],
                "weight": self.weights[order],
            }
        )


@lru_cache(maxsize=8)
def _tag_vectors(tag_names: tuple[str, ...], text_space: str) -> np.ndarray:
    return unit_rows(np.asarray(get_feature_space(text_space).embed_text(list(tag_names)), float))


def text_to_tags(
    text: str,
    tag_names,
    *,
    min_similarity: float = 0.5,
    text_space: str = "sentence-minilm",
) -> TagQuery:
    """Map a free-text description onto a tag vocabulary with a sentence model.

    Parameters
    ----------
    text : str
        E.g. ``"distorted guitar, fast drums"``.
    tag_names : sequence of str
        The vocabulary, e.g. ``get_feature_space("musicnn").tag_names``.
    min_similarity : float, default 0.5
        Cosine similarity (in (0, 1)) a tag needs to be matched.
    text_space : str, default "sentence-minilm"
        A text feature space (needs the ``text`` extra).

    Returns
    -------
    TagQuery

    Raises
    ------
    ValueError
        If ``text`` is empty, or no phrase of it reaches ``min_similarity`` with any tag (the
        message lists the three nearest tags and their similarities).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty description; received {text!r}.")
    names = tuple(str(t) for t in tag_names)
    if not names:
        raise ValueError("tag_names must hold at least one tag; received none.")
    if not (np.isscalar(min_similarity) and 0 < float(min_similarity) < 1):
        raise ValueError(f"min_similarity must be in (0, 1); received {min_similarity!r}.")
    phrases = [p for p in _SPLIT.split(text.strip()) if p and p.strip()] or [text.strip()]
    phrase_vectors = unit_rows(np.asarray(get_feature_space(text_space).embed_text(phrases), float))
    similarity = (phrase_vectors @ _tag_vectors(names, text_space).T).max(0)
    matched = similarity >= float(min_similarity)
    if not matched.any():
        best = np.argsort(-similarity)[:3]
        near = ", ".join(f"{names[i]!r} ({similarity[i]:.2f})" for i in best)
        raise ValueError(
            f"text {text!r} is near no tag (min_similarity={min_similarity}); the nearest are "
            f"{near}. Use words of the tag vocabulary (e.g. {', '.join(names[:6])}) or lower "
            "min_similarity."
        )
    weights = np.where(matched, similarity, 0.0)
    return TagQuery(
        text=text,
        phrases=phrases,
        tag_names=list(names),
        similarity=similarity,
        weights=weights / weights.sum(),
        min_similarity=float(min_similarity),
    )


def _check_query(query, tag_logits) -> tuple[TagQuery, np.ndarray]:
    """The query and the tag scores, checked against each other."""
    if not isinstance(query, TagQuery):
        raise TypeError(
            f"query must be a TagQuery (from text_to_tags); received {type(query).__name__}."
        )
    x = check_array(tag_logits, "tag_logits", ndim=2)
    if x.shape[1] != len(query.tag_names):
        raise ValueError(
            f"tag_logits must have one column per tag ({len(query.tag_names)}); received "
            f"shape {x.shape}."
        )
    return query, x


def rank_by_text(query: TagQuery, tag_logits, clip_ids=None, *, genres=None) -> pd.DataFrame:
    """Rank clips by how well their tags match a text query.

    Each tag's scores are z-scored over the clips given (so that a rare tag counts as much
    as a common one), and a clip's score is the query-weighted sum of its z-scores.

    Parameters
    ----------
    query : TagQuery
    tag_logits : array of shape (n_clips, n_tags)
        The clips' tag scores (e.g. the ``musicnn-tags`` space of a study or a library).
    clip_ids : sequence of str, optional
        Default ``"0"``, ``"1"``…
    genres : sequence of str, optional
        Shown beside each clip.

    Returns
    -------
    pandas.DataFrame
        ``clip_id`` [, ``genre``], ``score`` and the matched tags' probabilities, best first.
    """
    query, x = _check_query(query, tag_logits)
    ids = [str(i) for i in (range(len(x)) if clip_ids is None else clip_ids)]
    if len(ids) != len(x):
        raise ValueError(f"clip_ids must have {len(x)} entries; received {len(ids)}.")
    sd = x.std(0)
    z = (x - x.mean(0)) / np.where(sd > 0, sd, 1.0)
    frame = pd.DataFrame({"clip_id": ids, "score": z @ query.weights})
    if genres is not None:
        frame.insert(1, "genre", [str(g) for g in genres])
    from scipy.special import expit

    for tag in query.matched["tag"]:
        frame[tag] = expit(x[:, query.tag_names.index(tag)])
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def text_response_map(query: TagQuery, encoder, tag_logits, *, strength: float = 2.0):
    """Where on the cortex a described sound would drive responses, by a tag encoding model.

    The virtual clip has the library's mean tag scores, raised by ``strength`` standard
    deviations on the matched tags in proportion to their weights; the map is the encoding
    model's predicted response to it minus its prediction for the mean clip.

    Parameters
    ----------
    query : TagQuery
    encoder : b2m.models.Encoder
        Fitted on the same tag space (e.g. ``encode_study(study, "musicnn-tags").encoder``).
    tag_logits : array of shape (n_clips, n_tags)
        The clips whose mean and spread define "raised" (e.g. the study's clips).
    strength : float, default 2.0
        Standard deviations added, in total, over the matched tags.

    Returns
    -------
    ndarray of shape (n_vertices,)
        Predicted response change (the responses' units: z-scored BOLD).
    """
    query, x = _check_query(query, tag_logits)
    n_in = getattr(encoder, "n_features_in_", None)
    if n_in is None:
        raise TypeError("encoder must be a fitted b2m.models.Encoder.")
    if n_in != x.shape[1]:
        raise ValueError(
            f"encoder must be fitted on the tag space ({x.shape[1]} features); received one "
            f"fitted on {n_in} features."
        )
    if not (np.isscalar(strength) and np.isfinite(strength) and strength > 0):
        raise ValueError(f"strength must be a positive number; received {strength!r}.")
    mean = x.mean(0)
    raised = mean + float(strength) * query.weights * x.std(0)
    pred = encoder.predict(np.vstack([raised, mean]))
    return np.asarray(pred[0] - pred[1], dtype=np.float32)


@dataclass
class TextSearchResult:
    """What a text search found: the tags matched, the clips ranked and a cortical map.

    Attributes
    ----------
    query : TagQuery
    ranked : pandas.DataFrame
        :func:`rank_by_text`'s table (``clip_id``, ``genre``, ``score``…), best first.
    surface_map : ndarray of shape (n_vertices,) or None
        :func:`text_response_map`, when the search has an encoder.
    """

    query: TagQuery
    ranked: pd.DataFrame = field(repr=False)
    surface_map: np.ndarray | None = field(default=None, repr=False)

    def neighbour_items(self, k: int = 10) -> list[dict]:
        """The ``k`` best clips as dicts: ``clip_id``, ``genre``, ``score``."""
        top = self.ranked.head(int(k))
        genres = top["genre"] if "genre" in top else [""] * len(top)
        return [
            {"clip_id": str(c), "genre": str(g), "score": float(s)}
            for c, g, s in zip(top["clip_id"], genres, top["score"], strict=True)
        ]


class TextSearch:
    """Search clips, and the cortex, with free text through a tag model's vocabulary.

    Parameters
    ----------
    tag_names : sequence of str
    tag_logits : array of shape (n_clips, n_tags)
        The clips' tag scores.
    clip_ids : sequence of str of length n_clips
    genres : sequence of str of length n_clips, optional
    encoder : b2m.models.Encoder or EncodingResult, optional
        An encoding model of the same tag space; enables :attr:`TextSearchResult.surface_map`.
    min_similarity : float, default 0.5
        See :func:`text_to_tags`.
    """

    def __init__(
        self,
        tag_names,
        tag_logits,
        clip_ids,
        genres=None,
        encoder=None,
        *,
        min_similarity: float = 0.5,
    ):
        self.tag_names = [str(t) for t in tag_names]
        self.tag_logits = check_array(tag_logits, "tag_logits", ndim=2)
        if self.tag_logits.shape[1] != len(self.tag_names):
            raise ValueError(
                f"tag_logits must have one column per tag ({len(self.tag_names)}); received "
                f"shape {self.tag_logits.shape}."
            )
        self.clip_ids = [str(c) for c in clip_ids]
        if len(self.clip_ids) != len(self.tag_logits):
            raise ValueError(
                f"clip_ids must have {len(self.tag_logits)} entries; received {len(self.clip_ids)}."
            )
        self.genres = None if genres is None else [str(g) for g in genres]
        self.encoder = getattr(encoder, "encoder", encoder)
        self.min_similarity = min_similarity

    @classmethod
    def from_study(cls, study, space: str = "musicnn-tags", encoder=None, **options):
        """A search over a study's clips, with their tags in ``space``.

        Parameters
        ----------
        study : b2m.datasets.Study
        space : str, default "musicnn-tags"
            A tag space (``"musicnn-tags"`` or ``"musicnn-msd-tags"``).
        encoder : Encoder or EncodingResult, optional
            E.g. ``encode_study(study, "musicnn-tags")``.
        **options
            ``min_similarity``.
        """
        fs = get_feature_space(space)
        names = getattr(fs, "tag_names", None)
        if not names or hasattr(fs, "tags_from_embedding"):
            raise ValueError(
                "space must be a tag space ('musicnn-tags' or 'musicnn-msd-tags'); received "
                f"{space!r}."
            )
        logits = study_embeddings(study, space, progressbar=False)
        clips = study.clips
        return cls(names, logits, clips["clip_id"], clips["genre"], encoder, **options)

    def __call__(self, text: str) -> TextSearchResult:
        """Search: map ``text`` onto the tags, rank the clips, paint the cortex."""
        query = text_to_tags(text, self.tag_names, min_similarity=self.min_similarity)
        ranked = rank_by_text(query, self.tag_logits, self.clip_ids, genres=self.genres)
        surface = None
        if self.encoder is not None:
            surface = text_response_map(query, self.encoder, self.tag_logits)
        return TextSearchResult(query, ranked, surface)
