"""A readout from an embedding space to the simulator's musical attributes (scikit-learn).

Decoded embeddings are much smaller in norm than true ones (ridge shrinks its predictions:
about 1/7 of the spread on the simulated study), so a classifier fitted on true embeddings
and applied to decoded ones would answer mostly with its intercepts. The readout therefore
works on *directions*: each embedding is standardised with the training statistics and
scaled to unit norm (as cosine retrieval and MuLan/CLAP embeddings are), which makes it
indifferent to that shrinkage.
"""

from __future__ import annotations

import json

import numpy as np

from b2m._utils._arrays import unit_rows
from b2m._utils._validation import check_array

__all__ = ["CONTINUOUS_ATTRIBUTES", "AttributeReadout", "attribute_tables", "study_attributes"]

#: Numeric attributes of :func:`b2m.datasets.simulation.music.sample_clip_attributes` the readout predicts.
CONTINUOUS_ATTRIBUTES = (
    "tempo",
    "brightness",
    "distortion",
    "note_density",
    "register",
    "bass_level",
    "reverb",
    "dynamics",
    "drum_level",
    "swing",
    "valence",
    "arousal",
)
_CATEGORICAL = ("genre", "mode")


def _majority(labels: np.ndarray):
    values, counts = np.unique(labels, return_counts=True)
    return values[np.argmax(counts)]


def study_attributes(study, clip_ids=None) -> list[dict]:
    """The musical attributes the simulator rendered each clip from.

    Parameters
    ----------
    study : b2m.datasets.Study
        A simulated study (real recordings have no such attributes).
    clip_ids : sequence of str, optional
        Clips to return, in this order; default all clips in ``study.clips`` order.

    Returns
    -------
    list of dict
        One attributes dict per clip (see ``b2m.datasets.simulation.music.sample_clip_attributes``).
    """
    if getattr(study, "dataset", None) != "simulated":
        raise ValueError(
            "study must be a simulated study (its clips were rendered from known attributes); "
            f"received dataset={getattr(study, 'dataset', None)!r}."
        )
    path = study.root / "attributes.json"
    if not path.is_file():
        raise FileNotFoundError(f"The simulated study in {str(study.root)!r} has no {path.name}.")
    table = json.loads(path.read_text())
    ids = study.clips["clip_id"].tolist() if clip_ids is None else list(clip_ids)
    study.clip_indices(ids)  # unknown ids -> KeyError naming the id
    return [table[c] for c in ids]


#: Attributes :func:`attribute_tables` compares, in its row order.
_TABLE_ROWS = (
    "genre", "tempo", "key_name", "mode", "brightness", "distortion", "note_density", "reverb",
)  # fmt: skip


def attribute_tables(reconstruction, study=None) -> dict:
    """What a generator was asked to play, beside what the heard clip was rendered from.

    For a reconstruction whose provenance holds the ``attributes`` it was rendered from and
    the ``predicted`` read-out (the synthesiser's): three tables for a notebook.

    Parameters
    ----------
    reconstruction : Reconstruction
    study : b2m.datasets.Study, optional
        A simulated study adds the heard clip's own attributes (real data has none).

    Returns
    -------
    dict
        ``"attributes"``: DataFrame, rows genre, tempo, key, mode, timbre…, columns
        ``heard`` (simulated study only) and ``generated``; ``"instruments"``: DataFrame per
        instrument, columns ``in heard clip`` (simulated only), ``predicted probability``,
        ``in generated clip``; ``"genres"``: Series of the predicted genre probabilities,
        highest first.

    Raises
    ------
    ValueError
        If the provenance lacks ``attributes`` or ``predicted`` (e.g. a retrieved clip).
    """
    import pandas as pd

    p = getattr(reconstruction, "provenance", None) or {}
    if "attributes" not in p or "predicted" not in p:
        raise ValueError(
            "reconstruction must come from a generator that records its attributes (the "
            "synthesiser); received one whose provenance has "
            f"{sorted(p)} (backend {getattr(reconstruction, 'backend', None)!r})."
        )
    made, predicted = p["attributes"], p["predicted"]
    heard = None
    if study is not None and getattr(study, "dataset", None) == "simulated":
        heard = study_attributes(study, [reconstruction.target_clip_id])[0]
    rows = list(_TABLE_ROWS)
    attributes = {"generated": [made[r] for r in rows]}
    probs = predicted["instruments"]
    instruments = {
        "predicted probability": list(probs.values()),
        "in generated clip": [i in made["instruments"] for i in probs],
    }
    if heard is not None:
        attributes = {"heard": [heard[r] for r in rows], **attributes}
        instruments = {"in heard clip": [i in heard["instruments"] for i in probs], **instruments}
    genres = pd.Series(predicted["genre"], name="probability").sort_values(ascending=False)
    return {
        "attributes": pd.DataFrame(attributes, index=rows),
        "instruments": pd.DataFrame(instruments, index=list(probs)),
        "genres": genres,
    }


