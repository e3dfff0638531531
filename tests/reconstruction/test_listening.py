"""Blind listening tests: trial construction, answers, scoring, files and merging (no browser)."""

from __future__ import annotations

import json
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import binomtest

from b2m.reconstruction import (
    ListeningResults,
    ListeningScore,
    ListeningTest,
    ListeningTrial,
    Reconstruction,
    merge_listening_results,
)

SR = 8000


def _tone(freq: float, seconds: float = 0.25) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _clips(n: int, backend: str = "synth"):
    ids = [f"clip{i:02d}" for i in range(n)]
    stimuli = {c: (_tone(200 + 40 * i), SR) for i, c in enumerate(ids)}
    recs = [
        [Reconstruction(c, backend, r, _tone(200 + 40 * i + 5 * r), SR, f"{backend} {c} #{r}")
         for r in range(2)]
        for i, c in enumerate(ids)
    ]  # fmt: skip
    return ids, stimuli, recs


def _build(n: int = 10, **kwargs) -> ListeningTest:
    _, stimuli, recs = _clips(n)
    return ListeningTest.from_reconstructions(recs, stimuli, **kwargs)


# -- trials -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 7, 12])
def test_trials_are_balanced(n):
    ids, stimuli, recs = _clips(n)
    test = ListeningTest.from_reconstructions(recs, stimuli, seed=3)
    assert test.n_trials == n and test.backend == "synth"
    # every clip is heard once, and every reconstruction is the foil of exactly one other clip
    assert sorted(t.clip_id for t in test.trials) == ids
    assert sorted(t.foil_clip_id for t in test.trials) == ids
    assert all(t.foil_clip_id != t.clip_id for t in test.trials)
    # the match sits at 1 and at 2 equally often (one more at 1 when n is odd)
    counts = Counter(t.correct for t in test.trials)
    assert counts[1] == (n + 1) // 2 and counts[2] == n // 2
    assert [t.index for t in test.trials] == list(range(n))


def test_trial_audio_is_the_match_and_the_foil_in_place():
    _, stimuli, recs = _clips(6)
    first = {r[0].target_clip_id: r[0] for r in recs}
    test = ListeningTest.from_reconstructions(recs, stimuli, seed=0)
    for trial in test.trials:
        audio = test.audio(trial.index)
        np.testing.assert_array_equal(audio["heard"][0], stimuli[trial.clip_id][0])
        match, foil = audio[trial.correct], audio[3 - trial.correct]
        # the first-ranked reconstruction of the heard clip, and of the foil clip
        np.testing.assert_array_equal(match[0], first[trial.clip_id].audio)
        np.testing.assert_array_equal(foil[0], first[trial.foil_clip_id].audio)
        assert trial.candidates[trial.correct - 1] == first[trial.clip_id].label


def test_trials_are_seeded():
    def key(test):
        return [(t.clip_id, t.foil_clip_id, t.correct) for t in test.trials]

    assert key(_build(seed=4)) == key(_build(seed=4))
    assert key(_build(seed=4)) != key(_build(seed=5))


def test_n_trials_takes_a_subset_and_takes_study_like_stimuli():
    _, stimuli, recs = _clips(10)

    class FakeStudy:
        subject = "sub-009"

        def load_audio(self, clip_id):
            return stimuli[clip_id]

    test = ListeningTest.from_reconstructions(
        {"synth": recs}, FakeStudy(), n_trials=4, seed=1, space="acoustic", listener="ann"
    )
    assert test.n_trials == 4 and test.subject == "sub-009" and test.space == "acoustic"
    assert len({t.clip_id for t in test.trials}) == 4
    assert sorted(Counter(t.correct for t in test.trials).values()) == [2, 2]
    # a callable works as well
    called = ListeningTest.from_reconstructions(recs, stimuli.__getitem__, n_trials=2)
    assert called.n_trials == 2 and called.subject == ""


def test_backend_is_chosen_from_several():
    _, stimuli, recs = _clips(4)
    _, _, other = _clips(4, backend="retrieval")
    test = ListeningTest.from_reconstructions({"synth": recs, "retrieval": other}, stimuli,
                                              backend="retrieval")  # fmt: skip
    assert test.backend == "retrieval"
    assert all(t.candidates[0].startswith("retrieval") for t in test.trials)
    mixed = ListeningTest.from_reconstructions(recs + other, stimuli, backend="synth")
    assert mixed.backend == "synth"


# -- answers and scores -------------------------------------------------------------------------


def _answer(test: ListeningTest, right: list[bool]) -> None:
    for trial, ok in zip(test.trials, right, strict=False):
        assert test.answer(trial.index, trial.correct if ok else 3 - trial.correct) is ok


