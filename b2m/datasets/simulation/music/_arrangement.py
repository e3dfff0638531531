"""The arrangement of a clip: drum hits, bass line, accompaniment, melody, and the clock.

Every function returns events in song positions (beats); :class:`_Clock` maps them to seconds
(tempo, rubato, swing).
"""

from __future__ import annotations

import numpy as np

from b2m.datasets.simulation.music._constants import (
    _CHORDS,
    _FILLS,
    _HIT_VELOCITY,
    _PHRASE_CRASH,
    DRUM_PATTERNS,
    MODES,
)


def _drum_hits(attrs: dict, n_beats: int, rng: np.random.Generator) -> dict[str, list]:
    """Drum hits per voice: lists of (position in beats, velocity)."""
    name = attrs["drum_pattern"]
    pattern = {
        voice: bars[int(rng.integers(len(bars)))] for voice, bars in DRUM_PATTERNS[name].items()
    }
    hits: dict[str, list] = {voice: [] for voice in pattern}
    hits.setdefault("crash", [])
    for bar in range(n_beats // 4 + 1):
        fill = name in _FILLS and bar % 4 == 3 and rng.random() < 0.7
        for voice, steps in pattern.items():
            for i, c in enumerate(steps):
                if c == "." or (fill and i >= 12 and voice in ("snare", "brush", "hat")):
                    continue
                hits[voice].append((bar * 4 + i / 4, _HIT_VELOCITY[c]))
        if fill:
            roll = "brush" if name == "train_beat" else "snare"
            hits.setdefault(roll, []).extend(
                (bar * 4 + 3 + i / 4, 0.5 + 0.15 * i) for i in range(4)
            )
        every = 2 if name in ("double_kick", "blast_beat") else 4
        if name in _PHRASE_CRASH and bar % every == 0:
            hits["crash"].append((bar * 4.0, 0.8))
        if name == "swing_ride":
            ghosts = np.nonzero(rng.random(8) < 0.18)[0]
            hits.setdefault("snare", []).extend((bar * 4 + g / 2, 0.3) for g in ghosts)
    return hits


def _chord_at(attrs: dict, pos: float) -> tuple[int, tuple[int, ...]]:
    prog = attrs["progression"]
    offset, quality = prog[int(pos // attrs["beats_per_chord"]) % len(prog)]
    return (attrs["key"] + int(offset)) % 12, _CHORDS[quality]


def _fold(root_pc: int, intervals, low: int, high: int) -> list[int]:
    base = low + (root_pc - low) % 12
    notes = sorted({n - 12 if n > high else n for n in (base + iv for iv in intervals)})
    return notes


def _bass_events(attrs, style, n_beats, rng, kick_positions):
    """Bass line: list of (pos, dur, midi, vel)."""
    ev = []
    mode_pcs = MODES[attrs["mode"]]
    for beat in range(0, n_beats, 4):
        for b in range(beat, beat + 4):
            pc, chord = _chord_at(attrs, b)
            root = 31 + (pc - 31) % 12
            if style == "walking":
                nxt = 31 + (_chord_at(attrs, b + 1)[0] - 31) % 12
                if b % 4 == 0 or _chord_at(attrs, b - 1)[0] != pc:
                    m = root
                elif _chord_at(attrs, b + 1)[0] != pc or b % 4 == 3:
                    m = nxt + (1 if rng.random() < 0.5 else -1)
                else:
                    m = root + int(rng.choice([chord[1], chord[2], 12, 2 if 2 in mode_pcs else 5]))
                ev.append((b, 0.95, m, 0.8))
            elif style == "boogie":
                third = chord[1]
                seq = (0, third, 7, 9, 10, 9, 7, third)
                ev += [(b + h / 2, 0.45, root + seq[(b % 4) * 2 + h], 0.8) for h in range(2)]
            elif style in ("root_eighths", "octave", "pedal_16ths"):
                step = 0.25 if style == "pedal_16ths" else 0.5
                for j in range(round(1 / step)):
                    m = root + (12 if style == "octave" and j % 2 else 0)
                    keep = style != "pedal_16ths" or rng.random() < 0.85
                    if keep:
                        ev.append((b + j * step, step * 0.85, m, 0.9 if j == 0 else 0.7))
            elif style == "boom_chick":
                if b % 2 == 0:
                    ev.append((b, 0.9, root if b % 4 == 0 else root - 5, 0.9))
            elif style == "half_notes":
                if b % 2 == 0:
                    m = root + (7 if b % 4 == 2 and rng.random() < 0.4 else 0) + 12
                    ev.append((b, 1.9, m, 0.7))
            elif style == "pop_syncopated":
                for off in (0.0, 0.75, 1.5, 2.0, 2.5, 3.5):
                    if int(off) == b % 4:  # the offsets that fall in this beat
                        ev.append((b - b % 4 + off, 0.4, root, 0.8))
        if style == "reggae":
            pc, chord = _chord_at(attrs, beat)
            root = 31 + (pc - 31) % 12
            figure = [
                ((1.0, 0.45, 0), (1.5, 0.45, 0), (2.5, 0.45, 7), (3.0, 0.45, 10), (3.5, 0.4, 12)),
                ((0.5, 0.9, 0), (1.5, 0.45, 0), (2.0, 0.9, 7), (3.0, 0.9, 12)),
                ((1.0, 0.9, 0), (2.0, 0.45, chord[1]), (2.5, 0.9, 7), (3.5, 0.45, 5)),
            ][(beat // 8) % 3 if rng.random() < 0.5 else 0]
            ev += [(beat + p, d, root + iv, 0.9) for p, d, iv in figure]
    if style == "sub_808":
        kicks = sorted(kick_positions) or list(np.arange(0, n_beats, 2.0))
        for p, q in zip(kicks, [*kicks[1:], kicks[-1] + 2], strict=True):
            pc, _ = _chord_at(attrs, p)
            ev.append((p, min(q - p, 2.0) * 0.95, 28 + (pc - 28) % 12, 0.9))
    return ev


def _comp_events(attrs, style, n_beats, rng):
    """Accompaniment: list of (pos, dur, midi, vel, strum_index)."""
    ev = []
    bpc = attrs["beats_per_chord"]
    loop = [
        ((0.0, 0), (0.75, 1), (1.5, 2), (2.5, 1)),
        ((0.0, 2), (0.5, 1), (1.5, 0), (3.0, 1)),
        ((0.0, 0), (1.0, 2), (1.75, 1), (2.5, 2), (3.25, 0)),
    ][int(rng.integers(3))]
    stab_positions = [(1.5, 3.5), (0.0, 2.5), (0.5, 1.5, 2.5, 3.5)][int(rng.integers(3))]
    for b in range(n_beats):
        pc, chord = _chord_at(attrs, b)
        voicing = _fold(pc, chord, 52, 72)
        if style == "pad":
            if b % bpc == 0:
                ev += [(b, bpc * 0.98, m, 0.5, 0) for m in voicing]
        elif style == "block":
            ev += [(b, 0.85, m, 0.9 if b % 2 == 0 else 0.7, 0) for m in voicing]
        elif style == "strum":
            third = chord[1] if len(chord) > 1 and chord[1] in (3, 4) else 7
            shape = [0, 7, 12, third + 12, 19, 24] if third != 7 else [0, 7, 12, 19]
            root = 40 + (pc - 40) % 12
            for off, up in ((0.0, False), (0.5, True)) if b % 2 else ((0.0, False),):
                for i, iv in enumerate(reversed(shape) if up else shape):
                    ev.append((b + off, 0.5 if off else 1.0, root + iv, 0.6 if up else 0.8, i))
        elif style == "power_chug":
            root = 40 + (pc - 40) % 12
            step = 0.25 if attrs["genre"] == "metal" else 0.5
            for j in range(round(1 / step)):
                accent = j == 0
                if rng.random() < 0.9:
                    dur = step * (0.9 if accent else 0.45)
                    ev += [
                        (b + j * step, dur, root + iv, 1.0 if accent else 0.75, 0)
                        for iv in (0, 7, 12)
                    ]
        elif style == "skank":
            top = _fold(pc, chord, 60, 76)
            ev += [(b + 0.5, 0.22, m, 0.8, 0) for m in top]
        elif style == "bubble":
            ev += [(b + off, 0.2, m, 0.55, 0) for off in (0.5, 0.75) for m in voicing]
        elif style == "arpeggio":
            step = 0.25 if attrs["note_density"] > 2.5 else 0.5
            tones = voicing + [m + 12 for m in voicing]
            cycle = tones + tones[-2:0:-1]
            for j in range(round(1 / step)):
                m = cycle[(int(b / step) + j) % len(cycle)]
                ev.append((b + j * step, step * 1.6, m, 0.8 if j == 0 else 0.5, 0))
        elif style == "comp":
            if b % 4 == 0:
                shells = _fold(pc, [iv for iv in chord[1:]] + [14], 53, 70)
                for off in rng.choice(
                    [0, 0.5, 1.5, 2, 2.5, 3.5], size=int(rng.integers(2, 4)), replace=False
                ):
                    ev += [(b + float(off), 0.4, m, 0.6, 0) for m in shells]
        elif style == "stabs":
            if b % 4 == 0:
                top = _fold(pc, chord, 60, 79)
                for off in stab_positions:
                    ev += [(b + off, 0.3, m, 0.75, 0) for m in top]
        elif style == "chank":
            top = _fold(pc, chord, 64, 79)
            for j in range(4):
                if rng.random() < (0.9 if j % 2 else 0.5):
                    ev += [(b + j / 4, 0.1, m, 0.8 if j % 2 else 0.45, 0) for m in top]
        elif style == "loop":
            if b % 4 == 0:
                for off, i in loop:
                    ev.append((b + off, 0.7, voicing[i % len(voicing)], 0.7, 0))
    return ev


def _melody_events(attrs, n_beats, rng):
    """Lead line: list of (pos, dur, midi, vel)."""
    density = attrs["note_density"]
    grid = 0.25 if density > 2.2 else 0.5
    scale = MODES[attrs["mode"]]
    centre = attrs["register"]
    pitches = [m for m in range(centre - 9, centre + 10) if (m - attrs["key"]) % 12 in scale]
    pos = np.arange(0, n_beats, grid)
    onset = rng.random(pos.size) < np.clip(density * grid, 0.05, 0.95)
    in_bar = pos % 8
    onset &= ~((in_bar >= 6.5) & (rng.random(pos.size) < 0.7))  # phrase breaths
    onset[(pos % 8) == 0] = True
    times = pos[onset]
    ev = []
    i = len(pitches) // 2
    for p, q in zip(times, [*times[1:], times[-1] + 1], strict=True):
        i = int(np.clip(i + rng.choice([-2, -1, -1, 0, 1, 1, 2, -3, 3]), 0, len(pitches) - 1))
        m = pitches[i]
        if p % 1 == 0:
            pc, chord = _chord_at(attrs, p)
            tones = [n for n in pitches if (n - pc) % 12 in {c % 12 for c in chord}]
            if tones:
                m = min(tones, key=lambda n: abs(n - m))
                i = pitches.index(m)
        ev.append((float(p), float(min(q - p, 2.0) * 0.9), m, 0.9 if p % 1 == 0 else 0.7))
    return ev


class _Clock:
    """Maps song positions in beats to seconds from the start of the clip."""

    def __init__(self, attrs: dict, n_beats: int, start_beat: int, rng: np.random.Generator):
        spb = 60.0 / attrs["tempo"]
        factors = np.ones(n_beats + 2)
        if attrs["rubato"] > 0:
            walk = np.convolve(rng.standard_normal(n_beats + 10), np.hanning(9), "same")[
                : n_beats + 2
            ]
            factors = 1.0 + attrs["rubato"] * walk / (np.abs(walk).max() + 1e-9)
        beats = np.concatenate([[0.0], np.cumsum(spb * factors)])
        self.beats = beats - beats[start_beat] - rng.uniform(0, spb)
        self.swing, self.unit = attrs["swing"], attrs["swing_unit"]

    def __call__(self, pos) -> np.ndarray:
        pos = np.asarray(pos, dtype=float)
        ib = np.floor(pos).astype(int)
        f = pos - ib
        cell = np.floor(f / (2 * self.unit)) * 2 * self.unit
        g = (f - cell) / (2 * self.unit)
        r = self.swing
        g = np.where(g < 0.5, g * (r / 0.5), r + (g - 0.5) * ((1 - r) / 0.5))
        f = cell + g * 2 * self.unit
        ib = np.clip(ib, 0, self.beats.size - 2)
        return self.beats[ib] + f * (self.beats[ib + 1] - self.beats[ib])
