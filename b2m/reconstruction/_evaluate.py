"""Evaluating reconstructions as Brain2Music did: identification and genre agreement.

Every reconstruction is embedded with the feature space the stimuli are embedded with. Its
identification accuracy is Brain2Music's: the share of the other test stimuli whose embedding
correlates less with the reconstruction's embedding than the target stimulus's does (chance
0.5). Genre agreement: a genre classifier fitted on the training clips' embeddings names the
reconstruction's genre, compared with the target's true genre (chance about 0.1). Embeddings
are standardised with the training clips' statistics (and, for the classifier, scaled to unit
norm, so that shrunken decoded embeddings are judged by their direction).

Beside them, distribution metrics (:mod:`b2m.reconstruction._distribution`): top-k
identification among the test stimuli (k = 1, 5, 10) and Fréchet distances between the
reconstructions and the stimuli, for the set (with a bootstrap interval) and per clip, in the
same standardised space projected onto the training clips' first principal axes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m._utils._memory import release_freed_memory
from b2m._utils._progress import progress
from b2m._utils._validation import check_array
from b2m.features import resolve_feature_space
from b2m.models import identification_accuracy, unit_rows
from b2m.reconstruction._base import Reconstruction, iter_reconstructions
from b2m.reconstruction._distribution import DistributionMetrics

__all__ = ["ReconstructionEvaluation", "evaluate_reconstructions"]

DECODED = "decoded"
CHANCE = "random training clip"
#: The k of the top-k identification columns (``top1``, ``top5``, ``top10``).
TOP_K = (1, 5, 10)


@dataclass
class ReconstructionEvaluation:
    """Identification accuracy and genre agreement of reconstructions, with references.

    Attributes
    ----------
    subject, space : str
        The study's subject and the feature space used to embed everything.
    clips : pandas.DataFrame
        One row per evaluated item: ``backend``, ``kind`` (``"reconstruction"``,
        ``"upper reference"`` for the decoded embeddings, ``"chance reference"`` for random
        training clips), ``target_clip_id``, ``rank``, ``label``, ``identification``,
        ``true_genre``, ``predicted_genre``, ``genre_agree`` (1.0 or 0.0; for the chance
        reference, the share of draws that agree), ``top1``, ``top5``, ``top10`` (whether
        the target is among the k test stimuli most correlated with the item; fractional
        where correlations tie; for the chance reference, the share of draws) and
        ``frechet_clip`` (Fréchet distance between the item's neighbourhood and its target's,
        :func:`~b2m.reconstruction._distribution.local_frechet`; for the chance reference,
        the mean over draws).
    embeddings : dict of str to ndarray
        Per backend, the (raw) embeddings of its rows of :attr:`clips`, in the same order.
    stimulus_embeddings : ndarray of shape (n_test, d)
        The test stimuli's embeddings, rows in :attr:`test_ids` order.
    test_ids, test_genres : ndarray of shape (n_test,)
    frechet : pandas.DataFrame
        One row per backend (index): ``frechet`` (Fréchet distance between the backend's
        items and their targets' stimuli, as sets), ``frechet_low``, ``frechet_high`` (its
        bootstrap interval; for the chance reference, the spread over draws) and
        ``frechet_components`` (dimensions it is measured in). Empty when not computed.
    """

    subject: str
    space: str
    clips: pd.DataFrame = field(repr=False)
    embeddings: dict = field(repr=False)
    stimulus_embeddings: np.ndarray = field(repr=False)
    test_ids: np.ndarray = field(repr=False)
    test_genres: np.ndarray = field(repr=False)
    frechet: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per backend and reference.

        Returns
        -------
        pandas.DataFrame
            ``subject``, ``space``, ``backend``, ``kind``, ``n`` (items scored),
            ``identification`` (mean; chance 0.5), ``identification_sd``,
            ``genre_agreement`` (share; chance about 0.1) and ``library`` (the retrieval
            library searched, e.g. ``"train"``; None for other backends); then the
            distribution metrics: ``top1``, ``top5``, ``top10`` (share of items whose target
            is among the k of the 60 test stimuli most correlated with them; chance k/60),
            ``frechet_clip`` (mean per-clip Fréchet distance), ``frechet``, ``frechet_low``,
            ``frechet_high`` (set-level Fréchet distance to the stimuli and its interval;
            lower is closer) and ``frechet_components``.
        """
        g = self.clips.groupby(["backend", "kind"], sort=False)
        frame = g.agg(
            n=("identification", "size"),
            identification=("identification", "mean"),
            identification_sd=("identification", "std"),
            genre_agreement=("genre_agree", "mean"),
            library=("library", "first"),
            **{c: (c, "mean") for c in _DISTRIBUTION_COLUMNS if c in self.clips.columns},
        ).reset_index()
        if len(self.frechet):
            frame = frame.join(self.frechet, on="backend")
        frame.insert(0, "space", self.space)
        frame.insert(0, "subject", self.subject)
        return frame

    def map_points(self, backends=None) -> tuple[np.ndarray, list[str], list[str]]:
        """The test stimuli and the reconstructions together, for one embedding map.

        Parameters
        ----------
        backends : sequence of str, optional
            Backends (or references) to include; default every reconstruction backend.

        Returns
        -------
        embeddings : ndarray of shape (n_test + n_points, d)
            The stimuli first (:attr:`test_ids` order), then each backend's rows.
        groups : list of str
            ``"stimulus"`` or the backend name, per row (e.g. the colour of a scatter).
        names : list of str
            ``"<clip id>"`` for a stimulus, ``"<backend> → <target clip id>"`` otherwise.
        """
        kinds = self.clips.drop_duplicates("backend").set_index("backend")["kind"]
        if backends is None:
            backends = [b for b, k in kinds.items() if k == "reconstruction"]
        unknown = [b for b in backends if b not in self.embeddings]
        if unknown:
            raise ValueError(f"backends must be among {list(self.embeddings)}; received {unknown}.")
        parts, groups, names = (
            [self.stimulus_embeddings],
            ["stimulus"] * len(self.test_ids),
            [str(c) for c in self.test_ids],
        )
        for b in backends:
            rows = self.clips[self.clips["backend"] == b]
            parts.append(self.embeddings[b][: len(rows)])
            groups += [b] * len(rows)
            names += [f"{b} → {t}" for t in rows["target_clip_id"]]
        return np.vstack(parts), groups, names

    def to_records(self) -> list[dict]:
        """:meth:`to_frame` as JSON-ready dicts (e.g. for ``summary.json``)."""
        out = []
        for row in self.to_frame().to_dict(orient="records"):
            out.append(
                {
                    k: (None if isinstance(v, float) and np.isnan(v) else v)
                    for k, v in (
                        (k, v.item() if isinstance(v, np.generic) else v) for k, v in row.items()
                    )
                }
            )
        return out