def test_score_matches_binomtest_by_hand():
    test = _build(12, seed=2)
    right = [True, True, False, True, True, True, False, True, True, True]
    _answer(test, right)
    score = test.score()
    k, n = sum(right), len(right)
    assert (score.n, score.n_correct) == (n, k)
    assert score.accuracy == pytest.approx(k / n)
    ci = binomtest(k, n, 0.5).proportion_ci(0.95, method="exact")
    assert (score.ci_low, score.ci_high) == pytest.approx((ci.low, ci.high))
    assert score.p_value == pytest.approx(binomtest(k, n, 0.5, alternative="greater").pvalue)
    # the one-sided p-value by hand: P(X >= 8) for X ~ Binomial(10, 1/2)
    assert score.p_value == pytest.approx((45 + 10 + 1) / 1024)
    assert test.n_answered == 10 and test.current == 10 and not test.done
    assert f"{k} of {n} correct" in str(score)
    narrow = test.score(confidence_level=0.5)
    assert narrow.ci_low > score.ci_low and narrow.ci_high < score.ci_high


def test_score_of_nothing_and_of_everything():
    test = _build(4)
    empty = test.score()
    assert empty.n == 0 and np.isnan(empty.accuracy) and empty.p_value == 1.0
    assert str(empty) == "no answers yet"
    _answer(test, [True] * 4)
    assert test.done and test.current is None
    assert test.score().accuracy == 1.0
    assert test.score().p_value == pytest.approx(1 / 16)


def test_bad_answers():
    test = _build(4)
    with pytest.raises(ValueError, match="choice must be 1 or 2; received 3"):
        test.answer(0, 3)
    with pytest.raises(TypeError, match=r"choice must be 1 or 2 .*received 'a'"):
        test.answer(0, "a")
    with pytest.raises(ValueError, match=r"trial must be in \[0, 4\); received 4"):
        test.answer(4, 1)
    with pytest.raises(ValueError, match=r"trial must be in \[0, 4\); received -1"):
        test.answer(-1, 1)
    test.answer(1, 2)
    with pytest.raises(ValueError, match="trial 1 was already answered"):
        test.answer(1, 1)
    assert test.trials[1].answer == 2 and test.n_answered == 1


def test_bad_construction():
    ids, stimuli, recs = _clips(4)
    _, _, other = _clips(4, backend="retrieval")
    with pytest.raises(
        ValueError, match=r"n_trials must be an integer in \[1, 4\] \(the targets\); received 5"
    ):
        ListeningTest.from_reconstructions(recs, stimuli, n_trials=5)
    with pytest.raises(ValueError, match="at least 2 target clips"):
        ListeningTest.from_reconstructions(recs[:1], stimuli)
    with pytest.raises(ValueError, match=r"backend must name one of \['synth', 'retrieval'\]"):
        ListeningTest.from_reconstructions({"synth": recs, "retrieval": other}, stimuli)
    with pytest.raises(ValueError, match="when reconstructions mix backends"):
        ListeningTest.from_reconstructions(recs + other, stimuli)
    with pytest.raises(ValueError, match=r"backend must be one of \['synth'\]; received 'x'"):
        ListeningTest.from_reconstructions(recs, stimuli, backend="x")
    with pytest.raises(ValueError, match="stimuli must hold the audio of every heard clip"):
        ListeningTest.from_reconstructions(recs, {ids[0]: stimuli[ids[0]]})
    with pytest.raises(TypeError, match="stimuli must be a Study"):
        ListeningTest.from_reconstructions(recs, 3)
    with pytest.raises(ValueError, match="must be finite"):
        bad = dict(stimuli) | {c: (np.full(10, np.nan), SR) for c in ids}
        ListeningTest.from_reconstructions(recs, bad)
    with pytest.raises(TypeError, match=r"reconstructions\[0\]\[0\] must be a Reconstruction"):
        ListeningTest.from_reconstructions([["x"]], stimuli)
    with pytest.raises(ValueError, match="foil_clip_id must differ from clip_id"):
        ListeningTrial(0, "a", "a", 1)


# -- files --------------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    test = _build(6, seed=7, listener="ann", subject="sub-001", space="musicnn")
    _answer(test, [True, False, True])
    path = test.save(tmp_path / "ann.json")
    data = json.loads(path.read_text())
    assert data["format"] == "b2m-listening-test"
    assert {data[k] for k in ("seed", "backend", "space", "subject", "listener")} == {
        7, "synth", "musicnn", "sub-001", "ann"
    }  # fmt: skip
    assert data["order"] == [t.clip_id for t in test.trials]
    assert data["score"]["n_correct"] == 2 and data["created"] and data["saved"]
    assert all(t["answered_at"] for t in data["trials"][:3])
    assert all(t["answered_at"] is None for t in data["trials"][3:])
    loaded = ListeningTest.load(path)
    assert loaded == test  # every field but the audio
    assert not loaded.has_audio and test.has_audio
    assert loaded.score() == test.score()
    with pytest.raises(ValueError, match="holds no audio"):
        loaded.audio(0)
    # answering resumes where it stopped
    assert loaded.current == 3
    loaded.answer(3, 1)
    assert loaded.n_answered == 4


