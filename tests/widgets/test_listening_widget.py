"""The listening-test widget without a browser: state after answers, messages, saving."""

from __future__ import annotations

import json

import numpy as np
import pytest

from b2m.reconstruction import ListeningTest, Reconstruction
from b2m_widgets import ListeningWidget, encode_wav, view_listening_test

SR = 8000


def _test(n: int = 4, seed: int = 0) -> ListeningTest:
    t = np.arange(SR // 4) / SR
    ids = [f"c{i}" for i in range(n)]
    stimuli = {c: ((0.3 * np.sin(2 * np.pi * (200 + 60 * i) * t)).astype(np.float32), SR)
               for i, c in enumerate(ids)}  # fmt: skip
    recs = [[Reconstruction(c, "synth", 0, 0.5 * stimuli[c][0], SR, f"rec {c}")] for c in ids]
    return ListeningTest.from_reconstructions(recs, stimuli, seed=seed, listener="ann")


def test_players_hold_the_current_trial():
    test = _test()
    widget = view_listening_test(test)
    assert isinstance(widget, ListeningWidget)
    heard, one, two = widget.players
    assert [p.title for p in widget.players] == ["Heard clip", "Candidate 1", "Candidate 2"]
    audio = test.audio(0)
    # the players hold what audio.py encodes, no spectrogram to look at
    assert heard.wav_bytes == encode_wav(audio["heard"][0], SR)
    assert one.wav_bytes == encode_wav(audio[1][0], SR)
    assert two.wav_bytes == encode_wav(audio[2][0], SR)
    assert not any(p.show_overview for p in widget.players) and heard._spectrogram == b""
    assert widget.panel.trial == 0 and widget.panel.n_trials == 4 and not widget.panel.done


def test_state_after_answers():
    test = _test()
    widget = ListeningWidget(test)
    answers = []
    for i, trial in enumerate(test.trials):
        choice = trial.correct if i != 1 else 3 - trial.correct  # one wrong answer
        widget.choose(choice)
        assert widget.panel.choice == choice
        answers.append(widget.confirm())
        assert widget.panel.n_answered == i + 1
        assert widget.panel.choice == 0  # cleared for the next trial
        if i < 3:
            assert widget.panel.trial == i + 1
            assert widget.players[0].src_id == f"trial-{i + 1}-heard"
            assert widget.players[0].wav_bytes == encode_wav(test.audio(i + 1)["heard"][0], SR)
    assert answers == [True, False, True, True]
    assert widget.panel.n_correct == 3 and widget.panel.done
    assert [t.answer for t in test.trials] == [
        t.correct if i != 1 else 3 - t.correct for i, t in enumerate(test.trials)
    ]
    score = widget.score
    assert (score.n, score.n_correct) == (4, 3)
    assert widget.panel.result_text == f"Result: {score}"
    assert "3 of 4 correct" in widget.panel.result_text and "CI" in widget.panel.result_text


def test_browser_messages_answer_the_current_trial_only():
    test = _test()
    widget = ListeningWidget(test)
    first = test.trials[0].correct
    widget._handle_message(widget.panel, {"type": "confirm", "trial": 0, "choice": first}, [])
    assert test.trials[0].answer == first and widget.panel.trial == 1
    # a repeated Enter for the trial already answered is ignored, not recorded twice
    widget._handle_message(widget.panel, {"type": "confirm", "trial": 0, "choice": 2}, [])
    widget._handle_message(widget.panel, {"type": "other"}, [])
    assert test.n_answered == 1 and widget.output.outputs == ()
    # confirming without a choice shows the error in the widget's output
    widget._handle_message(widget.panel, {"type": "confirm", "trial": 1, "choice": 0}, [])
    assert test.n_answered == 1
    assert "choice must be 1 or 2 before confirming" in widget.output.outputs[-1]["text"]


def test_save_and_autosave(tmp_path):
    test = _test()
    auto = tmp_path / "auto.json"
    widget = ListeningWidget(test, autosave=auto)
    widget.choose(1)
    widget.confirm()
    assert json.loads(auto.read_text())["score"]["n"] == 1
    widget.choose(2)
    widget.confirm()
    path = widget.save(tmp_path / "ann.json")
    loaded = ListeningTest.load(path)
    assert [t.answer for t in loaded.trials] == [1, 2, None, None]
    assert loaded.listener == "ann" and loaded.score() == test.score()
    assert json.loads(auto.read_text())["score"]["n"] == 2


def test_resumes_and_bad_input(tmp_path):
    test = _test()
    test.answer(0, 1)
    widget = ListeningWidget(test)
    assert widget.panel.trial == 1 and widget.panel.n_answered == 1
    with pytest.raises(ValueError, match="choice must be 1 or 2 before confirming"):
        widget.confirm()
    with pytest.raises(ValueError, match="choice must be 1 or 2; received 3"):
        widget.choose(3)
    with pytest.raises(TypeError, match="choice must be 1 or 2"):
        widget.choose("1")
    with pytest.raises(TypeError, match="test must be a ListeningTest; received dict"):
        ListeningWidget({})
    loaded = ListeningTest.load(test.save(tmp_path / "t.json"))
    with pytest.raises(ValueError, match="test must hold its audio"):
        ListeningWidget(loaded)
    for _ in range(3):
        widget.choose(2)
        widget.confirm()
    with pytest.raises(ValueError, match="the test is finished"):
        widget.choose(1)
    with pytest.raises(ValueError, match="the test is finished"):
        widget.confirm()
