"""AudioPlayer: WAV round trip, traits, validation and the offline ESM."""

from __future__ import annotations

import io
import re
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest
import soundfile as sf
import traitlets

import b2m_widgets
from b2m_widgets import AudioPlayer, encode_wav, view_ab, view_audio

SR = 16000
PLAYER_JS = Path(b2m_widgets.__file__).parent / "static" / "player.js"


@pytest.fixture
def waveform():
    rng = np.random.default_rng(0)
    return rng.uniform(-0.9, 0.9, size=SR // 4)


def test_wav_bytes_decode_back_within_16_bit_tolerance(waveform):
    player = AudioPlayer.from_waveform(waveform, SR, title="noise")
    decoded, sr = sf.read(io.BytesIO(player.wav_bytes), dtype="float64")
    assert sr == SR
    assert decoded.shape == waveform.shape
    np.testing.assert_allclose(decoded, waveform, atol=2 / 2**15)
    info = sf.info(io.BytesIO(player.wav_bytes))
    assert info.subtype == "PCM_16"
    assert player.duration == pytest.approx(len(waveform) / SR)
    assert player.title == "noise"
    assert player.sr == SR


def test_loud_waveform_is_scaled_not_clipped():
    x = np.array([0.0, 2.0, -4.0, 1.0])
    decoded, _ = sf.read(io.BytesIO(encode_wav(x, 8000)), dtype="float64")
    np.testing.assert_allclose(decoded, x / 4, atol=2 / 2**15)


def test_src_id_changes_with_the_audio(waveform):
    player = view_audio(waveform, SR)
    first = player.src_id
    assert first
    player.set_audio(waveform * 0.5, SR)
    assert player.src_id != first
    player.set_audio(waveform, SR, title="named", src_id="clip-7", start=0.05, end=0.2)
    assert (player.src_id, player.title, player.start, player.end) == ("clip-7", "named", 0.05, 0.2)
    player.clear()
    assert player.wav_bytes == b"" and player.src_id == "" and not player.playing


@pytest.mark.parametrize(
    ("waveform", "sr", "match"),
    [
        (np.zeros((2, 100)), SR, "waveform must be a 1-D array"),
        (np.array([0.0, np.nan, 0.1]), SR, "waveform must be finite"),
        (np.array([]), SR, "waveform needs at least 1 sample"),
        (np.zeros(100), 0, "sr must be a positive integer"),
        (np.zeros(100), 16000.5, "sr must be a positive integer"),
    ],
)
def test_invalid_audio_raises_named_errors(waveform, sr, match):
    with pytest.raises(ValueError, match=match):
        AudioPlayer.from_waveform(waveform, sr)


def test_segment_traits_are_validated(waveform):
    player = AudioPlayer.from_waveform(waveform, SR, start=0.1, end=0.2)
    assert (player.start, player.end) == (0.1, 0.2)
    with pytest.raises(traitlets.TraitError, match="start must be a finite number"):
        player.start = -1.0
    with pytest.raises(traitlets.TraitError, match="end must be a finite number"):
        player.end = float("inf")


def test_audio_stays_in_the_kernel_until_the_browser_asks(waveform, monkeypatch):
    player = AudioPlayer.from_waveform(waveform, SR, src_id="clip-1")
    state = player.get_state()
    assert state["_wav"] == b"" and state["has_audio"] and state["src_id"] == "clip-1"
    sent = []
    monkeypatch.setattr(
        player, "send", lambda content, buffers=None: sent.append((content, buffers))
    )
    player._on_browser_message(player, {"type": "something-else"}, [])
    assert sent == []
    player._on_browser_message(player, {"type": "audio-request", "src_id": "clip-1"}, [])
    ((content, buffers),) = sent
    assert content == {"type": "audio", "src_id": "clip-1"}
    assert buffers == [encode_wav(waveform, SR)] == [player.wav_bytes]
    # A request that arrives after the audio changed is answered with the new audio and id
    # (the browser keeps an answer only when the id is the one it asked for).
    player.set_audio(waveform[::-1], SR, src_id="clip-2")
    player._on_browser_message(player, {"type": "audio-request", "src_id": "clip-1"}, [])
    assert sent[-1] == ({"type": "audio", "src_id": "clip-2"}, [encode_wav(waveform[::-1], SR)])
    player.clear()
    assert not player.has_audio and player.wav_bytes == b""


def test_embedded_audio_travels_in_the_state(waveform):
    player = view_audio(waveform, SR, audio_in_state=True)
    assert player.get_state()["_wav"] == encode_wav(waveform, SR) == player.wav_bytes
    lazy = view_audio(waveform, SR)
    assert lazy.get_state()["_wav"] == b"" and lazy.wav_bytes == player.wav_bytes
    box = view_ab(waveform, waveform, SR, audio_in_state=True)
    assert all(p.get_state()["_wav"] for p in box.children)


def test_traits_are_synced():
    synced = set(AudioPlayer().keys)
    assert {
        "_wav",
        "title",
        "start",
        "end",
        "current_time",
        "playing",
        "src_id",
        "has_audio",
    } <= synced
    assert "audio_in_state" not in synced and "sr" not in synced


def test_player_js_is_offline_and_exposes_stable_hooks():
    source = PLAYER_JS.read_text(encoding="utf-8")
    assert not re.search(r"https?://", source)
    assert "import " not in source.split("export default")[0]  # no module imports at all
    assert AudioPlayer._esm == source
    hooks = ("b2m-audio-player", "b2m-audio-title", "srcId", "createObjectURL", "timeupdate")
    hooks += ('"audio-request"', '"msg:custom"', "REQUEST_TIMEOUT_MS")
    for hook in hooks:
        assert hook in source
    # Real buttons with accessible names, a canvas for the pictures, no native controls.
    assert 'createElement("button")' in source and "aria-label" in source
    assert 'makeButton("b2m-audio-play"' in source and 'makeButton("b2m-audio-restart"' in source
    assert 'createElement("canvas")' in source and "audio.controls = false" in source
    assert "innerHTML" not in source  # titles are text, never HTML


def test_player_sends_envelope_and_spectrogram_as_bytes(waveform):
    from b2m_widgets._visuals import DB_RANGE

    player = AudioPlayer.from_waveform(waveform, SR)
    envelope = np.frombuffer(player._envelope, dtype="<f4").reshape(2, -1)
    assert envelope.shape == (2, 480)
    np.testing.assert_allclose(envelope[0].min(), waveform.min(), atol=1e-6)
    np.testing.assert_allclose(envelope[1].max(), waveform.max(), atol=1e-6)
    assert (envelope[0] <= envelope[1]).all()
    bands, frames = player._spectrogram_shape
    assert bands == 64 and 1 <= frames <= 480
    assert len(player._spectrogram) == bands * frames
    assert DB_RANGE == 80.0
    assert {"_envelope", "_spectrogram", "_spectrogram_shape", "show_overview"} <= set(player.keys)
    player.clear()
    assert player._envelope == b"" and player._spectrogram == b""
    quiet = AudioPlayer(show_overview=False)
    quiet.set_audio(waveform, SR)
    assert quiet._envelope == b"" and quiet._spectrogram_shape == [0, 0] and quiet.wav_bytes


def test_spectrogram_puts_a_tone_in_its_band_and_envelope_follows_loudness():
    from b2m_widgets._visuals import spectrogram_image, waveform_envelope

    sr = 22050
    t = np.arange(2 * sr) / sr
    tone = np.sin(2 * np.pi * 1000 * t) * np.where(t < 1, 0.1, 0.8)
    image, fmax = spectrogram_image(tone, sr, n_bands=32, n_frames=40)
    assert image.dtype == np.uint8 and image.shape == (32, 40) and fmax == sr / 2
    edges = np.geomspace(40, sr / 2, 33)
    band = np.searchsorted(edges, 1000) - 1
    assert (image.argmax(axis=0) == band).all()
    assert image.max() == 255
    envelope = waveform_envelope(tone, 20)
    assert envelope[1, :10].max() < 0.11 and envelope[1, 10:].min() > 0.7
    assert waveform_envelope(np.array([0.5, -0.5]), 480).shape == (2, 2)
    with pytest.raises(ValueError, match="n_columns must be a positive integer"):
        waveform_envelope(tone, 0)
    with pytest.raises(ValueError, match="n_bands must be a positive integer"):
        spectrogram_image(tone, sr, n_bands=1.5)


def test_view_ab_places_two_players_side_by_side(waveform):
    box = view_ab(waveform, waveform[::-1], SR)
    assert isinstance(box, widgets.HBox)
    assert len(box.children) == 2
    assert all(isinstance(c, AudioPlayer) for c in box.children)
    assert [c.title for c in box.children] == ["stimulus", "reconstruction"]
    assert box.children[0].src_id != box.children[1].src_id
    with pytest.raises(ValueError, match="b must be a 1-D array"):
        view_ab(waveform, np.zeros((3, 3)), SR)
    with pytest.raises(ValueError, match="titles must be a pair"):
        view_ab(waveform, waveform, SR, titles=("only one",))