def test_atomic_save_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    import b2m._utils._io as io_module

    test = _build(4, listener="ann")
    path = test.save(tmp_path / "ann.json")
    before = path.read_text()
    test.answer(0, 1)

    def broken(obj, **kwargs):
        raise OSError("disk full")

    # the module's json only: the write fails after the temporary file was opened
    monkeypatch.setattr(io_module, "json", SimpleNamespace(dumps=broken))
    with pytest.raises(OSError, match="disk full"):
        test.save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ann.json"]  # no temporary left


def test_load_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        ListeningTest.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        ListeningTest.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="must be a 'b2m-listening-test' file"):
        ListeningTest.load(tmp_path / "other.json")
    data = _build(3).to_dict()
    data["trials"][0]["answer"] = 5
    (tmp_path / "answer.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="not a valid listening test: choice must be 1 or 2"):
        ListeningTest.load(tmp_path / "answer.json")


# -- merging ------------------------------------------------------------------------------------


def test_merge_pools_listeners(tmp_path):
    ann, bob = _build(8, seed=1, listener="ann"), _build(8, seed=1, listener="bob")
    _answer(ann, [True] * 6 + [False] * 2)
    _answer(bob, [True, False, True])
    merged = merge_listening_results([ann.save(tmp_path / "ann.json"), bob])
    assert isinstance(merged, ListeningResults) and merged.listeners == ["ann", "bob"]
    pooled = merged.score()
    assert (pooled.n, pooled.n_correct) == (11, 8)
    assert pooled == ListeningScore.from_counts(8, 11)
    frame = merged.to_frame().set_index("listener")
    assert list(frame.index) == ["ann", "bob", "all"]
    assert frame.loc["ann", "n_correct"] == 6 and frame.loc["bob", "n"] == 3
    assert frame.loc["all", "p_value"] == pytest.approx(
        binomtest(8, 11, 0.5, alternative="greater").pvalue
    )


def test_merge_errors(tmp_path):
    ann = _build(6, seed=1, listener="ann")
    with pytest.raises(ValueError, match=r"share their seed .*'ann' has seed=1.*'bob' has seed=2"):
        merge_listening_results([ann, _build(6, seed=2, listener="bob")])
    _, stimuli, recs = _clips(6, backend="retrieval")
    other = ListeningTest.from_reconstructions(recs, stimuli, seed=1, listener="bob")
    with pytest.raises(ValueError, match=r"share their backend .*'synth'.*'retrieval'"):
        merge_listening_results([ann, other])
    with pytest.raises(ValueError, match="share their space"):
        merge_listening_results([ann, _build(6, seed=1, listener="bob", space="clap")])
    with pytest.raises(ValueError, match="present the same trials"):
        merge_listening_results([ann, _build(5, seed=1, listener="bob")])
    with pytest.raises(ValueError, match=r"different listeners; received \['ann'\]"):
        merge_listening_results([ann, _build(6, seed=1, listener="ann")])
    with pytest.raises(ValueError, match="at least one"):
        merge_listening_results([])
    with pytest.raises(TypeError, match=r"tests\[1\] must be a ListeningTest or a path"):
        merge_listening_results([ann, 3])
    with pytest.raises(FileNotFoundError):
        merge_listening_results([tmp_path / "nobody.json"])


# -- static twin --------------------------------------------------------------------------------


def test_static_twin_draws_each_listener_and_the_pool():
    from b2m.plotting import plot_listening_scores

    ann, bob = _build(8, seed=1, listener="ann"), _build(8, seed=1, listener="bob")
    _answer(ann, [True] * 6 + [False] * 2)
    merged = merge_listening_results([ann, bob])
    fig = plot_listening_scores(merged)
    ax = fig.axes[0]
    bars = [p.get_width() for p in ax.patches]
    assert bars == pytest.approx([0.75, 0.0, 0.75])  # ann, bob (no answers), all
    at = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    assert [at[y] for y in sorted(at, reverse=True)] == ["ann", "bob", "all"]  # top to bottom
    texts = {t.get_text() for t in ax.texts}
    assert "6/8, p = 0.145" in texts and "no answers" in texts
    single = plot_listening_scores(ann)
    assert [p.get_width() for p in single.axes[0].patches] == pytest.approx([0.75])
    with pytest.raises(TypeError, match="results must be a ListeningTest"):
        plot_listening_scores([0.7])
