"""ClipExplorer: scatter ↔ surface ↔ A/B players ↔ retrieval list, driven from Python."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import traitlets

from b2m.datasets import ClipResponses
from b2m.models import Encoder, cosine_neighbours
from b2m.surface import N_VERTICES
from b2m_widgets import ClipExplorer, view_clip_explorer
from b2m_widgets._clippicker import ClipPicker
from b2m_widgets._surface_parts import background_grey

SR = 8000
GENRES = ("blues", "classical", "jazz", "metal")
N_TRAIN, N_TEST, N_REPEATS = 12, 4, 4


def _tone(i: int) -> np.ndarray:
    t = np.arange(SR // 10) / SR
    return (0.4 * np.sin(2 * np.pi * (220 + 20 * i) * t)).astype(np.float32)


class FakeStudy:
    """The part of b2m.datasets.Study the explorer uses, on fsaverage5, built in memory."""

    def __init__(self, seed: int = 0, broken_audio: tuple[str, ...] = ()):
        rng = np.random.default_rng(seed)
        n = N_TRAIN + N_TEST
        genres = [GENRES[i % 4] for i in range(n)]
        ids = [f"{g}.{i:05d}" for i, g in enumerate(genres)]
        self.clips = pd.DataFrame({"clip_id": ids, "genre": genres})
        self.responses = ClipResponses(
            train=rng.standard_normal((N_TRAIN, N_VERTICES)).astype(np.float32),
            train_ids=np.array(ids[:N_TRAIN]),
            train_runs=np.repeat(np.arange(4), 3),
            test_repeats=rng.standard_normal((N_REPEATS, N_TEST, N_VERTICES)).astype(np.float32),
            test_ids=np.array(ids[N_TRAIN:]),
            test_runs=np.arange(N_TEST),
        )
        self.broken_audio = broken_audio
        self.loaded: list[str] = []

    def load_audio(self, clip_id):
        if clip_id in self.broken_audio:
            raise FileNotFoundError(f"clip {clip_id} missing")
        self.loaded.append(clip_id)
        return _tone(list(self.clips.clip_id).index(clip_id)), SR


class FakeDecoding:
    """Like b2m.analysis.DecodingResult: neighbours(i, k) over the test clips."""

    def __init__(self, study):
        self.test_ids = np.array(study.responses.test_ids)
        self.asked: list[int] = []

    def neighbours(self, i, k=5):
        self.asked.append(i)
        order = [(i + 1 + j) % len(self.test_ids) for j in range(len(self.test_ids))][:k]
        return [
            {"index": j, "clip_id": self.test_ids[j], "genre": "?", "score": 0.9 - 0.1 * r}
            for r, j in enumerate(order)
        ]


@dataclass
class Recon:
    """Shaped like b2m.reconstruction.Reconstruction."""

    target_clip_id: str
    backend: str
    rank: int
    audio: np.ndarray
    sr: int
    label: str
    similarity: float | None
    provenance: dict = field(default_factory=dict)


@pytest.fixture
def study():
    return FakeStudy()


@pytest.fixture
def embeddings(study):
    return np.random.default_rng(1).standard_normal((len(study.clips), 6))


@pytest.fixture
def encoder(study, embeddings):
    r = study.responses
    train_x = embeddings[:N_TRAIN]
    return Encoder(alphas=[1.0, 10.0], n_splits=2).fit(train_x, r.train, r.train_runs)


def _click(scatter, row):
    """Apply the state update the browser sends when a point is clicked (static/scatter.js)."""
    scatter.set_state({"selected": row})


def _errors(explorer):
    return "".join(o.get("text", "") for o in explorer.output.outputs)


def test_clicking_the_scatter_plays_the_clip_and_shows_its_measured_response(study, embeddings):
    explorer = view_clip_explorer(study, embeddings, initial=None)
    assert explorer.selected == -1 and explorer.stimulus_player.src_id == ""
    _click(explorer.scatter, 6)  # the second "jazz" clip
    assert explorer.selected == 6 == explorer.dropdown.value == explorer.scatter.selected
    player = explorer.stimulus_player
    assert player.src_id == "jazz.00006" == explorer.clip_id and player.playing
    assert len(player.wav_bytes) > 44 and len(player._spectrogram) > 0
    np.testing.assert_array_equal(explorer.surface.values, study.responses.train[6])
    assert "training response" in explorer.surface.title
    z = (embeddings - embeddings.mean(axis=0)) / embeddings.std(axis=0)
    expected = cosine_neighbours(z, 6, 5, explorer.genres, explorer.clip_ids)
    assert [it["label"] for it in explorer.retrieval_list.items] == [e["clip_id"] for e in expected]
    assert "embedding space" in explorer.retrieval_list.title
    assert explorer.reconstruction_player.layout.display == "none"  # no reconstructions given
    assert explorer.output.outputs == ()


def test_dropdown_selects_and_a_test_clip_shows_the_mean_of_its_repeats(study, embeddings):
    explorer = ClipExplorer(study, embeddings, initial=None)
    explorer.dropdown.value = N_TRAIN + 2
    assert explorer.scatter.selected == N_TRAIN + 2
    assert explorer.stimulus_player.src_id == study.clips.clip_id[N_TRAIN + 2]
    mean = study.responses.test_repeats[:, 2].mean(axis=0)
    np.testing.assert_allclose(explorer.surface.values, mean, rtol=1e-6)
    assert "mean of 4 repeats" in explorer.surface.title
    first = explorer.surface.values.copy()
    explorer.dropdown.value = 3
    assert not np.allclose(explorer.surface.values, first)  # the surface follows the selection
    explorer.selected = -1
    assert explorer.dropdown.value == -1 and not explorer.stimulus_player.playing
    assert explorer.retrieval_list.items == []


def test_without_autoplay_a_selection_loads_the_clip_and_a_row_still_plays(study, embeddings):
    explorer = ClipExplorer(study, embeddings, FakeDecoding(study), autoplay=False, initial=None)
    player = explorer.stimulus_player
    explorer.selected = N_TRAIN
    assert player.src_id == explorer.clip_id and player.has_audio and not player.playing
    assert player.get_state()["_wav"] == b""  # the audio waits in the kernel for Play
    explorer.retrieval_list.activate(0)
    assert player.src_id == explorer.clip_id and player.playing


def test_a_row_of_the_retrieval_list_selects_that_clip(study, embeddings):
    decoded = FakeDecoding(study)
    explorer = ClipExplorer(study, embeddings, decoded, initial=N_TRAIN)  # first test clip
    assert decoded.asked == [0]
    assert explorer.retrieval_list.title.startswith("retrieved from the embedding decoded")
    labels = [it["label"] for it in explorer.retrieval_list.items]
    assert labels == list(study.responses.test_ids[[1, 2, 3, 0]])
    assert not explorer.stimulus_player.playing  # the initial clip is shown, not played
    explorer.retrieval_list.activate(1)  # as Enter/Space or a click on the row
    assert explorer.clip_id == labels[1] and explorer.selected == N_TRAIN + 2
    assert explorer.stimulus_player.src_id == labels[1] and explorer.stimulus_player.playing
    # The browser's message for a row does the same; a stale row number is ignored.
    explorer.retrieval_list._handle_message(None, {"type": "activate", "row": 0}, [])
    assert explorer.clip_id == study.responses.test_ids[3]
    explorer.retrieval_list._handle_message(None, {"type": "activate", "row": 99}, [])
    assert explorer.clip_id == study.responses.test_ids[3]
    explorer.selected = 0  # a training clip has no decoded embedding: cosine neighbours
    assert "no decoded embedding" in explorer.retrieval_list.title
    assert explorer.output.outputs == ()


def test_predicted_and_measured_responses_toggle(study, embeddings, encoder):
    explorer = ClipExplorer(study, embeddings, encoder=encoder, initial=N_TRAIN + 1)
    measured = explorer.surface.values.copy()
    explorer.response_toggle.value = "predicted"
    assert explorer.response == "predicted"
    expected = encoder.predict(embeddings[[N_TRAIN + 1]])[0]
    np.testing.assert_allclose(explorer.surface.values, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(explorer.surface.values, measured)
    assert "predicted by the encoder (r = " in explorer.surface.title
    explorer.selected = 2  # the toggle stays on "predicted" for the next clip
    np.testing.assert_allclose(
        explorer.surface.values, encoder.predict(embeddings[[2]])[0], rtol=1e-5, atol=1e-6
    )
    explorer.response = "measured"
    assert explorer.response_toggle.value == "measured"
    np.testing.assert_array_equal(explorer.surface.values, study.responses.train[2])


def test_without_an_encoder_there_is_no_predicted_response(study, embeddings):
    explorer = ClipExplorer(study, embeddings)
    assert explorer.response_toggle.options == ("measured",)
    with pytest.raises(traitlets.TraitError, match="'predicted' needs an encoder"):
        explorer.response = "predicted"


def test_reconstructions_are_listed_and_play_against_the_stimulus(study, embeddings):
    target = study.clips.clip_id[N_TRAIN]
    recons = {
        target: [
            Recon(target, "retrieval", 1, _tone(30), SR, "<b>jazz.00031</b>", 0.81),
            Recon(target, "musicgen", 2, _tone(40), 16000, "generated", None),
        ]
    }
    explorer = ClipExplorer(study, embeddings, reconstructions=recons, initial=N_TRAIN)
    assert explorer.reconstruction_player.layout.display is None
    rows = explorer.reconstruction_list.items
    assert [r["label"] for r in rows] == ["<b>jazz.00031</b>", "generated"]  # text, not HTML
    assert [r["score"] for r in rows] == ["0.810", ""]
    b = explorer.reconstruction_player
    assert explorer.reconstruction == 0 and not b.playing  # the first one is loaded
    assert b.title == "reconstruction: <b>jazz.00031</b>" and b.src_id.startswith(target)
    first = b.src_id
    explorer.stimulus_player.playing = True
    explorer.reconstruction_list.activate(1)
    assert explorer.reconstruction == 1 and b.playing and b.sr == 16000 and b.src_id != first
    assert not explorer.stimulus_player.playing  # one player at a time
    explorer.stimulus_player.playing = True
    assert not b.playing
    explorer.selected = 0  # no reconstruction for this clip
    assert explorer.reconstruction == -1 and b.src_id == "" and "none for" in b.title
    # A callable works too.
    explorer = ClipExplorer(study, embeddings, reconstructions=lambda c: recons.get(c, []))
    explorer.selected = N_TRAIN
    assert len(explorer.reconstruction_list.items) == 2


def test_a_selection_reads_only_the_reconstruction_it_loads(study, embeddings):
    from b2m.reconstruction import Reconstruction

    target = study.clips.clip_id[N_TRAIN]
    reads: list[int] = []

    def loader(rank):
        def load():
            reads.append(rank)
            return _tone(30 + 10 * rank)

        return load

    recons = {
        target: [
            Reconstruction(target, "synth", r, loader(r), SR, f"rec {r}", n_samples=len(_tone(30)))
            for r in range(3)
        ]
    }
    explorer = ClipExplorer(study, embeddings, reconstructions=recons, initial=N_TRAIN)
    assert len(explorer.reconstruction_list.items) == 3
    assert reads == [0]  # listed without reading; the first one loaded into the player
    explorer.reconstruction_list.activate(2)
    assert reads == [0, 2] and explorer.reconstruction_player.playing
    # a loader that fails shows its error in the widget's output, not as an exception
    recons[target][1] = Reconstruction(target, "synth", 1, lambda: np.zeros((2, 3)), SR, "bad")
    explorer.selected = 0
    explorer.selected = N_TRAIN
    explorer.reconstruction_list.activate(1)
    assert (
        f"audio of the synth reconstruction of {target!r} (rank 1) must be a 1-D array"
        in _errors(explorer)
    )


def test_errors_in_callbacks_are_shown_in_the_output_not_raised(study, embeddings, encoder):
    broken = FakeStudy(broken_audio=("blues.00004",))

    def failing_decoder(index):
        raise RuntimeError(f"decoder failed for row {index}")

    def failing_reconstructions(clip_id):
        if clip_id == "blues.00004":
            return [Recon(clip_id, "x", 1, np.zeros((2, 10)), SR, "bad", 0.5)]
        raise KeyError(f"no generator for {clip_id}")

    explorer = ClipExplorer(
        broken,
        embeddings,
        failing_decoder,
        encoder,
        failing_reconstructions,
        initial=None,
    )
    explorer.selected = 4  # must not raise
    text = _errors(explorer)
    assert "FileNotFoundError: clip blues.00004 missing" in text
    assert "RuntimeError: decoder failed for row 4" in text
    assert "reconstructions('blues.00004')[0].audio must be a 1-D array" in text
    assert "Traceback" in text and explorer.output in explorer.children
    assert explorer.stimulus_player.src_id == "" and "unavailable" in explorer.stimulus_player.title
    np.testing.assert_array_equal(explorer.surface.values, broken.responses.train[4])
    explorer.selected = 5  # a new selection shows only its own errors
    assert "blues.00004" not in _errors(explorer)
    assert "KeyError: 'no generator for classical.00005'" in _errors(explorer)
    assert explorer.stimulus_player.src_id == "classical.00005"

    def failing_predict(features):
        raise ValueError("encoder exploded")

    encoder.predict = failing_predict
    explorer.response = "predicted"
    assert "ValueError: encoder exploded" in _errors(explorer)


def test_inputs_are_validated(study, embeddings, encoder):
    with pytest.raises(TypeError, match=r"study must be a b2m\.datasets\.Study"):
        ClipExplorer(embeddings, embeddings)
    with pytest.raises(ValueError, match="embeddings has 15 rows but there are 16 clip ids"):
        ClipExplorer(study, embeddings[:-1])
    with pytest.raises(ValueError, match="clip_ids must be clips of the study"):
        ClipExplorer(study, embeddings[:2], clip_ids=["blues.00000", "nope"])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ClipExplorer(study, embeddings, k=0)
    with pytest.raises(TypeError, match="decoded must be None, a decoding result"):
        ClipExplorer(study, embeddings, decoded=np.zeros((4, 6)))
    with pytest.raises(TypeError, match="encoder must have a predict"):
        ClipExplorer(study, embeddings, encoder="ridge")
    with pytest.raises(ValueError, match="encoder expects 6 features per clip; features has 3"):
        ClipExplorer(study, embeddings, encoder=encoder, features=embeddings[:, :3])
    with pytest.raises(TypeError, match="reconstructions must be a mapping"):
        ClipExplorer(study, embeddings, reconstructions=[1, 2])
    with pytest.raises(ValueError, match=r"initial must be a row in \[0, 16\), a clip id"):
        ClipExplorer(study, embeddings, initial="rock.99999")
    with pytest.raises(ValueError, match="received 16"):
        ClipExplorer(study, embeddings, initial=16)
    explorer = ClipExplorer(study, embeddings, initial="jazz.00002")
    assert explorer.selected == 2
    with pytest.raises(traitlets.TraitError, match=r"selected must be -1 or an index in \[0, 16\)"):
        explorer.selected = 16
    with pytest.raises(traitlets.TraitError, match="reconstruction must be -1 or a row"):
        explorer.reconstruction = 0
    with pytest.raises(TypeError, match=r"study must be a b2m\.datasets\.Study .*received str"):
        view_clip_explorer("not a study", embeddings)
    with pytest.raises(TypeError, match="get_audio"):  # the array form is gone
        view_clip_explorer(study, embeddings, get_audio=lambda i: (_tone(i), SR))


def test_static_twin_and_png_fallback(study, embeddings):
    explorer = ClipExplorer(study, embeddings, initial=3, static_fallback=True)
    fig = explorer.static_figure()
    titles = [ax.get_title() for ax in fig.get_axes()]
    assert "selected: metal.00003" in titles
    assert any("left lateral" in t for t in titles)  # the surface twin
    assert any(t.startswith("nearest clips to metal.00003") for t in titles)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert "image/png" not in ClipExplorer(study, embeddings)._repr_mimebundle_()


@pytest.mark.slow
def test_explorer_on_the_simulated_study_with_real_results(study_home):
    from b2m.analysis import decode_study, encode_study, study_embeddings
    from b2m.datasets import load_study

    real = load_study("simulated", "sub-001", data_home=study_home)
    embeddings = study_embeddings(real, "genre")
    decoding = decode_study(real, "genre")
    encoding = encode_study(real, "genre", n_permutations=0)
    explorer = view_clip_explorer(real, embeddings, decoding, encoding)
    row = int(real.clip_indices([real.responses.test_ids[5]])[0])
    explorer.selected = row
    assert explorer.retrieval_list.title.startswith("retrieved from the embedding decoded")
    expected = [n["clip_id"] for n in decoding.neighbours(5, 5)]
    assert [it["label"] for it in explorer.retrieval_list.items] == expected
    np.testing.assert_allclose(explorer.surface.values, real.responses.test[5], rtol=1e-5)
    explorer.response = "predicted"
    predicted = encoding.encoder.predict(embeddings[[row]])[0]
    np.testing.assert_allclose(explorer.surface.values, predicted, rtol=1e-5, atol=1e-6)
    assert explorer.output.outputs == ()


def test_a_clip_without_a_response_shows_the_background_only(study, embeddings):
    study.responses.train_ids = np.array(["elsewhere", *study.responses.train_ids[1:]])
    explorer = ClipExplorer(study, embeddings, initial=1)
    explorer.selected = 0
    assert explorer.surface.title == "blues.00000: no response"
    colors = explorer.surface.colors()
    assert (colors == background_grey()[:, None]).all()  # the grey sulcal background only
    assert explorer.output.outputs == ()


def test_text_search_lists_matching_clips_and_paints_the_cortex():
    from b2m.analysis import TextSearch

    study = FakeStudy()
    tags = ["guitar", "metal", "violin", "strings", "drums"]
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(len(study.clips), len(tags)))
    metal = np.flatnonzero(study.clips.genre == "metal")
    logits[metal, 1] += 5.0
    vertex = 123
    responses = 0.1 * rng.normal(size=(len(logits), N_VERTICES))
    responses[:, vertex] += logits[:, 1]
    encoder = Encoder(n_splits=2).fit(logits, responses, np.repeat([0, 1], len(logits) // 2))
    search = TextSearch(tags, logits, study.clips.clip_id, study.clips.genre, encoder)
    ex = ClipExplorer(study, rng.normal(size=(len(logits), 3)), text_search=search, initial=None)
    assert ex.text_box.layout.display != "none"
    ex.text_box.value = "heavy metal"
    shown = [item["label"] for item in ex.retrieval_list.items][: len(metal)]
    assert set(shown) == set(study.clips.clip_id[metal])
    assert "metal 1.00" in ex.retrieval_list.title
    assert int(np.argmax(ex.surface.values)) == vertex  # the text's map is on the cortex
    result = ex.search_text("heavy metal")
    np.testing.assert_allclose(ex.surface.values, result.surface_map)
    ex.retrieval_list.activate(0)
    assert ex.clip_id == shown[0] and study.loaded[-1] == shown[0]
    ex.text_box.value = "a banana sandwich"
    assert "near no tag" in str(ex.output.outputs)
    assert ex.retrieval_list.items == [] and "failed" in ex.retrieval_list.title
    with pytest.raises(TypeError, match="text_search must be"):
        ClipExplorer(study, logits, text_search="metal")
    hidden = ClipExplorer(study, logits, initial=None)
    assert hidden.text_box.layout.display == "none"


def test_picker_lists_test_clips_with_reconstructions_first_and_the_map_rings_them(
    study, embeddings
):
    target = study.clips.clip_id[N_TRAIN + 1]
    recons = {target: [Recon(target, "retrieval", 1, _tone(30), SR, "jazz.00031", 0.8)]}
    explorer = ClipExplorer(study, embeddings, reconstructions=recons, initial=None)
    picker = explorer.dropdown
    assert isinstance(picker, ClipPicker)
    groups = [o["group"] for o in picker.options]
    assert groups[0].startswith("test clips with reconstructions")
    assert picker.options[0]["value"] == N_TRAIN + 1
    ranks = [
        0 if g.startswith("test clips with") else 1 if g.startswith("test") else 2 for g in groups
    ]
    assert ranks == sorted(ranks) and ranks.count(1) == N_TEST - 1 and ranks.count(2) == N_TRAIN
    assert all(target in o["title"] or "·" in o["title"] for o in picker.options)
    scatter = explorer.scatter
    assert scatter.marked_label == "has reconstructions"
    assert list(scatter.marked) == [N_TRAIN + 1]
    assert list(np.frombuffer(scatter._marked, "<u4")) == [N_TRAIN + 1]  # what the browser rings
    _click(scatter, N_TRAIN + 1)
    assert explorer.selected == N_TRAIN + 1 == picker.value
    with pytest.raises(traitlets.TraitError, match="value must be -1 or the value of an option"):
        picker.value = 10_000
    # Without reconstructions the test clips are ringed and listed first.
    plain = ClipExplorer(study, embeddings, initial=None)
    assert plain.scatter.marked_label == "test clip"
    assert sorted(plain.scatter.marked) == list(range(N_TRAIN, N_TRAIN + N_TEST))
    assert plain.dropdown.options[0]["group"].startswith("test clips")


@dataclass
class FakeEncoding:
    encoder: object
    test_r: np.ndarray
    noise_ceiling: object


def test_clicking_the_cortex_fills_the_vertex_panel(study, embeddings, encoder):

    rng = np.random.default_rng(3)
    ceiling = type("Ceiling", (), {"max_r": rng.uniform(0.2, 0.9, N_VERTICES)})()
    encoding = FakeEncoding(encoder, rng.uniform(-0.2, 0.6, N_VERTICES), ceiling)
    explorer = ClipExplorer(study, embeddings, encoder=encoding, initial=0)
    vertex = 10_300  # right hemisphere
    # What the browser sends when the cortex is clicked (static/cortex.js)
    explorer.surface.cortex._handle_custom_msg({"type": "pick", "vertex": vertex}, [])
    panel = explorer.vertex_panel
    assert panel.vertex == vertex and explorer.surface.picked == vertex
    r = study.responses
    profile = np.concatenate([r.train[:, vertex], r.test_repeats[:, :, vertex].mean(0)])
    top = np.argsort(-profile)[: explorer.k]
    assert [it["key"] for it in panel.top_clips.items] == list(study.clips.clip_id[top])
    assert f"test r {encoding.test_r[vertex]:.2f}" in panel.header.value
    assert f"noise ceiling {ceiling.max_r[vertex]:.2f}" in panel.header.value
    assert panel.profile.value.count("<rect") == N_TRAIN + N_TEST
    panel.top_clips.activate(1)  # a listed clip is selected (and plays)
    assert explorer.selected == top[1] and explorer.stimulus_player.playing
    with pytest.raises(ValueError, match=r"vertex must be in \[0, 20484\)"):
        explorer.show_vertex(-1)


def test_a_vertex_without_responses_says_so(study, embeddings):
    study.responses.train[:, 5] = np.nan
    study.responses.test_repeats[:, :, 5] = np.nan
    explorer = ClipExplorer(study, embeddings, initial=None)
    explorer.show_vertex(5)
    assert "no measured response at this vertex" in explorer.vertex_panel.header.value
    assert explorer.vertex_panel.top_clips.items == []
