"""Small pictures of a waveform for the audio player: a min/max envelope and a spectrogram.

Computed in Python (numpy/scipy) and sent to the browser as bytes: the envelope as float32
pairs, the spectrogram as an 8-bit image on log-spaced frequency bands. The player's ESM draws
them on a canvas; nothing is drawn in Python and nothing is fetched.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DB_RANGE", "audio_overview", "spectrogram_image", "waveform_envelope"]

#: Dynamic range of the spectrogram image in dB (the quietest shade is this far below the peak).
DB_RANGE = 80.0
_F_MIN = 40.0


def _check_columns(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer; received {n!r}.")
    return int(n)


def waveform_envelope(waveform: np.ndarray, n_columns: int = 480) -> np.ndarray:
    """Minimum and maximum of the waveform in ``n_columns`` equal stretches of time.

    Parameters
    ----------
    waveform : ndarray of shape (n_samples,)
        Finite mono samples (``n_samples >= 1``).
    n_columns : int, default 480
        Number of stretches (fewer when there are fewer samples).

    Returns
    -------
    ndarray of shape (2, n_cols)
        float32; row 0 the minima, row 1 the maxima, ``n_cols = min(n_columns, n_samples)``.
    """
    x = np.asarray(waveform, dtype=np.float32)
    n_cols = min(_check_columns(n_columns, "n_columns"), len(x))
    starts = np.linspace(0, len(x), n_cols + 1).astype(np.int64)[:-1]
    return np.stack([np.minimum.reduceat(x, starts), np.maximum.reduceat(x, starts)])


def spectrogram_image(
    waveform: np.ndarray, sr: int, n_bands: int = 64, n_frames: int = 480
) -> tuple[np.ndarray, float]:
    """A log-frequency spectrogram scaled to 8 bits (0: ``DB_RANGE`` dB below the peak).

    Parameters
    ----------
    waveform : ndarray of shape (n_samples,)
        Finite mono samples.
    sr : int
        Sampling rate in Hz.
    n_bands : int, default 64
        Frequency bands, log-spaced from 40 Hz to ``sr / 2``.
    n_frames : int, default 480
        Time columns (fewer when the STFT has fewer frames).

    Returns
    -------
    image : ndarray of shape (n_bands, n_cols)
        uint8, row 0 the lowest band.
    fmax : float
        Upper edge of the top band in Hz.
    """
    from scipy.signal import spectrogram

    x = np.asarray(waveform, dtype=np.float32)
    n_bands = _check_columns(n_bands, "n_bands")
    n_frames = _check_columns(n_frames, "n_frames")
    nperseg = int(min(1024, max(16, len(x))))
    if len(x) < nperseg:
        x = np.pad(x, (0, nperseg - len(x)))
    freqs, _, power = spectrogram(x, fs=sr, nperseg=nperseg, noverlap=nperseg // 2)
    fmax = sr / 2
    edges = np.geomspace(min(_F_MIN, fmax / 2), fmax, n_bands + 1)
    # Each band averages the STFT bins inside it; a band narrower than one bin takes the nearest.
    band = np.clip(np.searchsorted(edges, freqs, side="right") - 1, 0, n_bands - 1)
    sums = np.zeros((n_bands, power.shape[1]), dtype=np.float64)
    np.add.at(sums, band, power)
    counts = np.bincount(band, minlength=n_bands)
    centres = np.sqrt(edges[:-1] * edges[1:])
    nearest = np.abs(freqs[None, :] - centres[:, None]).argmin(axis=1)
    bands = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], power[nearest])
    n_cols = min(n_frames, bands.shape[1])
    starts = np.linspace(0, bands.shape[1], n_cols + 1).astype(np.int64)[:-1]
    pooled = np.add.reduceat(bands, starts, axis=1) / np.diff(np.append(starts, bands.shape[1]))
    db = 10 * np.log10(pooled + 1e-20)
    top = db.max()
    scaled = np.clip((db - (top - DB_RANGE)) / DB_RANGE, 0.0, 1.0)
    return np.round(scaled * 255).astype(np.uint8), float(fmax)


def audio_overview(waveform: np.ndarray, sr: int, n_columns: int = 480, n_bands: int = 64) -> dict:
    """Everything the player draws for one waveform, as bytes ready for binary traits.

    Parameters
    ----------
    waveform : ndarray of shape (n_samples,)
        Finite mono samples.
    sr : int
        Sampling rate in Hz.
    n_columns : int, default 480
        Time resolution of both pictures.
    n_bands : int, default 64
        Frequency bands of the spectrogram.

    Returns
    -------
    dict
        ``envelope`` (bytes: float32 minima then maxima), ``spectrogram`` (bytes: uint8,
        row-major, lowest band first), ``shape`` ([n_bands, n_frames] of the spectrogram) and
        ``fmax`` (Hz).
    """
    envelope = waveform_envelope(waveform, n_columns)
    image, fmax = spectrogram_image(waveform, sr, n_bands=n_bands, n_frames=n_columns)
    return {
        "envelope": np.ascontiguousarray(envelope, dtype="<f4").tobytes(),
        "spectrogram": np.ascontiguousarray(image).tobytes(),
        "shape": [int(image.shape[0]), int(image.shape[1])],
        "fmax": fmax,
    }
