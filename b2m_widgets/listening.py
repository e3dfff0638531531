"""A blind two-alternative listening test in the notebook (anywidget panel + audio players).

The listener hears a test clip and two reconstructions, labelled 1 and 2 — the one decoded from
that clip's brain response and one decoded from another clip's, in random order — and says
which matches. Keyboard: ``1``/``2`` choose, ``Enter`` confirms and advances (focus in the
panel; its keys never reach JupyterLab). The running score shows after each answer; at the end
the accuracy with its 95 % Clopper–Pearson interval and the one-sided p-value against 50 %.

The players are :class:`b2m_widgets.AudioPlayer` (WAV bytes, Blob URLs, nothing fetched),
without waveform or spectrogram pictures: the test is by ear.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from b2m.reconstruction import ListeningTest
from b2m_widgets._capture import call_captured
from b2m_widgets.audio import AudioPlayer

__all__ = ["ListeningPanel", "ListeningWidget", "view_listening_test"]

_ESM = (Path(__file__).parent / "static" / "listening.js").read_text(encoding="utf-8")
_CSS = """
.b2m-listening { display: flex; flex-direction: column; gap: 6px; padding: 6px;
  border: 1px solid #ddd; border-radius: 4px; font-size: 13px; max-width: 560px; }
.b2m-listening:focus-visible { outline: 2px solid #1a73e8; outline-offset: 1px; }
.b2m-listening-progress { color: #555; font-size: 12px; }
.b2m-listening-question { font-weight: 600; }
.b2m-listening-buttons { display: flex; gap: 8px; }
.b2m-listening-buttons button { min-width: 44px; height: 30px; cursor: pointer; }
.b2m-listening-choice[aria-pressed="true"] { background: #1a73e8; color: white;
  border-color: #1a73e8; }
.b2m-listening-buttons button:focus-visible { outline: 2px solid #1a73e8; outline-offset: 1px; }
.b2m-listening-score { font-family: monospace; }
.b2m-listening-result { font-weight: 600; }
"""
PLAYER_TITLES = ("Heard clip", "Candidate 1", "Candidate 2")


class ListeningPanel(anywidget.AnyWidget):
    """The question, the choices 1 and 2, Confirm and the score (browser side of the test).

    Attributes
    ----------
    trial : int
        Index of the trial shown.
    n_trials, n_answered, n_correct : int
    choice : int
        The selected candidate (1 or 2; 0 when none), synced with the browser.
    done : bool
        Whether every trial is answered.
    result_text : str
        The final accuracy, interval and p-value (empty until done).
    """

    _esm = _ESM
    _css = _CSS
    trial = traitlets.Int(0).tag(sync=True)
    n_trials = traitlets.Int(0).tag(sync=True)
    n_answered = traitlets.Int(0).tag(sync=True)
    n_correct = traitlets.Int(0).tag(sync=True)
    choice = traitlets.Int(0).tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)
    result_text = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("choice")
    def _valid_choice(self, proposal):
        if proposal["value"] not in (0, 1, 2):
            raise traitlets.TraitError(
                f"choice must be 0 (none), 1 or 2; received {proposal['value']!r}."
            )
        return proposal["value"]


class ListeningWidget(widgets.VBox):
    """A blind listening test: three players and a :class:`ListeningPanel`.

    Parameters
    ----------
    test : b2m.reconstruction.ListeningTest
        Built with :meth:`~b2m.reconstruction.ListeningTest.from_reconstructions` (it holds
        the audio); answers already given are kept and the test resumes at the first
        unanswered trial.
    autosave : str or path-like, optional
        Where to save the answers after each one (atomically), so none is lost.

    Attributes
    ----------
    test : ListeningTest
    panel : ListeningPanel
    players : tuple of AudioPlayer
        Heard clip, candidate 1, candidate 2.
    output : ipywidgets.Output
        Shows errors raised while answering from the browser.
    """

    def __init__(self, test: ListeningTest, *, autosave: str | os.PathLike | None = None):
        if not isinstance(test, ListeningTest):
            raise TypeError(f"test must be a ListeningTest; received {type(test).__name__}.")
        if not test.has_audio:
            raise ValueError(
                "test must hold its audio (build it with ListeningTest.from_reconstructions); "
                "received a test loaded from a file."
            )
        self.test = test
        self.autosave = None if autosave is None else Path(autosave)
        self.players = tuple(
            AudioPlayer(title=title, show_overview=False) for title in PLAYER_TITLES
        )
        self.panel = ListeningPanel(n_trials=test.n_trials)
        self.output = widgets.Output()
        row = widgets.HBox(list(self.players))
        for player in self.players[:2]:
            player.layout.margin = "0 16px 0 0"
        super().__init__([row, self.panel, self.output])
        self.add_class("b2m-listening-test")
        self.panel.on_msg(self._handle_message)
        self._show()

    # -- state ---------------------------------------------------------------------------

    def _show(self) -> None:
        score = self.test.score()
        current = self.test.current
        with self.panel.hold_sync():
            self.panel.n_answered = score.n
            self.panel.n_correct = score.n_correct
            self.panel.choice = 0
            self.panel.done = current is None
            self.panel.result_text = f"Result: {score}" if current is None else ""
            if current is not None:
                self.panel.trial = current
        if current is None:
            for player in self.players:
                player.playing = False
            return
        audio = self.test.audio(current)
        for player, key in zip(self.players, ("heard", 1, 2), strict=True):
            wave, sr = audio[key]
            player.playing = False
            player.set_audio(wave, sr, src_id=f"trial-{current}-{key}")

    @property
    def score(self):
        """The running :class:`~b2m.reconstruction.ListeningScore`."""
        return self.test.score()

    def choose(self, choice: int) -> None:
        """Select candidate 1 or 2, as the keys ``1``/``2`` do in the browser.

        Parameters
        ----------
        choice : {1, 2}
        """
        if isinstance(choice, bool) or not isinstance(choice, (int, np.integer)):
            raise TypeError(f"choice must be 1 or 2 (an int); received {choice!r}.")
        if choice not in (1, 2):
            raise ValueError(f"choice must be 1 or 2; received {choice!r}.")
        if self.test.done:
            raise ValueError("the test is finished: every trial is answered.")
        self.panel.choice = int(choice)

    def confirm(self) -> bool:
        """Record the selected choice for the current trial and show the next one.

        Returns
        -------
        bool
            Whether the answer was right.
        """
        current = self.test.current
        if current is None:
            raise ValueError("the test is finished: every trial is answered.")
        if self.panel.choice not in (1, 2):
            raise ValueError(
                f"choice must be 1 or 2 before confirming; received {self.panel.choice}."
            )
        right = self.test.answer(current, self.panel.choice)
        if self.autosave is not None:
            self.test.save(self.autosave)
        self._show()
        return right

    def save(self, path: str | os.PathLike) -> Path:
        """Save the answers as JSON, atomically (:meth:`ListeningTest.save`).

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        pathlib.Path
        """
        return self.test.save(path)

    def _handle_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, Mapping) or content.get("type") != "confirm":
            return
        if content.get("trial") != self.test.current:  # a stale or repeated Enter
            return
        choice = content.get("choice")
        if choice in (1, 2):
            self.panel.choice = choice
        call_captured(self.output, self.confirm)


def view_listening_test(test: ListeningTest, *, autosave=None) -> ListeningWidget:
    """Show a blind two-alternative listening test.

    Static twin: the answers' score, :func:`b2m.plotting.plot_listening_scores` (the test
    itself needs a listener); the numbers are :meth:`b2m.reconstruction.ListeningTest.score`.

    Parameters
    ----------
    test : b2m.reconstruction.ListeningTest
        From :meth:`~b2m.reconstruction.ListeningTest.from_reconstructions`.
    autosave : str or path-like, optional
        Save the answers there after each one.

    Returns
    -------
    ListeningWidget
    """
    return ListeningWidget(test, autosave=autosave)
