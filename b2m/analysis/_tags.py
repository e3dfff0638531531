"""Tags read out of a decoded music embedding: "the brain says: guitar, rock, loud".

A tag model (musicnn) ends in one affine layer from its embedding to its tag logits, so an
embedding decoded from the brain can be pushed through that layer: the tags it predicts can be
compared with the tags of the clip that was heard. Scores are computed over the test clips:

- per tag, the **AUC** of the decoded tag scores for telling the clips that carry the tag
  (it is among the clip's own ``k`` most probable tags) from those that do not; chance 0.5,
  with a permutation band (decoded rows matched to shuffled clips, no refit);
- per clip, **tag precision**: the share of the ``k`` tags the decoded embedding ranks highest
  that are among the clip's own ``k`` tags, again against a permutation band.

Ridge shrinks decoded embeddings towards the training mean, which would make every clip's
decoded tags the "average" tags. :attr:`DecodedTags.decoded` therefore rescales each decoded
embedding's deviation from the training mean by one global factor, the ratio of the training
embeddings' root-mean-square deviation norm to the decoded embeddings' (no test truth is used). Per tag
this is a monotone map, so AUCs do not depend on it; it only makes the probabilities readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import rankdata

from b2m._utils._validation import check_array
from b2m.features import get_feature_space

__all__ = ["DecodedTags", "decoded_tags", "tag_auc"]


def tag_auc(scores, positives) -> np.ndarray:
    """Area under the ROC curve of each column of ``scores`` for its column of ``positives``.

    Parameters
    ----------
    scores : array of shape (n_clips, n_tags)
        Higher means "more likely to carry the tag".
    positives : bool array of shape (n_clips, n_tags)
        Which clips carry each tag.

    Returns
    -------
    ndarray of shape (n_tags,)
        The Mann–Whitney AUC (ties count one half); NaN for a tag with no positive or no
        negative clip.
    """
    scores = check_array(scores, "scores", ndim=2)
    positives = np.asarray(positives, dtype=bool)
    if positives.shape != scores.shape:
        raise ValueError(
            f"positives must have the shape of scores {scores.shape}; received {positives.shape}."
        )
    return _auc_from_ranks(rankdata(scores, axis=0), positives)


def _auc_from_ranks(ranks: np.ndarray, positives: np.ndarray) -> np.ndarray:
    n_pos = positives.sum(-2).astype(float)
    n_neg = positives.shape[-2] - n_pos
    rank_sum = (ranks * positives).sum(-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def _top_k_mask(x: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-x, axis=1, kind="stable")[:, :k]
    mask = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


@dataclass
class DecodedTags:
    """The tags of a decoded embedding beside the tags of the clip that was heard.

    Attributes
    ----------
    space, subject : str
        The decoded feature space (e.g. ``"musicnn"``) and the subject.
    tag_names : list of str
        The tag vocabulary (50 for musicnn).
    decoded : ndarray of shape (n_test, n_tags)
        Tag logits predicted from the decoded embedding of each test clip (shrinkage
        corrected, see the module docstring).
    true : ndarray of shape (n_test, n_tags)
        Tag logits of the heard clips (the model applied to the stimuli).
    test_ids, test_genres : ndarray of shape (n_test,)
    k : int
        How many of a clip's most probable tags count as "its tags".
    """

    space: str
    subject: str
    tag_names: list[str]
    decoded: np.ndarray = field(repr=False)
    true: np.ndarray = field(repr=False)
    test_ids: np.ndarray = field(repr=False)
    test_genres: np.ndarray = field(repr=False)
    k: int = 5

    @property
    def positives(self) -> np.ndarray:
        """Bool array of shape (n_test, n_tags): the ``k`` most probable tags of each clip."""
        return _top_k_mask(self.true, self.k)

    def _index(self, clip) -> int:
        ids = [str(c) for c in self.test_ids]
        if isinstance(clip, (int, np.integer)) and not isinstance(clip, bool):
            if not 0 <= int(clip) < len(ids):
                raise ValueError(f"clip must be in [0, {len(ids)}); received {clip}.")
            return int(clip)
        if str(clip) not in ids:
            raise ValueError(
                f"clip must be a test clip id (e.g. {ids[0]!r}) or an index; received {clip!r}."
            )
        return ids.index(str(clip))

    def clip(self, clip, n: int = 10) -> pd.DataFrame:
        """The ``n`` tags the decoded embedding of one test clip predicts most strongly.

        Parameters
        ----------
        clip : int or str
            Index among the test clips, or a test clip id.
        n : int, default 10

        Returns
        -------
        pandas.DataFrame
            ``tag``, ``decoded_probability``, ``true_probability`` and ``clip_tag`` (whether
            the tag is among the clip's own ``k`` tags), most probable decoded tag first.
        """
        i = self._index(clip)
        order = np.argsort(-self.decoded[i], kind="stable")[: int(n)]
        return pd.DataFrame(
            {
                "tag": [self.tag_names[j] for j in order],
                "decoded_probability": expit(self.decoded[i, order]),
                "true_probability": expit(self.true[i, order]),
                "clip_tag": self.positives[i, order],
            }
        )

    def true_tags(self, clip, n: int | None = None) -> list[str]:
        """The clip's own most probable tags (``k`` of them unless ``n`` is given)."""
        i = self._index(clip)
        return [self.tag_names[j] for j in np.argsort(-self.true[i], kind="stable")[: n or self.k]]

    def predicted_tags(self, clip, n: int | None = None) -> list[str]:
        """The tags the decoded embedding ranks highest (``k`` unless ``n`` is given)."""
        i = self._index(clip)
        order = np.argsort(-self.decoded[i], kind="stable")[: n or self.k]
        return [self.tag_names[j] for j in order]

    def _null(self, n_permutations: int, seed: int):
        if (
            isinstance(n_permutations, bool)
            or not isinstance(n_permutations, (int, np.integer))
            or n_permutations < 1
        ):
            raise ValueError(
                f"n_permutations must be an integer >= 1; received {n_permutations!r}."
            )
        rng = np.random.default_rng(seed)
        n = len(self.decoded)
        perms = np.stack([rng.permutation(n) for _ in range(int(n_permutations))])
        ranks = rankdata(self.decoded, axis=0)
        pos = self.positives
        auc_null = _auc_from_ranks(ranks[perms], pos[None])
        dec_top = _top_k_mask(self.decoded, self.k)
        prec_null = (dec_top[perms] & pos[None]).sum(-1).mean(-1) / self.k
        return auc_null, prec_null

    def scores(self, n_permutations: int = 1000, seed: int = 0) -> pd.DataFrame:
        """Per tag: AUC over the test clips, its permutation band and p-value.

        Parameters
        ----------
        n_permutations : int, default 1000
            Decoded rows matched to shuffled test clips (no refit).
        seed : int, default 0

        Returns
        -------
        pandas.DataFrame
            Indexed by tag: ``auc`` (NaN where every or no test clip carries the tag: not
            tested), ``n_positive`` (clips carrying it), ``chance_low``/``chance_high``
            (2.5/97.5 percentiles of the null) and ``p_value`` (one-sided,
            ``(1 + count) / (1 + n)``), sorted by AUC, best first.
        """
        auc = _auc_from_ranks(rankdata(self.decoded, axis=0), self.positives)
        null, _ = self._null(n_permutations, seed)
        with np.errstate(invalid="ignore"):
            p = (1 + np.sum(null >= auc, axis=0)) / (1 + len(null))
        tested = ~np.isnan(auc)
        low, high = np.full(len(auc), np.nan), np.full(len(auc), np.nan)
        if tested.any():
            low[tested] = np.percentile(null[:, tested], 2.5, axis=0)
            high[tested] = np.percentile(null[:, tested], 97.5, axis=0)
        frame = pd.DataFrame(
            {
                "auc": auc,
                "n_positive": self.positives.sum(0),
                "chance_low": low,
                "chance_high": high,
                "p_value": np.where(tested, p, np.nan),
            },
            index=pd.Index(self.tag_names, name="tag"),
        )
        return frame.sort_values("auc", ascending=False, na_position="last")

    def summary(self, n_permutations: int = 1000, seed: int = 0) -> dict:
        """Headline numbers of the decoded tags, with permutation bands.

        Returns
        -------
        dict
            ``subject``, ``space``, ``k``, ``n_tags_tested``, ``mean_tag_auc`` (over tested
            tags; chance 0.5) with ``tag_auc_chance_low``/``_high`` (band of the mean AUC),
            ``n_tags_above_chance`` (tags whose AUC exceeds their own 97.5th percentile),
            ``tag_precision`` (share of a clip's ``k`` decoded tags among its own ``k``, mean
            over clips) with ``tag_precision_chance_low``/``_high``.
        """
        auc = _auc_from_ranks(rankdata(self.decoded, axis=0), self.positives)
        auc_null, prec_null = self._null(n_permutations, seed)
        tested = ~np.isnan(auc)
        mean_null = np.nanmean(auc_null[:, tested], axis=1) if tested.any() else np.array([np.nan])
        high = np.percentile(auc_null[:, tested], 97.5, axis=0) if tested.any() else np.array([])
        dec_top = _top_k_mask(self.decoded, self.k)
        precision = float((dec_top & self.positives).sum(1).mean() / self.k)
        return {
            "subject": self.subject,
            "space": self.space,
            "k": int(self.k),
            "n_tags_tested": int(tested.sum()),
            "mean_tag_auc": float(np.nanmean(auc)) if tested.any() else float("nan"),
            "tag_auc_chance_low": float(np.percentile(mean_null, 2.5)),
            "tag_auc_chance_high": float(np.percentile(mean_null, 97.5)),
            "n_tags_above_chance": int(np.sum(auc[tested] > high)),
            "tag_precision": precision,
            "tag_precision_chance_low": float(np.percentile(prec_null, 2.5)),
            "tag_precision_chance_high": float(np.percentile(prec_null, 97.5)),
        }


def decoded_tags(decoding, study=None, *, k: int = 5) -> DecodedTags:
    """The tags predicted from a decoded musicnn embedding (or decoded tag logits).

    Parameters
    ----------
    decoding : b2m.analysis.DecodingResult
        A decoding of a musicnn space: an embedding space (``"musicnn"``,
        ``"musicnn-msd"``: its tags come from the model's last layer) or a tag space
        (``"musicnn-tags"``, ``"musicnn-msd-tags"``: the decoded logits are the tags).
    study : b2m.datasets.Study, optional
        Unused; accepted so that calls read like the other study-level analyses.
    k : int, default 5
        How many of a clip's most probable tags count as "its tags" (1 ≤ k < n_tags).

    Returns
    -------
    DecodedTags

    Raises
    ------
    ValueError
        If the decoded space has no tag vocabulary.
    """
    if not all(hasattr(decoding, a) for a in ("decoder", "decoded", "true", "space")):
        raise TypeError(
            "decoding must be a b2m.analysis.DecodingResult (from decode_study); received "
            f"{type(decoding).__name__}."
        )
    fs = get_feature_space(decoding.space)
    names = getattr(fs, "tag_names", None)
    if not names:
        raise ValueError(
            "decoding must be of a tag model's space (musicnn, musicnn-tags, musicnn-msd, "
            f"musicnn-msd-tags); received a decoding of {decoding.space!r}, which has no tags."
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < len(names):
        raise ValueError(f"k must be an integer in [1, {len(names)}); received {k!r}.")
    scaler = decoding.decoder.target_scaler_
    decoded = np.asarray(scaler.inverse_transform(decoding.decoded), dtype=np.float64)
    true = np.asarray(scaler.inverse_transform(decoding.true), dtype=np.float64)
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    # Undo ridge's shrinkage by one global factor: the training embeddings' RMS deviation from
    # their mean (sqrt of the summed per-dimension variances) over the decoded embeddings'.
    train_rms = float(np.sqrt(np.sum(np.asarray(scaler.scale_, dtype=np.float64) ** 2)))
    dev = decoded - mean
    dec_rms = float(np.sqrt(np.mean(np.sum(dev**2, axis=1))))
    if dec_rms > 0:
        decoded = mean + dev * (train_rms / dec_rms)
    to_tags = getattr(fs, "tags_from_embedding", None)
    if to_tags is not None:
        decoded, true = to_tags(decoded), to_tags(true)
    return DecodedTags(
        space=decoding.space,
        subject=decoding.subject,
        tag_names=list(names),
        decoded=np.asarray(decoded, dtype=np.float64),
        true=np.asarray(true, dtype=np.float64),
        test_ids=np.asarray(decoding.test_ids),
        test_genres=np.asarray(decoding.test_genres),
        k=int(k),
    )