_DISTRIBUTION_COLUMNS = ("top1", "top5", "top10", "frechet_clip")


def _flatten(reconstructions) -> list[Reconstruction]:
    flat = list(iter_reconstructions(reconstructions))
    if not flat:
        raise ValueError("reconstructions must hold at least one Reconstruction; received 0.")
    return flat


def _embed(recs: list[Reconstruction], fs, study, all_emb: np.ndarray) -> np.ndarray:
    """Embeddings of the reconstructions; the study's own clips reuse their cached rows."""
    out = np.empty((len(recs), all_emb.shape[1]))
    by_sr: dict[int, list[int]] = defaultdict(list)
    index = {c: i for i, c in enumerate(study.clips["clip_id"].astype(str))}
    for i, r in enumerate(recs):
        src = r.provenance.get("source_clip_id")
        same_study = (r.provenance.get("params") or {}).get("source") == study.key
        if same_study and src in index:
            out[i] = all_emb[index[src]]
        else:
            by_sr[r.sr].append(i)
    for sr, rows in by_sr.items():
        # a lazy record loads or renders its audio here (retrieval from another library, synth)
        audio = [recs[i].audio for i in progress(rows, desc="Reading reconstructions' audio")]
        out[rows] = fs.embed_audio(audio, sr)
        del audio
        release_freed_memory()  # the waveforms just read: ~80 MB per 60 clips
    return out


