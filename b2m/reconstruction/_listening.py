"""Blind two-alternative listening tests of reconstructions.

The evaluation the field leans on most: a listener hears a test clip, then two
reconstructions — the one decoded from *that* clip's brain response and one decoded from
another test clip's — in random order, and says which matches (chance 50 %). A
MusicLDM-based decoder on ds003720 reports 84–86 % correct this way.

Trials (:meth:`ListeningTest.from_reconstructions`) are built from one backend's
reconstructions, seeded: the heard clips in random order; the foils a random derangement of
the targets (every reconstruction is the foil of exactly one other clip when every clip is
tested, so none is heard more often than the others); the matching reconstruction at
position 1 in half of the trials and at 2 in the other half (one more at 1 when the number
is odd), shuffled. Answers are scored with an exact binomial test against 50 %
(:func:`scipy.stats.binomtest`): the accuracy, its Clopper–Pearson interval and a one-sided
p-value (:class:`~b2m.reconstruction.ListeningScore`). A test saves to JSON (atomically) with
its seed, backend, space, subject, listener, trial order and answer times; several listeners'
files merge into :class:`~b2m.reconstruction.ListeningResults`
(:func:`~b2m.reconstruction.merge_listening_results`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._io import save_json
from b2m._utils._validation import check_array
from b2m.reconstruction._base import Reconstruction
from b2m.reconstruction._evaluate import _flatten
from b2m.reconstruction._listening_score import ListeningScore

__all__ = ["CHOICES", "ListeningTest", "ListeningTrial"]

#: The two answers of a trial: the position (1 or 2) of the candidate that matches.
CHOICES = (1, 2)
FORMAT = "b2m-listening-test"
VERSION = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _check_choice(choice) -> int:
    if isinstance(choice, bool) or not isinstance(choice, (int, np.integer)):
        raise TypeError(f"choice must be 1 or 2 (an int); received {choice!r}.")
    if int(choice) not in CHOICES:
        raise ValueError(f"choice must be 1 or 2; received {choice!r}.")
    return int(choice)


@dataclass
class ListeningTrial:
    """One trial: a heard clip and two candidate reconstructions.

    Attributes
    ----------
    index : int
        Position in the test (0 = first presented).
    clip_id : str
        The heard test clip; its own reconstruction is one of the candidates.
    foil_clip_id : str
        The other test clip whose reconstruction is the other candidate.
    correct : int
        Position (1 or 2) of the reconstruction of ``clip_id``.
    answer : int or None
        The listener's choice (1 or 2); None while unanswered.
    answered_at : str or None
        When it was answered (ISO 8601, UTC).
    candidates : list of str
        Labels of the candidates at positions 1 and 2 (provenance; never shown to the
        listener).
    """

    index: int
    clip_id: str
    foil_clip_id: str
    correct: int
    answer: int | None = None
    answered_at: str | None = None
    candidates: list = field(default_factory=lambda: ["", ""])

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, (int, np.integer)):
            raise TypeError(f"index must be an int >= 0; received {self.index!r}.")
        if self.index < 0:
            raise ValueError(f"index must be an int >= 0; received {self.index!r}.")
        self.index = int(self.index)
        for name in ("clip_id", "foil_clip_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise TypeError(f"{name} must be a non-empty str; received {value!r}.")
        if self.clip_id == self.foil_clip_id:
            raise ValueError(
                f"foil_clip_id must differ from clip_id; received {self.foil_clip_id!r} for both."
            )
        self.correct = _check_choice(self.correct)
        if self.answer is not None:
            self.answer = _check_choice(self.answer)
        if len(self.candidates) != 2 or not all(isinstance(c, str) for c in self.candidates):
            raise ValueError(f"candidates must be two str; received {self.candidates!r}.")
        self.candidates = list(self.candidates)

    @property
    def is_correct(self) -> bool | None:
        """Whether the answer is right (None while unanswered)."""
        return None if self.answer is None else self.answer == self.correct

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return {
            "index": self.index,
            "clip_id": self.clip_id,
            "foil_clip_id": self.foil_clip_id,
            "correct": self.correct,
            "answer": self.answer,
            "answered_at": self.answered_at,
            "candidates": list(self.candidates),
        }


def _stimulus_loader(stimuli) -> Callable:
    if hasattr(stimuli, "load_audio") and callable(stimuli.load_audio):
        return stimuli.load_audio
    if isinstance(stimuli, Mapping):

        def from_mapping(clip_id):
            if clip_id not in stimuli:
                raise ValueError(
                    f"stimuli must hold the audio of every heard clip; received no {clip_id!r}."
                )
            return stimuli[clip_id]

        return from_mapping
    if callable(stimuli):
        return stimuli
    raise TypeError(
        "stimuli must be a Study (with load_audio), a mapping of clip id to (waveform, sr) or "
        f"a callable returning (waveform, sr); received {type(stimuli).__name__}."
    )


def _load_stimulus(load, clip_id: str) -> tuple[np.ndarray, int]:
    try:
        wave, sr = load(clip_id)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"stimuli must give (waveform, sr) for clip {clip_id!r}; failed with: {exc}"
        ) from None
    wave = check_array(wave, f"stimuli[{clip_id!r}] waveform", ndim=1, dtype=np.float32)
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ValueError(f"stimuli[{clip_id!r}] sr must be a positive integer; received {sr!r}.")
    return wave, int(sr)


def _one_backend(reconstructions, backend) -> tuple[str, dict[str, Reconstruction]]:
    """The first-ranked reconstruction of each target, for one backend."""
    if isinstance(reconstructions, Mapping):
        names = list(reconstructions)
        if backend is None:
            if len(names) != 1:
                raise ValueError(
                    f"backend must name one of {names} when reconstructions hold several; "
                    "received None."
                )
            backend = names[0]
        if backend not in reconstructions:
            raise ValueError(f"backend must be one of {names}; received {backend!r}.")
        reconstructions = reconstructions[backend]
    recs = _flatten(reconstructions)
    found = list(dict.fromkeys(r.backend for r in recs))
    if backend is None:
        if len(found) != 1:
            raise ValueError(
                f"backend must name one of {found} when reconstructions mix backends; "
                "received None."
            )
        backend = found[0]
    recs = [r for r in recs if r.backend == backend]
    if not recs:
        raise ValueError(f"backend must be one of {found}; received {backend!r}.")
    best: dict[str, Reconstruction] = {}
    for r in recs:
        if r.target_clip_id not in best or r.rank < best[r.target_clip_id].rank:
            best[r.target_clip_id] = r
    if len(best) < 2:
        raise ValueError(
            "reconstructions must cover at least 2 target clips (a foil is another clip's "
            f"reconstruction); received {len(best)}."
        )
    return backend, best


def _derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random permutation of range(n) without fixed points (n >= 2)."""
    while True:
        perm = rng.permutation(n)
        if not (perm == np.arange(n)).any():
            return perm


