"""Rendering a clip (:func:`render_clip`) and the ds003720 stimulus treatment (fades, RMS)."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from b2m._utils._validation import check_array, check_choice
from b2m.datasets.simulation.music._arrangement import (
    _bass_events,
    _Clock,
    _comp_events,
    _drum_hits,
    _melody_events,
)
from b2m.datasets.simulation.music._constants import (
    _REQUIRED,
    CLIP_SECONDS,
    FADE_SECONDS,
    GENRES,
    SAMPLE_RATE,
)
from b2m.datasets.simulation.music._synth import _drum_kit, _Synth


def apply_fades_and_rms(
    waveform,
    sr: int,
    *,
    fade_seconds: float = FADE_SECONDS,
    target_rms: float = 0.1,
    shape: str = "linear",
) -> np.ndarray:
    """Fade a clip in and out, then scale it to a target RMS (as the ds003720 stimuli were).

    Parameters
    ----------
    waveform : array-like of shape (n_samples,)
        Mono audio.
    sr : int
        Sampling rate in Hz.
    fade_seconds : float, default 2.0
        Length of each fade. The first and last samples become exactly 0.
    target_rms : float, default 0.1
        RMS of the returned clip (computed after the fades).
    shape : {"linear", "cosine"}, default "linear"
        Fade curve: a linear ramp or a raised cosine.

    Returns
    -------
    ndarray of shape (n_samples,), float32
        The treated clip.

    Raises
    ------
    ValueError
        If the waveform is not 1-D, contains NaN or infinite values, is shorter than two fades,
        or is all zeros; if ``sr``, ``fade_seconds`` or ``target_rms`` is not positive.
    """
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    if not (np.isfinite(fade_seconds) and fade_seconds >= 0):
        raise ValueError(f"fade_seconds must be a non-negative number; received {fade_seconds!r}.")
    if not (np.isfinite(target_rms) and target_rms > 0):
        raise ValueError(f"target_rms must be a positive number; received {target_rms!r}.")
    check_choice(shape, "shape", ("linear", "cosine"))
    x = check_array(waveform, "waveform", ndim=1).copy()
    n_fade = round(fade_seconds * sr)
    if x.size < 2 * n_fade or x.size == 0:
        raise ValueError(
            f"waveform must be longer than two fades ({2 * n_fade} samples = 2 x {fade_seconds} s "
            f"at {sr} Hz); received {x.size} samples."
        )
    if n_fade > 0:
        ramp = np.linspace(0.0, 1.0, n_fade)
        if shape == "cosine":
            ramp = 0.5 - 0.5 * np.cos(np.pi * ramp)
        x[:n_fade] *= ramp
        x[-n_fade:] *= ramp[::-1]
    rms = float(np.sqrt(np.mean(x**2)))
    if rms == 0.0:
        raise ValueError(
            "waveform is silent (all zeros after the fades); cannot normalise its RMS."
        )
    return (x * (target_rms / rms)).astype(np.float32)


def _normalised(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x**2)))
    return x / rms if rms > 0 else x


def render_clip(
    attributes: dict, *, sr: int = SAMPLE_RATE, duration: float = CLIP_SECONDS, seed: int
) -> np.ndarray:
    """Synthesise a clip from its attributes.

    The arrangement (bass line, accompaniment, melody, drum hits) is generated from the
    attributes and ``seed``; notes are rendered from wavetables with per-voice envelopes,
    guitars go through a waveshaping (tanh) distortion and a cabinet low-pass, drums are
    noise bursts and a pitch-swept sine kick, off-beats are delayed by ``swing``, the harmonic
    mix is low-passed according to ``brightness`` and convolved with a decaying-noise reverb,
    and a slow loudness curve scaled by ``dynamics`` is applied. Finally
    :func:`apply_fades_and_rms` gives the 2 s fades and an RMS of 0.1.

    Parameters
    ----------
    attributes : dict
        As returned by :func:`sample_clip_attributes`.
    sr : int, default 22050
        Sampling rate in Hz.
    duration : float, default 15.0
        Length in seconds; must exceed two fades (4 s).
    seed : int
        Seed of the arrangement, the humanisation and the drum samples.

    Returns
    -------
    ndarray of shape (round(sr * duration),), float32
        The clip, RMS 0.1, starting and ending at 0.

    Raises
    ------
    ValueError
        If ``attributes`` lacks a key or names an unknown genre, ``sr`` or ``duration`` is not
        positive, or ``duration`` is too short for the fades.
    TypeError
        If ``seed`` is not an integer.
    """
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict; received {type(attributes).__name__}.")
    missing = [k for k in _REQUIRED if k not in attributes]
    if missing:
        raise ValueError(
            f"attributes is missing key(s) {missing}; expected the dict returned by "
            "sample_clip_attributes."
        )
    check_choice(attributes["genre"], "attributes['genre']", GENRES)
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    if not (np.isfinite(duration) and duration > 2 * FADE_SECONDS):
        raise ValueError(
            f"duration must be a number of seconds > {2 * FADE_SECONDS} (two fades); "
            f"received {duration!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer; received {type(seed).__name__}.")
    a = attributes
    rng = np.random.default_rng(int(seed))
    n = round(sr * duration)
    spb = 60.0 / a["tempo"]
    start_beat = int(rng.integers(0, 16))
    n_beats = start_beat + math.ceil(duration / (spb * (1 - 2 * a["rubato"]))) + 2
    clock = _Clock(a, n_beats, start_beat, rng)
    synth = _Synth(sr, n, a["brightness"], rng)
    jitter = {"classical": 0.012, "jazz": 0.008}.get(a["genre"], 0.004)
    dyn = a["dynamics"]

    def place(name, events, strum_gap=0.0):
        if not events:
            return
        ev = np.asarray([e[:4] for e in events], dtype=float)
        strum = np.asarray([e[4] if len(e) > 4 else 0 for e in events], dtype=float)
        t0 = clock(ev[:, 0]) + rng.normal(0, jitter, len(ev)) + strum * strum_gap
        t1 = clock(ev[:, 0] + ev[:, 1])
        keep = (t1 > 0) & (t0 < duration)
        starts = np.round(t0 * sr).astype(int)[keep]
        lengths = np.maximum(256, np.round((t1 - t0) * sr / 256).astype(int) * 256)[keep]
        vels = ev[keep, 3] * (1 + 0.3 * dyn * rng.uniform(-1, 1, int(keep.sum())))
        synth.notes(name, starts, lengths, ev[keep, 2].astype(int), vels)

    # drums
    kick_positions: list[float] = []
    if a["drums"] and a["drum_pattern"] != "none":
        kit = _drum_kit(a["genre"], sr, rng)
        drums = synth.bus("drums")
        for voice, hits in _drum_hits(a, n_beats, rng).items():
            if not hits:
                continue
            pos, vel = np.asarray(hits, dtype=float).T
            if voice == "kick":
                kick_positions = pos.tolist()
            t0 = clock(pos) + rng.normal(0, 0.6 * jitter, pos.size)
            vel = vel * rng.uniform(0.9, 1.1, pos.size)
            for s, g in zip(np.round(t0 * sr).astype(int), vel, strict=True):
                synth.add(drums, int(s), kit[voice], float(g))

    # bass line
    names = set(a["instruments"])
    bass_voice = "sub" if a["bass_style"] == "sub_808" else "bass"
    if "bass" not in names:
        bass_voice = "strings" if "strings" in names else "piano"
    place(bass_voice, _bass_events(a, a["bass_style"], n_beats, rng, kick_positions))
    # accompaniment and lead
    for instrument, style in a["comping"]:
        events = _comp_events(a, style, n_beats, rng)
        place(instrument, events, strum_gap=0.012 if style == "strum" else 0.0)
    if a["lead"] is not None:
        place(a["lead"], _melody_events(a, n_beats, rng))

    # buses → mix
    b = synth.buses
    harm = np.zeros(n)
    if "tonal" in b:
        harm += _normalised(b["tonal"])
    for bus, drive, cutoff, gain in (
        ("dist", 1 + 25 * a["distortion"] ** 1.5, 4500.0, 1.3),
        ("egtr", 1 + 8 * a["distortion"], 6000.0, 0.8),
    ):
        if bus in b:
            x = np.tanh(drive * 0.5 * _normalised(b[bus]))
            sos = signal.butter(2, [80.0, min(cutoff, 0.45 * sr)], "bandpass", fs=sr, output="sos")
            harm += gain * _normalised(signal.sosfilt(sos, x))
    cutoff = 1500.0 * 2.0 ** (3.0 * a["brightness"])
    if cutoff < 0.45 * sr:
        harm = signal.sosfilt(signal.butter(2, cutoff, fs=sr, output="sos"), harm)
    mix = _normalised(harm)
    if "bass" in b:
        mix += (0.3 + 0.9 * a["bass_level"]) * _normalised(b["bass"])
    if "drums" in b:
        mix += 0.9 * a["drum_level"] * _normalised(b["drums"])
    if a["reverb"] >= 0.1:
        rt60 = 0.4 + 2.0 * a["reverb"]
        t = np.arange(int(min(rt60, 1.5) * sr)) / sr
        ir = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60)
        wet = signal.oaconvolve(mix, ir / np.sqrt(np.sum(ir**2)))[:n]
        mix = mix + (0.2 + 0.6 * a["reverb"]) * wet
    # slow loudness curve (± 9 dB x dynamics)
    knots = np.linspace(0, n, 6)
    shape = rng.uniform(-1, 1, 6)
    if a["genre"] == "classical":
        shape = np.clip(np.linspace(-1, 1, 6) * rng.choice([-1, 1]) + 0.4 * shape, -1, 1)
    mix *= 10.0 ** (9.0 * dyn * np.interp(np.arange(n), knots, shape) / 20.0)
    return apply_fades_and_rms(mix, sr, fade_seconds=FADE_SECONDS)
