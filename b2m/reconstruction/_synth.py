"""Generation without weights: decoded embedding → predicted attributes → the project's synthesiser."""

from __future__ import annotations

import hashlib
from functools import partial

import numpy as np

from b2m._utils._progress import progress
from b2m.reconstruction._base import Reconstruction, Reconstructor
from b2m.reconstruction._readout import CONTINUOUS_ATTRIBUTES, AttributeReadout

__all__ = ["SynthReconstructor"]

_EPS = 1e-6
_ROUND = {"tempo": 1, "note_density": 2}


def _digest(ids) -> str:
    return hashlib.sha256("\n".join(map(str, ids)).encode()).hexdigest()[:12]


class SynthReconstructor(Reconstructor):
    """Generate a new clip from each decoded embedding with the simulator's synthesiser.

    Fitted on training clips only: an :class:`AttributeReadout` learns to read the
    simulator's musical attributes (genre, mode, instrumentation, tempo, brightness,
    distortion, note density, register, levels, reverb, dynamics, swing, mood) from the
    embedding space. For a decoded embedding it predicts those attributes; then
    ``n_candidates`` attribute sets are drawn from the predicted genre's grammar
    (``b2m.datasets.simulation.music.sample_clip_attributes``, so every set is a coherent
    arrangement) and the one most probable under the prediction is kept (log-probability of
    its mode and instruments, minus half the squared standardised distance of its numeric
    attributes); its numeric attributes are then set to the predicted values, clipped to the
    range that genre takes in the training clips. ``b2m.datasets.simulation.music.render_clip`` renders
    it. Everything is deterministic given ``seed``: reconstruction ``r`` of a target draws its
    candidates and its render seed from ``(seed, r)``, so a :class:`Reconstruction` keeps
    the recipe, not the waveform, and renders it (~0.1 s) whenever its ``audio`` is used.

    Parameters
    ----------
    seed : int, default 0
    n_candidates : int, default 32
        Attribute sets drawn from the genre's grammar per reconstruction.
    duration : float, default 15.0
        Seconds of audio (> 4, the two 2-s fades).
    sr : int, default 22050
    C : float, default 10.0
        Inverse regularisation of the readout's logistic regressions.

    Attributes
    ----------
    readout_ : AttributeReadout
        Fitted by :meth:`fit`.
    """

    name = "synth"

    def __init__(
        self,
        *,
        seed: int = 0,
        n_candidates: int = 32,
        duration: float = 15.0,
        sr: int = 22050,
        C: float = 10.0,
    ):
        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets.simulation.music import FADE_SECONDS

        for pname, value, low in (("seed", seed, 0), ("n_candidates", n_candidates, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{pname} must be an integer >= {low}; received {value!r}.")
        if not (isinstance(duration, (int, float)) and duration > 2 * FADE_SECONDS):
            raise ValueError(
                f"duration must be a number of seconds > {2 * FADE_SECONDS} (two fades); "
                f"received {duration!r}."
            )
        if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
            raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
        super().__init__(
            seed=int(seed),
            n_candidates=int(n_candidates),
            duration=float(duration),
            sr=int(sr),
            C=C,
        )
        self.readout_ = AttributeReadout(C=C)

    @property
    def dim(self) -> int | None:
        return getattr(self.readout_, "n_features_in_", None)

    def fit(self, embeddings, attributes, clip_ids=None) -> SynthReconstructor:
        """Fit the attribute readout on training clips.

        Parameters
        ----------
        embeddings : array of shape (n_train, d)
            Training clips' embeddings, in the space the decoded embeddings will be given in
            (e.g. standardised with the decoder's training statistics).
        attributes : list of dict of length n_train
            Their attributes (:func:`b2m.reconstruction.study_attributes`).
        clip_ids : sequence of str, optional
            Their ids, recorded (as a digest) in provenance.

        Returns
        -------
        self
        """
        self.readout_.fit(embeddings, attributes)
        x = np.asarray([[float(a[n]) for n in CONTINUOUS_ATTRIBUTES] for a in attributes])
        sd = x.std(0)
        self.attribute_sd_ = np.where(sd > 0, sd, 1.0)
        self.train_ids_digest_ = None if clip_ids is None else _digest(clip_ids)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "attribute_sd_"):
            raise RuntimeError(
                "This SynthReconstructor is not fitted; call fit(train_embeddings, "
                "train_attributes) with training clips."
            )

    def predict_attributes(self, decoded_embeddings, k: int = 1) -> list[list[dict]]:
        """The attribute sets :meth:`reconstruct` would render, without rendering.

        Parameters
        ----------
        decoded_embeddings : array of shape (n, d)
        k : int, default 1

        Returns
        -------
        list of list of dict
            ``out[i][r]``: ``attributes`` (the full set to render), ``predicted`` (the
            readout's probabilities and values), ``candidate`` (index of the kept draw) and
            ``render_seed``.
        """
        self._check_fitted()
        x, _, k = self._check_inputs(decoded_embeddings, ["?"] * len(decoded_embeddings), k)
        return [[self._choose(pred, r) for r in range(k)] for pred in self.readout_.predict(x)]

    def _choose(self, pred: dict, rank: int) -> dict:
        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets.simulation.music import sample_clip_attributes

        seed = self.params["seed"]
        genre = next(iter(pred["genre"]))
        rng = np.random.default_rng([seed, rank])
        candidates = [
            sample_clip_attributes(genre, rng) for _ in range(self.params["n_candidates"])
        ]
        target = np.array([pred["continuous"][n] for n in CONTINUOUS_ATTRIBUTES])
        scores = []
        for c in candidates:
            s = np.log(max(pred["mode"].get(c["mode"], 0.0), _EPS))
            for name, p in pred["instruments"].items():
                p = min(max(p, _EPS), 1 - _EPS)
                s += np.log(p if name in c["instruments"] else 1 - p)
            values = np.array([float(c[n]) for n in CONTINUOUS_ATTRIBUTES])
            s -= 0.5 * float(np.sum(((values - target) / self.attribute_sd_) ** 2))
            scores.append(s)
        best = int(np.argmax(scores))
        attrs = dict(candidates[best])
        ranges = self.readout_.ranges_[genre]
        for n, value in zip(CONTINUOUS_ATTRIBUTES, target, strict=True):
            if n == "drum_level" and not attrs["drums"]:
                continue
            lo, hi = ranges[n]
            v = float(np.clip(value, lo, hi))
            attrs[n] = round(v) if n == "register" else round(v, _ROUND.get(n, 3))
        render_seed = int(np.random.default_rng([seed, rank, 1]).integers(2**31))
        return {
            "attributes": attrs,
            "predicted": pred,
            "candidate": best,
            "render_seed": render_seed,
        }

    def _reconstruct(self, x: np.ndarray, ids: list[str], k: int) -> list:
        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets.simulation._simulate import SIM_VERSION
        from b2m.datasets.simulation.music import make_caption, render_clip

        p = self.params
        predictions = self.readout_.predict(x)
        n_samples = round(p["sr"] * p["duration"])  # render_clip's length
        out = []
        for target, pred in progress(
            list(zip(ids, predictions, strict=True)), desc="Choosing clip attributes"
        ):
            recs = []
            for rank in range(k):
                choice = self._choose(pred, rank)
                attrs = choice["attributes"]
                # rendered when the audio is used (~0.1 s), not kept: 180 clips are 0.24 GB
                render = partial(
                    render_clip,
                    attrs,
                    sr=p["sr"],
                    duration=p["duration"],
                    seed=choice["render_seed"],
                )
                genre = attrs["genre"]
                caption = make_caption(attrs, np.random.default_rng([p["seed"], rank, 2]))
                tonal = [i.replace("_", " ") for i in attrs["instruments"] if i != "drums"]
                label = (
                    f"generated {genre} ({pred['genre'][genre]:.0%}), {attrs['tempo']:.0f} BPM, "
                    f"{attrs['key_name']} {attrs['mode'].replace('_', ' ')}, "
                    + ", ".join(tonal)
                    + (" + drums" if attrs["drums"] else "")
                )
                provenance = {
                    "backend": self.name,
                    "params": p,
                    "seed": p["seed"],
                    "render_seed": choice["render_seed"],
                    "genre": genre,
                    "attributes": attrs,
                    "predicted": pred,
                    "candidate": choice["candidate"],
                    "caption": caption,
                    "synthesiser": f"b2m.datasets.simulation.music.render_clip (simulator v{SIM_VERSION})",
                    "readout": {
                        "model": repr(self.readout_),
                        "n_train": self.readout_.n_train_,
                        "train_clip_ids_sha256": self.train_ids_digest_,
                    },
                }
                recs.append(
                    Reconstruction(
                        target_clip_id=target,
                        backend=self.name,
                        rank=rank,
                        audio=render,
                        sr=p["sr"],
                        label=label,
                        similarity=None,
                        provenance=provenance,
                        n_samples=n_samples,
                    )
                )
            out.append(recs)
        return out
