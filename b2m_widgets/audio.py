"""A small audio player widget (anywidget) and side-by-side A/B listening.

The audio travels as 16-bit PCM WAV bytes and plays from a Blob URL in the browser: nothing is
fetched from the network. By default a player keeps the bytes in the kernel and sends them to
the browser only when it is about to play (a custom widget message, answered with one binary
buffer), so selecting or listing clips costs no audio traffic and a notebook saved with its
widget state stays small. Without an answer within 8 s (a kernel busy with a long cell, or no
kernel: a saved notebook, an HTML export) the player says so and still takes a late answer.
``audio_in_state=True`` puts the bytes in the widget state instead: the player then also plays
without a kernel, at ~0.9 MB per 15-s clip in every saved copy. A waveform envelope and a
spectrogram, computed here with numpy/scipy (:mod:`b2m_widgets._visuals`), travel as bytes too
and are drawn on a canvas with the segment and the playback position. The controls are
``<button>`` elements with ``aria-label`` attributes, so the player works from the keyboard.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from b2m.validation import check_array
from b2m_widgets._visuals import audio_overview

__all__ = ["AudioPlayer", "encode_wav", "view_ab", "view_audio"]

_ESM = (Path(__file__).parent / "static" / "player.js").read_text(encoding="utf-8")
_CSS = """
.b2m-audio-player { display: flex; flex-direction: column; gap: 4px; padding: 4px 0; }
.b2m-audio-title { font-weight: 600; font-size: 13px; }
.b2m-audio-canvas { width: 360px; max-width: 100%; height: 120px; border: 1px solid #ddd;
  cursor: pointer; display: block; }
.b2m-audio-controls { display: flex; align-items: center; gap: 6px; font-size: 12px; }
.b2m-audio-controls button { min-width: 32px; height: 28px; cursor: pointer; display: inline-flex;
  align-items: center; justify-content: center; }
.b2m-icon { display: inline-block; box-sizing: border-box; }
.b2m-icon-play { width: 0; height: 0; border-style: solid; border-width: 6px 0 6px 10px;
  border-color: transparent transparent transparent currentColor; }
.b2m-icon-pause { width: 10px; height: 12px; border-left: 3px solid currentColor;
  border-right: 3px solid currentColor; }
.b2m-icon-restart { position: relative; width: 0; height: 0; margin-left: 3px; border-style: solid;
  border-width: 6px 9px 6px 0; border-color: transparent currentColor transparent transparent; }
.b2m-icon-restart::before { content: ""; position: absolute; left: -3px; top: -6px; width: 2px;
  height: 12px; background: currentColor; }