class AttributeReadout:
    """Predict a clip's musical attributes from its embedding.

    Genre and mode: multinomial logistic regressions; each instrument of
    :data:`b2m.datasets.simulation.music.INSTRUMENTS`: a logistic regression (a constant probability
    where the training clips never or always have it); the numeric attributes of
    :data:`CONTINUOUS_ATTRIBUTES`: ridge regressions with a strength per attribute chosen by
    leave-one-out CV. Inputs are standardised with the training statistics and scaled to
    unit norm (:func:`b2m.models.unit_rows`).

    Parameters
    ----------
    C : float, default 10.0
        Inverse regularisation strength of the logistic regressions.
    alphas : sequence of float, optional
        Ridge strengths to choose from (default ``np.logspace(-4, 2, 13)``).

    Attributes
    ----------
    n_features_in_ : int
        Embedding dimension seen in :meth:`fit`.
    n_train_ : int
        Number of training clips.
    genres_ : ndarray of str
        Genres seen in training (classifier order).
    ranges_ : dict
        Per genre, the [min, max] of each continuous attribute over its training clips.
    """

    def __init__(self, *, C: float = 10.0, alphas=None):
        if not (isinstance(C, (int, float)) and np.isfinite(C) and C > 0):
            raise ValueError(f"C must be a positive number; received {C!r}.")
        self.C = float(C)
        self.alphas = alphas

    def _prepare(self, embeddings, name: str = "embeddings") -> np.ndarray:
        x = check_array(embeddings, name, ndim=2)
        if hasattr(self, "mean_") and x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name} must have {self.n_features_in_} columns (the readout was fitted on "
                f"that dimension); received shape {x.shape}."
            )
        return unit_rows((x - self.mean_) / self.scale_)

    def fit(self, embeddings, attributes) -> AttributeReadout:
        """Fit on training clips.

        Parameters
        ----------
        embeddings : array of shape (n_train, d)
            Embeddings of the training clips (the space decoded embeddings will live in).
        attributes : list of dict of length n_train
            Each clip's attributes (:func:`study_attributes`).

        Returns
        -------
        self
        """
        from sklearn.linear_model import LogisticRegression, RidgeCV

        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets.simulation.music import INSTRUMENTS

        x = check_array(embeddings, "embeddings", ndim=2, min_samples=2)
        table = self._attribute_table(attributes, len(x))
        self.mean_ = x.mean(0)
        sd = x.std(0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        self.n_features_in_ = x.shape[1]
        self.n_train_ = len(x)
        z = self._prepare(x)
        self.classifiers_ = {}
        for key in _CATEGORICAL:
            labels = table[key]
            if len(set(labels)) < 2:
                raise ValueError(
                    f"attributes must show at least 2 values of {key!r} to learn it; received "
                    f"only {sorted(set(labels))}."
                )
            clf = LogisticRegression(C=self.C, max_iter=5000)
            self.classifiers_[key] = clf.fit(z, labels)
        self.genres_ = self.classifiers_["genre"].classes_
        self.majority_ = {key: _majority(table[key]) for key in _CATEGORICAL}
        self.majority_["instruments"] = {}
        self.instruments_ = {}
        for name in INSTRUMENTS:
            y = np.array([name in a["instruments"] for a in attributes])
            self.majority_["instruments"][name] = bool(y.mean() >= 0.5)
            if y.all() or not y.any():
                self.instruments_[name] = float(y.mean())
            else:
                clf = LogisticRegression(C=self.C, max_iter=5000)
                self.instruments_[name] = clf.fit(z, y)
        alphas = np.logspace(-4, 2, 13) if self.alphas is None else np.asarray(self.alphas)
        y = table["continuous"]
        self.regressor_ = RidgeCV(alphas=alphas, alpha_per_target=True).fit(z, y)
        self.ranges_ = {}
        for genre in self.genres_:
            rows = y[table["genre"] == genre]
            with_drums = np.array([a["drums"] for a in attributes])[table["genre"] == genre]
            ranges = {
                n: [float(rows[:, j].min()), float(rows[:, j].max())]
                for j, n in enumerate(CONTINUOUS_ATTRIBUTES)
            }
            if with_drums.any():  # a drum level of 0 means "no drums", not a quiet kit
                j = CONTINUOUS_ATTRIBUTES.index("drum_level")
                ranges["drum_level"] = [float(rows[with_drums, j].min()), ranges["drum_level"][1]]
            self.ranges_[str(genre)] = ranges
        return self

    @staticmethod
    def _attribute_table(attributes, n: int) -> dict:
        if isinstance(attributes, dict) or not isinstance(attributes, (list, tuple)):
            raise TypeError(
                f"attributes must be a list of attribute dicts; received {type(attributes).__name__}."
            )
        if len(attributes) != n:
            raise ValueError(
                f"attributes must have one dict per embedding ({n}); received {len(attributes)}."
            )
        needed = (*_CATEGORICAL, "instruments", "drums", *CONTINUOUS_ATTRIBUTES)
        for i, a in enumerate(attributes):
            missing = [k for k in needed if k not in a] if isinstance(a, dict) else ["(not a dict)"]
            if missing:
                raise ValueError(f"attributes[{i}] is missing key(s) {missing}.")
        return {
            "genre": np.array([a["genre"] for a in attributes]),
            "mode": np.array([a["mode"] for a in attributes]),
            "continuous": np.array(
                [[float(a[n]) for n in CONTINUOUS_ATTRIBUTES] for a in attributes]
            ),
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "regressor_"):
            raise RuntimeError(
                "This AttributeReadout is not fitted; call fit(embeddings, attributes)."
            )

    def predict(self, embeddings) -> list[dict]:
        """Predicted attributes with probabilities.

        Parameters
        ----------
        embeddings : array of shape (n, d)

        Returns
        -------
        list of dict
            Per row: ``genre`` and ``mode`` (dicts of value → probability, most probable
            first), ``instruments`` (instrument → probability of being present) and
            ``continuous`` (attribute → predicted value).
        """
        self._check_fitted()
        z = self._prepare(embeddings)
        probs = {key: clf.predict_proba(z) for key, clf in self.classifiers_.items()}
        inst = {
            name: (np.full(len(z), m) if isinstance(m, float) else m.predict_proba(z)[:, 1])
            for name, m in self.instruments_.items()
        }
        cont = self.regressor_.predict(z).reshape(len(z), -1)
        out = []
        for i in range(len(z)):
            row = {}
            for key, clf in self.classifiers_.items():
                order = np.argsort(-probs[key][i], kind="stable")
                row[key] = {str(clf.classes_[j]): float(probs[key][i, j]) for j in order}
            row["instruments"] = {name: float(p[i]) for name, p in inst.items()}
            row["continuous"] = {n: float(cont[i, j]) for j, n in enumerate(CONTINUOUS_ATTRIBUTES)}
            out.append(row)
        return out

    def predict_genre(self, embeddings) -> np.ndarray:
        """Most probable genre of each row, array of shape (n,)."""
        self._check_fitted()
        return self.classifiers_["genre"].predict(self._prepare(embeddings))

    def score(self, embeddings, attributes) -> dict:
        """How well the readout predicts held-out clips, with chance levels.

        Parameters
        ----------
        embeddings : array of shape (n, d)
        attributes : list of dict of length n
            True attributes of those clips.

        Returns
        -------
        dict
            ``genre_accuracy``, ``mode_accuracy``, ``instrument_accuracy`` (mean over
            instruments, threshold 0.5) and their chance levels ``*_chance`` (always answering
            the training majority), and ``r_<attribute>`` (Pearson r of each continuous
            attribute; NaN where the held-out values are constant).
        """
        self._check_fitted()
        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets.simulation.music import INSTRUMENTS

        z = self._prepare(embeddings)
        table = self._attribute_table(attributes, len(z))
        out = {}
        for key, clf in self.classifiers_.items():
            out[f"{key}_accuracy"] = float(np.mean(clf.predict(z) == table[key]))
            out[f"{key}_chance"] = float(np.mean(table[key] == self.majority_[key]))
        inst_acc, inst_chance = [], []
        for name in INSTRUMENTS:
            m = self.instruments_[name]
            truth = np.array([name in a["instruments"] for a in attributes])
            p = np.full(len(z), m) if isinstance(m, float) else m.predict_proba(z)[:, 1]
            inst_acc.append(np.mean((p >= 0.5) == truth))
            inst_chance.append(np.mean(truth == self.majority_["instruments"][name]))
        out["instrument_accuracy"] = float(np.mean(inst_acc))
        out["instrument_chance"] = float(np.mean(inst_chance))
        pred = self.regressor_.predict(z).reshape(len(z), -1)
        for j, n in enumerate(CONTINUOUS_ATTRIBUTES):
            a, b = pred[:, j], table["continuous"][:, j]
            ok = a.std() > 0 and b.std() > 0
            out[f"r_{n}"] = float(np.corrcoef(a, b)[0, 1]) if ok else float("nan")
        return out

    def __repr__(self) -> str:
        fitted = f", n_train={self.n_train_}" if hasattr(self, "n_train_") else ""
        return f"AttributeReadout(C={self.C}{fitted})"
