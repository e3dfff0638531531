"""The numpy synthesiser: wavetable voices, note rendering into buses, the drum kit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

_TABLE = 2048
_INF = float("inf")


@dataclass(frozen=True)
class _Voice:
    """A tonal voice: a bright and a dark wavetable, each with its own envelope."""

    bright: float  # spectral slope (amplitude ~ k**-slope) of the bright component
    dark: float  # spectral slope of the dark component
    n_harm: int
    attack: float  # s
    tau_bright: float  # decay time constant of the bright component (s)
    tau_dark: float  # decay time constant of the dark component (s)
    sustain: float  # level the dark component decays to
    release: float  # s
    w_bright: float = 1.0
    pluck: float = 0.0  # pluck position (comb notches in the bright spectrum)
    vibrato: float = 0.0  # relative frequency deviation at 5.5 Hz
    detune: float = 0.0  # cents of a second, detuned copy (chorus)
    tremolo: float = 0.0  # amplitude modulation depth at 6 Hz
    drawbars: tuple[float, ...] = ()


_VOICES = {
    "piano": _Voice(1.0, 2.2, 18, 0.003, 0.15, 1.1, 0.05, 0.10, 0.8),
    "strings": _Voice(1.0, 1.6, 20, 0.14, _INF, _INF, 1.0, 0.30, 0.6, vibrato=0.004, detune=8),
    "acoustic_guitar": _Voice(0.7, 1.8, 20, 0.002, 0.07, 0.8, 0.0, 0.06, 1.0, pluck=0.18),
    "electric_guitar": _Voice(1.0, 2.0, 16, 0.003, 0.15, 1.4, 0.1, 0.06, 0.8, pluck=0.12),
    "distorted_guitar": _Voice(1.3, 1.8, 12, 0.004, 0.4, 3.0, 0.6, 0.05, 0.5),
    "bass": _Voice(1.6, 3.0, 10, 0.006, 0.08, 0.9, 0.3, 0.05, 0.7),
    "sub": _Voice(4.0, 8.0, 3, 0.005, 0.05, 1.2, 0.5, 0.08, 0.2),
    "synth": _Voice(1.0, 2.2, 24, 0.01, 0.25, _INF, 1.0, 0.12, 0.8, detune=12),
    "brass": _Voice(0.8, 2.0, 14, 0.04, _INF, _INF, 1.0, 0.08, 0.7, vibrato=0.003),
    "organ": _Voice(
        0.0, 0.0, 8, 0.008, _INF, _INF, 1.0, 0.04, 0.0, tremolo=0.12,
        drawbars=(1.0, 0.8, 0.6, 0.5, 0.0, 0.3, 0.0, 0.25),
    ),
}  # fmt: skip
_BUS = {"distorted_guitar": "dist", "electric_guitar": "egtr", "bass": "bass", "sub": "bass"}

_BASIS_CACHE: list[np.ndarray] = []


def _sine_basis() -> np.ndarray:
    """Rows k = 1..32 of sin(2 pi k x) sampled on the wavetable grid, shape (32, _TABLE)."""
    if not _BASIS_CACHE:
        x = np.arange(_TABLE) / _TABLE
        _BASIS_CACHE.append(np.sin(2 * np.pi * np.outer(np.arange(1, 33), x)))
    return _BASIS_CACHE[0]


def _midi_hz(midi) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


class _Synth:
    """Renders note and drum events of one clip into buses (all state is per clip)."""

    def __init__(self, sr: int, n: int, brightness: float, rng: np.random.Generator):
        self.sr, self.n, self.rng = sr, n, rng
        self.tilt = (0.5 - brightness) * 1.0
        self.buses: dict[str, np.ndarray] = {}
        self._tables: dict = {}
        self._notes: dict = {}
        self._t = np.arange(int(8 * sr) + 1) / sr

    def bus(self, name: str) -> np.ndarray:
        if name not in self.buses:
            self.buses[name] = np.zeros(self.n)
        return self.buses[name]

    def _tables_for(self, name: str, midi: int) -> tuple[np.ndarray, np.ndarray]:
        key = (name, midi)
        if key not in self._tables:
            v = _VOICES[name]
            f0 = float(_midi_hz(midi))
            n_harm = int(max(1, min(v.n_harm, 0.45 * self.sr // f0)))
            k = np.arange(1, n_harm + 1, dtype=float)
            basis = _sine_basis()[:n_harm]
            if v.drawbars:
                amps = np.asarray(v.drawbars[:n_harm]) * k ** (-max(self.tilt, 0.0))
                dark = bright = amps @ basis
            else:
                ab = k ** -(v.bright + self.tilt)
                if v.pluck:
                    ab = ab * (0.15 + np.abs(np.sin(np.pi * k * v.pluck)))
                bright = ab @ basis
                dark = (k ** -(v.dark + max(self.tilt, 0.0))) @ basis
            bright = bright / np.abs(bright).max()
            dark = dark / np.abs(dark).max()
            self._tables[key] = (bright, dark)
        return self._tables[key]

    def _note(self, name: str, midi: int, n_on: int) -> np.ndarray:
        key = (name, midi, n_on)
        cached = self._notes.get(key)
        if cached is not None:
            return cached
        v = _VOICES[name]
        sr = self.sr
        n_rel = max(16, int(v.release * sr))
        n = n_on + n_rel
        if n > self._t.size:
            self._t = np.arange(n) / sr
        t = self._t[:n]
        f0 = float(_midi_hz(midi))
        bright, dark = self._tables_for(name, midi)
        phase = f0 * t
        if v.vibrato:
            phase = phase + (v.vibrato * f0 / (2 * np.pi * 5.5)) * (1 - np.cos(2 * np.pi * 5.5 * t))
        attack = np.minimum(1.0, t / v.attack)
        env_d = (
            attack
            if v.tau_dark == _INF
            else attack * (v.sustain + (1 - v.sustain) * np.exp(-t / v.tau_dark))
        )
        env_b = v.w_bright * (
            attack if v.tau_bright == _INF else attack * np.exp(-t / v.tau_bright)
        )
        phases = [phase]
        if v.detune:
            phases.append(phase * 2.0 ** (v.detune / 1200.0) + 0.37)
        y = np.zeros(n)
        for ph in phases:
            idx = (ph * _TABLE).astype(np.int64) & (_TABLE - 1)
            y += env_d * dark[idx]
            if v.w_bright:
                y += env_b * bright[idx]
        y /= len(phases)
        if v.tremolo:
            y *= 1.0 - v.tremolo * (0.5 + 0.5 * np.sin(2 * np.pi * 6.0 * t))
        y[n_on:] *= np.linspace(1.0, 0.0, n_rel)
        self._notes[key] = y
        return y

    def add(self, buf: np.ndarray, start: int, y: np.ndarray, gain: float) -> None:
        if start >= self.n:
            return
        if start < 0:
            if -start >= y.size:
                return
            y, start = y[-start:], 0
        end = min(self.n, start + y.size)
        buf[start:end] += gain * y[: end - start]

    def notes(self, name: str, starts, lengths, midis, vels) -> None:
        buf = self.bus(_BUS.get(name, "tonal"))
        for s, m, L, g in zip(starts, midis, lengths, vels, strict=True):
            self.add(buf, int(s), self._note(name, int(m), int(L)), float(g))


def _drum_kit(genre: str, sr: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One-shot drum samples, shape (n_samples,) each, randomised per clip."""

    def t_(dur):
        return np.arange(int(dur * sr)) / sr

    def noise(dur):
        return rng.standard_normal(int(dur * sr))

    def hp(x, fc, order=2):
        return signal.sosfilt(
            signal.butter(order, min(fc, 0.45 * sr), "highpass", fs=sr, output="sos"), x
        )

    def bp(x, lo, hi):
        sos = signal.butter(2, [lo, min(hi, 0.45 * sr)], "bandpass", fs=sr, output="sos")
        return signal.sosfilt(sos, x)

    u = rng.uniform
    kick_decay = {"hiphop": u(0.3, 0.45), "metal": u(0.06, 0.09), "jazz": u(0.1, 0.15)}.get(
        genre, u(0.1, 0.16)
    )
    f_lo = u(38, 46) if genre == "hiphop" else u(45, 60)
    f_hi = u(110, 170)
    t = t_(max(0.3, 5 * kick_decay))
    freq = f_lo + (f_hi - f_lo) * np.exp(-t / u(0.025, 0.05))
    kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / kick_decay)
    click = 0.6 if genre == "metal" else 0.2
    kick[: int(0.004 * sr)] += click * hp(noise(0.004), 2000)
    t = t_(0.3)
    snare = 0.8 * hp(noise(0.3), u(1200, 2500)) * np.exp(-t / u(0.07, 0.14))
    snare += 0.5 * np.sin(2 * np.pi * u(170, 230) * t) * np.exp(-t / 0.04)
    t = t_(0.12)
    rim = (np.sin(2 * np.pi * u(380, 480) * t) + 0.6 * np.sin(2 * np.pi * 1350 * t)) * np.exp(
        -t / 0.02
    )
    rim += 0.3 * hp(noise(0.12), 3000) * np.exp(-t / 0.006)
    t = t_(0.25)
    clap = np.zeros(t.size)
    for d in (0.0, 0.011, 0.022):
        clap += (t >= d) * np.exp(-np.maximum(t - d, 0) / (0.05 if d else 0.008))
    clap = bp(noise(0.25), 900, 3500) * clap
    t = t_(0.08)
    hat = hp(noise(0.08), u(6500, 8500), 4) * np.exp(-t / u(0.018, 0.03))
    t = t_(0.4)
    open_hat = hp(noise(0.4), 6000, 4) * np.exp(-t / u(0.14, 0.22))
    t = t_(1.2)
    partials = rng.uniform(2500, 7500, 6)
    ride = np.sin(2 * np.pi * np.outer(partials, t)).sum(0) * 0.15 * np.exp(-t / u(0.5, 0.8))
    ride += 0.4 * hp(noise(1.2), 5000) * np.exp(-t / 0.3)
    t = t_(1.6)
    crash = hp(noise(1.6), 3500) * np.exp(-t / u(0.6, 0.9))
    t = t_(0.15)
    brush = bp(noise(0.15), 2000, 8000) * np.minimum(1, t / 0.005) * np.exp(-t / 0.05)
    kit = {
        "kick": kick, "snare": snare, "rim": rim, "clap": clap, "hat": hat,
        "open_hat": open_hat, "pedal_hat": 0.6 * hat, "ride": ride, "crash": crash,
        "brush": brush,
    }  # fmt: skip
    return {k: v / np.abs(v).max() for k, v in kit.items()}