def evaluate_reconstructions(
    reconstructions,
    study,
    feature_space="acoustic",
    *,
    decoded=None,
    top: int = 1,
    n_chance: int = 20,
    seed: int = 0,
    C: float = 10.0,
    n_components: int = 16,
    n_neighbours: int = 10,
    n_boot: int = 200,
) -> ReconstructionEvaluation:
    """Identification accuracy and genre agreement of reconstructions against the test stimuli.

    Parameters
    ----------
    reconstructions : list of list of Reconstruction, or dict of them, or a flat list
        As returned by :meth:`Reconstructor.reconstruct` (several backends may be mixed;
        rows are grouped by :attr:`Reconstruction.backend`). Targets must be test clips.
    study : b2m.datasets.Study
    feature_space : str or FeatureSpace, default "acoustic"
        An audio space; the stimuli's embeddings come from the study's feature cache.
    decoded : DecodingResult or array of shape (n_test, d), optional
        The decoded test embeddings themselves, scored as the ``"decoded"`` upper reference.
        A :class:`b2m.analysis.DecodingResult` must be of the same space; an array is taken
        in the space's raw units, rows in ``study.responses.test_ids`` order.
    top : int, default 1
        Score the reconstructions of rank < ``top`` (1: the best or first of each target).
    n_chance : int, default 20
        Draws of the chance reference: each target "reconstructed" by a random training clip
        (scores averaged over draws; 0 to skip).
    seed : int, default 0
        Seeds the chance draws.
    C : float, default 10.0
        Inverse regularisation of the genre classifier (logistic regression).
    n_components : int, default 16
        Principal axes of the (standardised) training clips that the Fréchet distances are
        measured in (at most the space's dimension; see
        :class:`~b2m.reconstruction._distribution.FrechetSpace`).
    n_neighbours : int, default 10
        Training clips in each item's neighbourhood for the per-clip Fréchet distance.
    n_boot : int, default 200
        Bootstrap resamples of the set-level Fréchet distance's interval (0: none).

    Returns
    -------
    ReconstructionEvaluation
    """
    from sklearn.linear_model import LogisticRegression

    # lazy: b2m.analysis pulls b2m.datasets (pooch, yaml, platformdirs)
    from b2m.analysis import study_embeddings

    fs = resolve_feature_space(feature_space, modality="audio", param="feature_space")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer; received {top!r}.")
    if isinstance(n_chance, bool) or not isinstance(n_chance, (int, np.integer)) or n_chance < 0:
        raise ValueError(f"n_chance must be an integer >= 0; received {n_chance!r}.")
    recs = [r for r in _flatten(reconstructions) if r.rank < top]
    test_ids = np.asarray(study.responses.test_ids).astype(str)
    test_pos = {c: i for i, c in enumerate(test_ids)}
    unknown = sorted({r.target_clip_id for r in recs} - set(test_pos))
    if unknown:
        raise ValueError(
            f"reconstructions must target the study's {len(test_ids)} test clips; received "
            f"target_clip_id {unknown[:3]} not among them."
        )
    all_emb = study_embeddings(study, fs.name, progressbar=False, **fs.params).astype(np.float64)
    train_rows = study.clip_indices(study.responses.train_ids)
    train = all_emb[train_rows]
    mean, sd = train.mean(0), train.std(0)
    sd = np.where(sd > 0, sd, 1.0)

    def z(x):
        return (np.asarray(x, dtype=np.float64) - mean) / sd

    stimuli = all_emb[study.clip_indices(test_ids)]
    genres = study.clips["genre"].to_numpy().astype(str)
    test_genres = genres[study.clip_indices(test_ids)]
    clf = LogisticRegression(C=C, max_iter=5000).fit(unit_rows(z(train)), genres[train_rows])
    dist = DistributionMetrics(z(train), z(stimuli), n_components=n_components, k=TOP_K,
                               n_neighbours=n_neighbours, n_boot=n_boot, seed=seed)  # fmt: skip
    rows, embeddings = [], {}

    def score(backend, kind, emb, targets, ranks, labels, libraries=None):
        libraries = libraries or [None] * len(targets)
        t = np.array([test_pos[c] for c in targets])
        ident = identification_accuracy(z(emb), z(stimuli), t)
        predicted = clf.predict(unit_rows(z(emb)))
        extra = dist.score(backend, z(emb), t)
        for i in range(len(t)):
            rows.append(
                {
                    "backend": backend,
                    "kind": kind,
                    "target_clip_id": targets[i],
                    "rank": ranks[i],
                    "label": labels[i],
                    "identification": float(ident[i]),
                    "true_genre": test_genres[t[i]],
                    "predicted_genre": str(predicted[i]),
                    "genre_agree": float(predicted[i] == test_genres[t[i]]),
                    "library": libraries[i],
                    **{c: float(v[i]) for c, v in extra.items()},
                }
            )
        embeddings[backend] = np.asarray(emb)

    by_backend: dict[str, list[Reconstruction]] = defaultdict(list)
    for r in recs:
        by_backend[r.backend].append(r)
    for backend, group in by_backend.items():
        emb = _embed(group, fs, study, all_emb)
        score(
            backend,
            "reconstruction",
            emb,
            [r.target_clip_id for r in group],
            [r.rank for r in group],
            [r.label for r in group],
            [r.provenance.get("library_name") for r in group],
        )
    targets = sorted({r.target_clip_id for r in recs}, key=test_pos.get)
    if decoded is not None:
        raw, ids = _decoded(decoded, fs, study, test_ids)
        keep = [i for i, c in enumerate(ids) if c in set(targets)]
        score(DECODED, "upper reference", raw[keep], [ids[i] for i in keep], [0] * len(keep),
              ["decoded embedding"] * len(keep))  # fmt: skip
    if n_chance:
        rng = np.random.default_rng(seed)
        draws = rng.integers(len(train_rows), size=(int(n_chance), len(targets)))
        t = np.array([test_pos[c] for c in targets])
        ident = np.mean([identification_accuracy(z(train[d]), z(stimuli), t) for d in draws], 0)
        agree = np.mean([genres[train_rows][d] == test_genres[t] for d in draws], 0)
        extra = dist.score_reference(CHANCE, [z(train[d]) for d in draws], t)
        for i, c in enumerate(targets):
            rows.append(
                {
                    "backend": CHANCE, "kind": "chance reference", "target_clip_id": c,
                    "rank": 0, "label": f"mean of {n_chance} random training clips",
                    "identification": float(ident[i]), "true_genre": test_genres[t[i]],
                    "predicted_genre": "", "genre_agree": float(agree[i]), "library": None,
                    **{c: float(v[i]) for c, v in extra.items()},
                }
            )  # fmt: skip
        embeddings[CHANCE] = train[draws[0]]
    return ReconstructionEvaluation(
        subject=study.subject,
        space=fs.name,
        clips=pd.DataFrame(rows),
        embeddings=embeddings,
        stimulus_embeddings=stimuli,
        test_ids=test_ids,
        test_genres=test_genres,
        frechet=dist.frame(),
    )


def _decoded(decoded, fs, study, test_ids):
    """Decoded test embeddings in the space's raw units, and their clip ids."""
    if hasattr(decoded, "decoder") and hasattr(decoded, "decoded"):
        if decoded.space != fs.name:
            raise ValueError(
                f"decoded must be a decoding of the evaluation space {fs.name!r}; received a "
                f"decoding of {decoded.space!r}."
            )
        raw = decoded.decoder.target_scaler_.inverse_transform(decoded.decoded)
        return np.asarray(raw, dtype=np.float64), [str(c) for c in decoded.test_ids]
    raw = check_array(decoded, "decoded", ndim=2)
    if len(raw) != len(test_ids):
        raise ValueError(
            f"decoded must have one row per test clip ({len(test_ids)}), in "
            f"study.responses.test_ids order; received shape {raw.shape}."
        )
    return raw, list(test_ids)
