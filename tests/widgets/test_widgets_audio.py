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


def test_traits_are_synced():
    synced = set(AudioPlayer().keys)
    assert {"_wav", "title", "start", "end", "current_time", "playing", "src_id"} <= synced


def test_player_js_is_offline_and_exposes_stable_hooks():
    source = PLAYER_JS.read_text(encoding="utf-8")
    assert not re.search(r"https?://", source)
    assert "import " not in source.split("export default")[0]  # no module imports at all
    assert AudioPlayer._esm == source
    for hook in ("b2m-audio-player", "b2m-audio-title", "srcId", "createObjectURL", "timeupdate"):
        assert hook in source


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