@dataclass
class ListeningTest:
    """A blind two-alternative listening test of one backend's reconstructions.

    Build one with :meth:`from_reconstructions` (or :meth:`load` a saved one), answer with
    :meth:`answer`, score with :meth:`score`, save with :meth:`save`.

    Attributes
    ----------
    trials : list of ListeningTrial
        In presentation order.
    seed : int
        Seeded the trial order, the foils and the positions.
    backend : str
        The backend whose reconstructions are tested.
    space, subject : str
        The decoded feature space and the subject (provenance; may be ``""``).
    listener : str
        Who answers (one file per listener; :func:`merge_listening_results` pools them).
    created : str
        When the test was built (ISO 8601, UTC).
    """

    trials: list
    seed: int
    backend: str
    space: str = ""
    subject: str = ""
    listener: str = ""
    created: str = field(default_factory=_now)
    _audio: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.trials, list) or not self.trials:
            raise ValueError("trials must be a non-empty list of ListeningTrial.")
        for i, t in enumerate(self.trials):
            if not isinstance(t, ListeningTrial):
                raise TypeError(
                    f"trials[{i}] must be a ListeningTrial; received {type(t).__name__}."
                )
            if t.index != i:
                raise ValueError(f"trials[{i}].index must be {i}; received {t.index}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise TypeError(f"seed must be an int; received {self.seed!r}.")
        self.seed = int(self.seed)
        for name in ("backend", "space", "subject", "listener", "created"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a str; received {getattr(self, name)!r}.")
        if not self.backend:
            raise ValueError("backend must be a non-empty str; received ''.")

    @classmethod
    def from_reconstructions(
        cls,
        reconstructions,
        stimuli,
        *,
        backend: str | None = None,
        n_trials: int | None = None,
        seed: int = 0,
        listener: str = "",
        subject: str | None = None,
        space: str = "",
    ) -> ListeningTest:
        """Build the trials of a test from reconstructions of test clips.

        Parameters
        ----------
        reconstructions : dict, list of list, or list of Reconstruction
            E.g. what :func:`b2m.reconstruction.reconstruct_study` returns (a dict per
            backend) or :meth:`Reconstructor.reconstruct` (a list per target). The first
            ranked reconstruction of each target is used; at least 2 targets.
        stimuli : Study, mapping or callable
            Where the heard clips' audio comes from: a :class:`b2m.datasets.Study` (its
            ``load_audio``), a mapping of clip id to ``(waveform, sr)`` or a callable
            ``clip_id -> (waveform, sr)``.
        backend : str, optional
            Which backend to test; needed when ``reconstructions`` hold several.
        n_trials : int, optional
            Trials (default: one per target), at most the number of targets.
        seed : int, default 0
            Seeds the order, foils and positions.
        listener : str, default ""
        subject : str, optional
            Default ``stimuli.subject`` when ``stimuli`` is a study, else ``""``.
        space : str, default ""
            The decoded feature space (provenance).

        Returns
        -------
        ListeningTest
            Holding the audio of every trial (:meth:`audio`).
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int; received {seed!r}.")
        backend, best = _one_backend(reconstructions, backend)
        targets = list(best)
        n = len(targets)
        if n_trials is None:
            n_trials = n
        bad = isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer))
        if bad or not 1 <= n_trials <= n:
            raise ValueError(
                f"n_trials must be an integer in [1, {n}] (the targets); received {n_trials!r}."
            )
        load = _stimulus_loader(stimuli)
        rng = np.random.default_rng(int(seed))
        order = rng.permutation(n)[: int(n_trials)]
        foils = _derangement(n, rng)
        correct = rng.permutation(
            [1] * ((int(n_trials) + 1) // 2) + [2] * (int(n_trials) // 2)
        ).tolist()
        trials, audio = [], {}
        for i, j in enumerate(order):
            clip, foil = targets[j], targets[foils[j]]
            pair = [best[clip], best[foil]] if correct[i] == 1 else [best[foil], best[clip]]
            trials.append(
                ListeningTrial(i, clip, foil, correct[i], candidates=[r.label for r in pair])
            )
            audio[i] = {
                "heard": _load_stimulus(load, clip),
                1: (pair[0].audio, pair[0].sr),
                2: (pair[1].audio, pair[1].sr),
            }
        if subject is None:
            subject = str(getattr(stimuli, "subject", "") or "")
        test = cls(
            trials, int(seed), backend, space=str(space), subject=subject, listener=str(listener)
        )
        test._audio = audio
        return test

    # -- state ---------------------------------------------------------------------------

    @property
    def n_trials(self) -> int:
        """Number of trials."""
        return len(self.trials)

    @property
    def n_answered(self) -> int:
        """Trials answered so far."""
        return sum(t.answer is not None for t in self.trials)

    @property
    def current(self) -> int | None:
        """Index of the first unanswered trial (None when all are answered)."""
        return next((t.index for t in self.trials if t.answer is None), None)

    @property
    def done(self) -> bool:
        """Whether every trial is answered."""
        return self.current is None

    @property
    def has_audio(self) -> bool:
        """Whether the trials' audio is held (built here, not loaded from a file)."""
        return bool(self._audio)

    def _check_trial(self, trial) -> ListeningTrial:
        if isinstance(trial, bool) or not isinstance(trial, (int, np.integer)):
            raise TypeError(f"trial must be an int; received {trial!r}.")
        if not 0 <= trial < self.n_trials:
            raise ValueError(f"trial must be in [0, {self.n_trials}); received {trial!r}.")
        return self.trials[int(trial)]

    def audio(self, trial: int) -> dict:
        """The audio of one trial.

        Parameters
        ----------
        trial : int

        Returns
        -------
        dict
            ``"heard"``, ``1`` and ``2``, each ``(waveform, sr)``.
        """
        t = self._check_trial(trial)
        if not self.has_audio:
            raise ValueError(
                "this test holds no audio (it was loaded from a file); build it with "
                "ListeningTest.from_reconstructions to listen."
            )
        return self._audio[t.index]

    def answer(self, trial: int, choice: int) -> bool:
        """Record the listener's answer to one trial.

        Parameters
        ----------
        trial : int
            Index in [0, n_trials), not answered before.
        choice : {1, 2}
            The candidate the listener says matches the heard clip.

        Returns
        -------
        bool
            Whether the answer is right.
        """
        t = self._check_trial(trial)
        choice = _check_choice(choice)
        if t.answer is not None:
            raise ValueError(
                f"trial {t.index} was already answered (choice {t.answer} at {t.answered_at}); "
                "each trial is answered once."
            )
        t.answer, t.answered_at = choice, _now()
        return choice == t.correct

    def score(self, confidence_level: float = 0.95) -> ListeningScore:
        """Accuracy of the answered trials with its binomial interval and p-value.

        Parameters
        ----------
        confidence_level : float, default 0.95

        Returns
        -------
        ListeningScore
        """
        answered = [t for t in self.trials if t.answer is not None]
        return ListeningScore.from_counts(
            sum(t.is_correct for t in answered), len(answered), confidence_level
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per trial: the :class:`ListeningTrial` fields and ``is_correct``."""
        rows = [t.to_dict() | {"is_correct": t.is_correct} for t in self.trials]
        frame = pd.DataFrame(rows).drop(columns="candidates")
        return frame.assign(listener=self.listener)

    # -- files ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Everything but the audio, JSON-ready (the format :meth:`save` writes)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "seed": self.seed,
            "backend": self.backend,
            "space": self.space,
            "subject": self.subject,
            "listener": self.listener,
            "created": self.created,
            "saved": _now(),
            "order": [t.clip_id for t in self.trials],
            "trials": [t.to_dict() for t in self.trials],
            "score": self.score().to_dict(),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the test and its answers as JSON, atomically (an old file stays on failure).

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        pathlib.Path
        """
        return save_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "data") -> ListeningTest:
        """Rebuild a test (without audio) from :meth:`to_dict`'s output."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise ValueError(f"{source} must be a {FORMAT!r} file; received format {got!r}.")
        if data.get("version") != VERSION:
            raise ValueError(
                f"{source} must be version {VERSION}; received {data.get('version')!r}."
            )
        try:
            trials = [ListeningTrial(**t) for t in data["trials"]]
            test = cls(
                trials,
                data["seed"],
                data["backend"],
                space=data.get("space", ""),
                subject=data.get("subject", ""),
                listener=data.get("listener", ""),
                created=data.get("created", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{source} is not a valid listening test: {exc}") from None
        if data.get("order") != [t.clip_id for t in trials]:
            raise ValueError(f"{source} is not a valid listening test: order and trials differ.")
        return test

    @classmethod
    def load(cls, path: str | os.PathLike) -> ListeningTest:
        """Read a test saved by :meth:`save` (answers included, audio not).

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        ListeningTest
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path must be a saved listening test; no file at {path}.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"path {str(path)!r} is not valid JSON: {exc}") from None
        return cls.from_dict(data, source=f"path {str(path)!r}")