.b2m-audio-controls button:focus-visible { outline: 2px solid #1a73e8; outline-offset: 1px; }
.b2m-audio-time { font-family: monospace; }
.b2m-audio-segment { font-size: 11px; color: #666; }
.b2m-audio-status { font-size: 11px; color: #8a4b00; }
"""


def _check_sr(sr) -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    return int(sr)


def _check_waveform(waveform, name: str = "waveform") -> np.ndarray:
    return check_array(waveform, name, ndim=1, dtype=np.float64)


def encode_wav(waveform, sr: int) -> bytes:
    """Encode a mono waveform as 16-bit PCM WAV bytes, in memory.

    Parameters
    ----------
    waveform : array-like of shape (n_samples,)
        Finite samples, nominally in [-1, 1]; a waveform whose peak exceeds 1 is scaled down
        to peak 1 rather than clipped.
    sr : int
        Sampling rate in Hz.

    Returns
    -------
    bytes
        A complete WAV file.
    """
    import soundfile as sf

    x = _check_waveform(waveform)
    sr = _check_sr(sr)
    peak = float(np.abs(x).max()) if len(x) else 0.0
    if peak > 1.0:
        x = x / peak
    buffer = io.BytesIO()
    sf.write(buffer, x, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


class AudioPlayer(anywidget.AnyWidget):
    """An HTML5 audio player that plays a waveform sent from Python.

    Parameters
    ----------
    title : str, default ""
        Label above the player (shown as text, never interpreted as HTML).
    **kwargs
        Initial values of the traits below.

    Attributes
    ----------
    title : str
        Label above the player.
    start, end : float
        Segment to play, in seconds; ``end == 0`` means the end of the clip.
    current_time : float
        Playback position in seconds, updated by the browser while playing.
    playing : bool
        Whether the audio plays; set it to start or pause playback.
    src_id : str
        Identifier of the current audio; changes whenever the audio changes (the browser shows
        it as the ``data-src-id`` attribute of the ``.b2m-audio-player`` element).
    duration : float
        Length of the current audio in seconds.
    sr : int
        Sampling rate of the current audio (0 when empty).
    has_audio : bool
        Whether the player holds audio (set by :meth:`set_audio` and :meth:`clear`).
    show_overview : bool
        Whether to compute and draw the waveform and spectrogram (default True); when False
        only the controls show.
    audio_in_state : bool
        Whether the WAV bytes travel in the widget state (True) or are sent on request when the
        browser is about to play (False, the default). Embedded audio plays without a kernel (a
        saved notebook, an HTML export) but weighs ~0.9 MB per 15-s clip in every saved copy;
        audio on request plays only while the kernel runs. Applies from the next
        :meth:`set_audio`.
    """

    _esm = _ESM
    _css = _CSS
    _wav = traitlets.Bytes(b"").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    start = traitlets.Float(0.0).tag(sync=True)
    end = traitlets.Float(0.0).tag(sync=True)
    current_time = traitlets.Float(0.0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    src_id = traitlets.Unicode("").tag(sync=True)
    duration = traitlets.Float(0.0).tag(sync=True)
    show_overview = traitlets.Bool(True).tag(sync=True)
    has_audio = traitlets.Bool(False).tag(sync=True)
    _envelope = traitlets.Bytes(b"").tag(sync=True)
    _spectrogram = traitlets.Bytes(b"").tag(sync=True)
    _spectrogram_shape = traitlets.List(traitlets.Int(), default_value=[0, 0]).tag(sync=True)
    sr = traitlets.Int(0)
    audio_in_state = traitlets.Bool(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pending = b""  # the current audio while it is not embedded in the state
        self.on_msg(self._on_browser_message)

    def _on_browser_message(self, _widget, content, _buffers) -> None:
        # The browser asks for the audio it is about to play. Answer with the current audio
        # and its id; the browser drops an answer whose id is no longer its own.
        if not isinstance(content, dict) or content.get("type") != "audio-request":
            return
        self.send({"type": "audio", "src_id": self.src_id}, buffers=[self.wav_bytes])

    @traitlets.validate("start", "end")
    def _valid_time(self, proposal):
        value = proposal["value"]
        if not np.isfinite(value) or value < 0:
            name = proposal["trait"].name
            raise traitlets.TraitError(
                f"{name} must be a finite number of seconds >= 0; received {value!r}."
            )
        return value

    @classmethod
    def from_waveform(cls, waveform, sr: int, title: str = "", **kwargs) -> AudioPlayer:
        """Create a player holding ``waveform``.

        Parameters
        ----------
        waveform : array-like of shape (n_samples,)
            Mono audio samples (finite).
        sr : int
            Sampling rate in Hz.
        title : str, default ""
            Label above the player.
        **kwargs
            Other traits (``start``, ``end``, ``src_id``…).

        Returns
        -------
        AudioPlayer
        """
        segment = {key: kwargs.pop(key) for key in ("src_id", "start", "end") if key in kwargs}
        player = cls(**kwargs)
        player.set_audio(waveform, sr, title=title, **segment)
        return player

    def set_audio(
        self,
        waveform,
        sr: int,
        *,
        title: str | None = None,
        src_id: str | None = None,
        start: float = 0.0,
        end: float = 0.0,
    ) -> None:
        """Replace the audio (all traits change in one message to the browser).

        Parameters
        ----------
        waveform : array-like of shape (n_samples,)
            Mono audio samples (finite); see :func:`encode_wav`.
        sr : int
            Sampling rate in Hz.
        title : str, optional
            New label; unchanged when omitted.
        src_id : str, optional
            Identifier of this audio; default: a digest of the encoded WAV bytes.
        start, end : float, default 0.0
            Segment to play in seconds (``end == 0``: to the end).
        """
        wav = encode_wav(waveform, sr)
        n_samples = len(np.ravel(waveform))
        overview = (
            audio_overview(_check_waveform(waveform), int(sr)) if self.show_overview else None
        )
        with self.hold_sync():
            self._wav = wav if self.audio_in_state else b""
            self._pending = b"" if self.audio_in_state else wav
            self.has_audio = True
            self._envelope = overview["envelope"] if overview else b""
            self._spectrogram = overview["spectrogram"] if overview else b""
            self._spectrogram_shape = overview["shape"] if overview else [0, 0]
            self.sr = int(sr)
            self.duration = n_samples / int(sr)
            self.start = float(start)
            self.end = float(end)
            self.current_time = float(start)
            if title is not None:
                self.title = str(title)
            self.src_id = str(src_id) if src_id is not None else _digest(wav)

    @property
    def wav_bytes(self) -> bytes:
        """The current audio as WAV bytes (empty when no audio is set), embedded or not."""
        return self._wav or self._pending

    def clear(self) -> None:
        """Remove the audio and stop playback."""
        with self.hold_sync():
            self.playing = False
            self._wav = b""
            self._pending = b""
            self.has_audio = False
            self._envelope = b""
            self._spectrogram = b""
            self._spectrogram_shape = [0, 0]
            self.duration = 0.0
            self.sr = 0
            self.src_id = ""


def _digest(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]


def view_audio(waveform, sr: int, title: str = "", *, audio_in_state: bool = False) -> AudioPlayer:
    """Show a player for one waveform.

    Static twin: :func:`b2m.plotting.plot_clip`.

    The player draws the waveform and its spectrogram, marks the segment and the playback
    position (click the picture to seek) and has Play/Pause and Restart buttons.

    Parameters
    ----------
    waveform : array-like of shape (n_samples,)
        Mono audio samples (finite).
    sr : int
        Sampling rate in Hz.
    title : str, default ""
        Label above the player.
    audio_in_state : bool, default False
        Keep the WAV bytes in the widget state, so that the player also plays in a saved
        notebook or an HTML export with no kernel (~0.9 MB per 15-s clip); by default the
        audio is sent from the kernel when the player starts.

    Returns
    -------
    AudioPlayer
    """
    return AudioPlayer.from_waveform(waveform, sr, title=title, audio_in_state=audio_in_state)


def view_ab(
    a,
    b,
    sr: int,
    titles: tuple[str, str] = ("stimulus", "reconstruction"),
    *,
    audio_in_state: bool = False,
) -> widgets.HBox:
    """Show two players side by side, e.g. a stimulus and its reconstruction.

    Static twin: :func:`b2m.plotting.plot_clip`, once per waveform.

    Parameters
    ----------
    a, b : array-like of shape (n_samples,)
        The two waveforms (lengths may differ).
    sr : int
        Sampling rate of both, in Hz.
    titles : pair of str, default ("stimulus", "reconstruction")
        Labels of the two players.
    audio_in_state : bool, default False
        As in :func:`view_audio`.

    Returns
    -------
    ipywidgets.HBox
        Holding the two :class:`AudioPlayer` as ``children``.
    """
    if len(titles) != 2:
        raise ValueError(f"titles must be a pair of str; received {len(titles)} titles.")
    _check_waveform(a, "a")
    _check_waveform(b, "b")
    left = AudioPlayer.from_waveform(a, sr, title=titles[0], audio_in_state=audio_in_state)
    right = AudioPlayer.from_waveform(b, sr, title=titles[1], audio_in_state=audio_in_state)
    left.layout.margin = "0 24px 0 0"
    return widgets.HBox([left, right])
