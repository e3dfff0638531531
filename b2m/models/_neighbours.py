"""Retrieved clips as the lists and widgets show them: one small type and its builders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np

from b2m._utils._arrays import unit_rows
from b2m._utils._validation import check_array

__all__ = ["Neighbour", "cosine_neighbours", "neighbour_items"]


class Neighbour(TypedDict):
    """One retrieved clip: what a retrieval list (``b2m_widgets.view_neighbours``) shows.

    ``index`` is the clip's row among the candidates searched, ``score`` the similarity
    (correlation or cosine; higher is closer).
    """

    index: int
    clip_id: str
    genre: str
    score: float


def neighbour_items(indices, clip_ids: Sequence, genres: Sequence, scores) -> list[Neighbour]:
    """Build :class:`Neighbour` items for the candidate rows ``indices``, in that order.

    Parameters
    ----------
    indices : sequence of int
        Rows of the candidates, best first.
    clip_ids, genres : sequence of str
        Labels of every candidate (indexed by ``indices``); ``genres`` may hold ``""``.
    scores : sequence of float
        Similarity of every candidate (indexed by ``indices``).
    """
    return [
        Neighbour(
            index=int(j), clip_id=str(clip_ids[j]), genre=str(genres[j]), score=float(scores[j])
        )
        for j in indices
    ]


def cosine_neighbours(
    embeddings, index: int, k: int, genres: Sequence[str], clip_ids: Sequence[str]
) -> list[Neighbour]:
    """The ``k`` clips whose embeddings are most cosine-similar to clip ``index`` (itself excluded).

    Parameters
    ----------
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip.
    index : int
        The query clip.
    k : int
        Number of neighbours (fewer when there are fewer other clips).
    genres, clip_ids : sequence of str of length n_clips
        Labels copied into the items.

    Returns
    -------
    list of Neighbour
        Best first (score: cosine similarity; ties keep the clips' order).
    """
    x = check_array(embeddings, "embeddings", ndim=2)
    unit = unit_rows(x)
    scores = unit @ unit[index]
    scores[index] = -np.inf
    order = np.argsort(-scores, kind="stable")[: min(k, len(x) - 1)]
    return neighbour_items(order, clip_ids, genres, scores)
