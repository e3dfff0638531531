"""Offline feature spaces without weights: acoustic descriptors and the genre one-hot."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import scipy.fft
from scipy import signal

from b2m._utils._audio import resample
from b2m._utils._progress import progress
from b2m.features._base import FeatureSpace, check_sr, check_waveforms

__all__ = ["AcousticFeatures", "GenreOneHot", "mel_filterbank"]

_EPS = 1e-10
_MOD_BANDS = ((0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0))
_N_MOD_GROUPS = 4
_TEMPO_PRIOR_BPM = 140.0
_TEMPOGRAM_EDGES = tuple(float(x) for x in np.geomspace(40.0, 240.0, 9).round(1))
_PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=float) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=float) / 2595.0) - 1.0)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular mel filterbank on the bins of a real FFT.

    Centres are equally spaced on the HTK mel scale, ``mel(f) = 2595 log10(1 + f / 700)``,
    between ``fmin`` and ``fmax``; filter ``i`` rises linearly from centre ``i - 1`` to centre
    ``i`` and falls to centre ``i + 1``. Each filter is normalised to unit sum, so a band's
    value is the weighted *mean* power of its bins (bands stay comparable whatever their
    width). A filter too narrow to cover any bin takes the bin nearest to its centre.

    Parameters
    ----------
    sr : int
        Sampling rate in Hz.
    n_fft : int
        FFT length (the filterbank has ``n_fft // 2 + 1`` columns).
    n_mels : int
        Number of bands.
    fmin, fmax : float
        Frequency range in Hz, ``0 <= fmin < fmax <= sr / 2``.

    Returns
    -------
    ndarray of shape (n_mels, n_fft // 2 + 1)
        Non-negative weights; each row sums to 1.
    """
    if not 0 <= fmin < fmax <= sr / 2:
        raise ValueError(
            f"fmin and fmax must satisfy 0 <= fmin < fmax <= sr/2 = {sr / 2}; "
            f"received fmin={fmin}, fmax={fmax}."
        )
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    lo, centre, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lo) / (centre - lo)
    falling = (hi - freqs) / (hi - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    for i in np.nonzero(weights.sum(1) == 0)[0]:
        weights[i, np.argmin(np.abs(freqs - edges[i + 1]))] = 1.0
    return weights / weights.sum(1, keepdims=True)


class AcousticFeatures(FeatureSpace):
    """Deterministic spectro-temporal descriptors of audio (numpy/scipy only, no weights).

    Each clip is resampled to ``sr_work`` (``scipy.signal.resample_poly``), cut into
    Hann-windowed frames of ``n_fft`` samples every ``hop_length`` samples and transformed
    with a real FFT (a short-time Fourier transform). From the power spectrogram:

    - **log-mel** (2 x ``n_mels``): mean and standard deviation over frames of the
      log power (dB) in ``n_mels`` bands of :func:`mel_filterbank`;
    - **spectral shape** (8): mean and std of centroid, bandwidth (Hz), flatness (geometric /
      arithmetic mean power) and 85 % roll-off (Hz);
    - **rhythm** (4 + 8): tempo (BPM, 40–240) at the peak of the autocorrelation of the
      onset-strength envelope (half-wave rectified temporal difference of the mel amplitudes,
      i.e. the square root of the mel power divided by its maximum, averaged over bands)
      weighted by a log-normal prior centred on 140 BPM (1 octave s.d.); the pulse clarity
      (height of the largest normalised autocorrelation peak in that range); the mean and std
      of onset strength; and a coarse tempogram: the largest autocorrelation in each of 8
      log-spaced tempo bands between 40 and 240 BPM. Like every autocorrelation tempo
      estimator, the tempo can be off by an octave (half or double) where the metre is
      ambiguous;
    - **amplitude modulation** (4 x 5): log power of the modulation spectrum of the amplitude
      envelopes of 4 groups of mel bands (low to high), each envelope divided by its mean, in
      0.5–1, 1–2, 2–4, 4–8 and 8–16 Hz;
    - **chroma** (12 + 1 + 6): mean pitch-class profile (power of FFT bins between 110 and
      3520 Hz mapped to the nearest equal-tempered pitch class, normalised per frame), its
      normalised entropy, and the magnitudes of its discrete Fourier coefficients 1–6 (a
      key-invariant summary of the interval content);
    - **zero-crossing rate** (2): mean and std per frame;
    - **RMS dynamics** (4): mean and std of frame RMS in dB, its 95th–10th percentile range,
      and the share of frames 10 dB or more below the median.

    The dimensions are named by :attr:`feature_names`. Vectors are *not* standardised here
    (the models standardise).

    Parameters
    ----------
    sr_work : int, default 22050
        Working sampling rate (Hz); inputs at another rate are resampled.
    n_fft : int, default 1024
        Frame length in samples (at ``sr_work``).
    hop_length : int, default 512
        Frame step in samples.
    n_mels : int, default 32
        Number of mel bands.
    fmin : float, default 30.0
        Lowest mel frequency (Hz).
    fmax : float, optional
        Highest mel frequency (Hz); ``sr_work / 2`` when omitted.
    """

    name = "acoustic"
    version = "1"
    modality = "audio"

    def __init__(
        self,
        *,
        sr_work: int = 22050,
        n_fft: int = 1024,
        hop_length: int = 512,
        n_mels: int = 32,
        fmin: float = 30.0,
        fmax: float | None = None,
    ) -> None:
        sr_work = check_sr(sr_work, "sr_work")
        for pname, value, low in (("n_fft", n_fft, 16), ("hop_length", hop_length, 1),
                                  ("n_mels", n_mels, 4)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{pname} must be an integer >= {low}; received {value!r}.")
        fmax_value = float(sr_work / 2 if fmax is None else fmax)
        if not 0 <= float(fmin) < fmax_value <= sr_work / 2:
            raise ValueError(
                f"fmin and fmax must satisfy 0 <= fmin < fmax <= sr_work/2 = {sr_work / 2}; "
                f"received fmin={fmin!r}, fmax={fmax!r}."
            )
        super().__init__(
            sr_work=sr_work, n_fft=int(n_fft), hop_length=int(hop_length), n_mels=int(n_mels),
            fmin=float(fmin), fmax=None if fmax is None else float(fmax),
        )  # fmt: skip
        self._sr = sr_work
        self._n_fft, self._hop, self._n_mels = int(n_fft), int(hop_length), int(n_mels)
        self._window = signal.get_window("hann", self._n_fft)
        self._freqs = np.fft.rfftfreq(self._n_fft, 1.0 / sr_work)
        self._mel = mel_filterbank(sr_work, self._n_fft, self._n_mels, float(fmin), fmax_value)
        sel = (self._freqs >= 110.0) & (self._freqs <= 3520.0)
        pcs = (np.round(12 * np.log2(self._freqs[sel] / 440.0)).astype(int) + 9) % 12
        self._chroma_bins = np.nonzero(sel)[0]
        self._chroma_map = np.eye(12)[pcs]  # (n_chroma_bins, 12)
        groups = np.array_split(np.arange(self._n_mels), _N_MOD_GROUPS)
        self._groups = np.zeros((self._n_mels, _N_MOD_GROUPS))
        for j, g in enumerate(groups):
            self._groups[g, j] = 1.0

    @property
    def feature_names(self) -> list[str]:
        """Names of the embedding dimensions, in order (length :attr:`n_features`)."""
        names = [f"logmel_mean_{i:02d}" for i in range(self._n_mels)]
        names += [f"logmel_std_{i:02d}" for i in range(self._n_mels)]
        for stat in ("centroid", "bandwidth", "flatness", "rolloff"):
            names += [f"{stat}_mean", f"{stat}_std"]
        names += ["tempo_bpm", "pulse_clarity", "onset_mean", "onset_std"]
        edges = _TEMPOGRAM_EDGES
        names += [f"tempogram_{lo:g}-{hi:g}bpm" for lo, hi in pairwise(edges)]
        for g in range(_N_MOD_GROUPS):
            names += [f"am_group{g}_{lo:g}-{hi:g}Hz" for lo, hi in _MOD_BANDS]
        names += [f"chroma_{pc}" for pc in _PITCH_CLASSES]
        names += ["chroma_entropy"] + [f"chroma_dft_{k}" for k in range(1, 7)]
        names += ["zcr_mean", "zcr_std", "rms_db_mean", "rms_db_std", "rms_db_range", "low_energy"]
        return names

    @property
    def n_features(self) -> int:
        """Number of embedding dimensions."""
        return 2 * self._n_mels + 8 + 4 + len(_TEMPOGRAM_EDGES) - 1 + 5 * _N_MOD_GROUPS + 19 + 6

    def embed_audio(self, waveforms, sr: int) -> np.ndarray:
        """Compute the acoustic descriptors of each clip.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips; clips shorter than one frame are zero-padded.
        sr : int
            Sampling rate of ``waveforms`` in Hz.

        Returns
        -------
        ndarray of shape (n_clips, n_features), float32
            See the class docstring and :attr:`feature_names`.

        Raises
        ------
        ValueError
            If ``sr`` is not a positive integer, or a clip is empty, not 1-D or not finite.
        """
        sr = check_sr(sr)
        clips = check_waveforms(waveforms)
        out = np.empty((len(clips), self.n_features), dtype=np.float32)
        for i, clip in enumerate(progress(clips, desc="acoustic features", total=len(clips))):
            out[i] = self._embed_one(self._resample(clip, sr))
        return out

    def _resample(self, x: np.ndarray, sr: int) -> np.ndarray:
        return resample(x, sr, self._sr)

    def _embed_one(self, x: np.ndarray) -> np.ndarray:
        n_fft, hop = self._n_fft, self._hop
        if x.size < n_fft + hop:
            x = np.pad(x, (0, n_fft + hop - x.size))
        frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
        spec = scipy.fft.rfft(frames * self._window, axis=1)
        power = spec.real**2 + spec.imag**2  # (n_frames, n_bins)
        fps = self._sr / hop

        mel = power @ self._mel.T  # (n_frames, n_mels)
        logmel = 10.0 * np.log10(mel + _EPS)
        feats = [logmel.mean(0), logmel.std(0)]

        total = power.sum(1) + _EPS
        f = self._freqs
        centroid = power @ f / total
        bandwidth = np.sqrt(np.maximum(power @ f**2 / total - centroid**2, 0.0))
        flatness = np.exp(np.log(power + _EPS).mean(1)) / (power.mean(1) + _EPS)
        rolloff = f[np.argmax(np.cumsum(power, 1) >= 0.85 * total[:, None], axis=1)]
        active = total > 1e-6 * total.max()
        for v in (centroid, bandwidth, flatness, rolloff):
            feats.append(np.array([v[active].mean(), v[active].std()]))

        amplitude = np.sqrt(mel / (mel.max() + _EPS))
        onset = np.maximum(np.diff(amplitude, axis=0), 0.0).mean(1)
        tempo, clarity, tempogram = self._tempo(onset, fps)
        feats += [np.array([tempo, clarity, onset.mean(), onset.std()]), tempogram]

        env = np.sqrt(mel @ self._groups)  # (n_frames, n_groups) amplitude envelopes
        env = env / (env.mean(0) + _EPS) - 1.0
        env = env * np.hanning(env.shape[0])[:, None]
        mod = np.abs(np.fft.rfft(env, axis=0)) ** 2 / env.shape[0]
        mod_f = np.fft.rfftfreq(env.shape[0], 1.0 / fps)
        bands = [mod[(mod_f >= lo) & (mod_f < hi)].sum(0) for lo, hi in _MOD_BANDS]
        feats.append(np.log10(np.stack(bands, axis=1) + 1e-6).ravel())  # group-major

        chroma = power[:, self._chroma_bins] @ self._chroma_map  # (n_frames, 12)
        csum = chroma.sum(1)
        keep = csum > 1e-6 * (csum.max() + _EPS)
        profile = (chroma[keep] / csum[keep, None]).mean(0) if keep.any() else np.full(12, 1 / 12)
        entropy = -np.sum(profile * np.log(profile + _EPS)) / np.log(12)
        dft = np.abs(np.fft.fft(profile))[1:7]
        feats += [profile, np.array([entropy]), dft]

        crossings = np.concatenate([[0], np.cumsum(np.signbit(x[1:]) != np.signbit(x[:-1]))])
        starts = np.arange(frames.shape[0]) * hop
        zcr = (crossings[starts + n_fft - 1] - crossings[starts]) / (n_fft - 1)
        rms_db = 10.0 * np.log10(np.mean(frames**2, axis=1) + _EPS)
        low = np.mean(rms_db < np.median(rms_db) - 10.0)
        p95, p10 = np.percentile(rms_db, [95, 10])
        feats.append(np.array([zcr.mean(), zcr.std(), rms_db.mean(), rms_db.std(), p95 - p10, low]))
        return np.concatenate(feats)

    @staticmethod
    def _tempo(onset: np.ndarray, fps: float) -> tuple[float, float, np.ndarray]:
        """Tempo (BPM), pulse clarity and coarse tempogram from an onset-strength envelope."""
        n_bands = len(_TEMPOGRAM_EDGES) - 1
        env = onset - onset.mean()
        n = env.size
        lag_min = max(1, int(np.floor(60.0 * fps / _TEMPOGRAM_EDGES[-1])))
        lag_max = min(n - 2, int(np.ceil(60.0 * fps / _TEMPOGRAM_EDGES[0])))
        if lag_max <= lag_min + 1 or not np.any(env):
            return _TEMPO_PRIOR_BPM, 0.0, np.zeros(n_bands)
        ac = np.fft.irfft(np.abs(np.fft.rfft(env, 2 * n)) ** 2)[:n]
        ac = ac / (ac[0] + _EPS)
        lags = np.arange(lag_min, lag_max + 1)
        bpm = 60.0 * fps / lags
        band = np.searchsorted(_TEMPOGRAM_EDGES, bpm, side="right") - 1
        tempogram = np.full(n_bands, -1.0)
        np.maximum.at(tempogram, np.clip(band, 0, n_bands - 1), ac[lags])
        score = ac[lags] * np.exp(-0.5 * np.log2(bpm / _TEMPO_PRIOR_BPM) ** 2)
        k = int(np.argmax(score))
        lag = float(lags[k])
        if 0 < k < lags.size - 1:  # parabolic interpolation of the peak
            y0, y1, y2 = ac[lags[k] - 1], ac[lags[k]], ac[lags[k] + 1]
            denom = y0 - 2 * y1 + y2
            if denom < 0:
                lag += float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5))
        return 60.0 * fps / lag, float(np.clip(ac[lags].max(), 0.0, 1.0)), tempogram


class GenreOneHot(FeatureSpace):
    """One-hot genre labels: the category model of Nakai et al.

    Embeds labels, not audio: use :meth:`embed_labels`. Columns follow
    :data:`b2m.datasets.simulation.music.GENRES` (GTZAN's ten genres).
    """

    name = "genre"
    version = "1"
    modality = "label"

    def __init__(self) -> None:
        super().__init__()

    @property
    def genres(self) -> tuple[str, ...]:
        """Genre of each column."""
        from b2m.datasets.simulation.music import GENRES  # lazy: keeps b2m.features import-light

        return GENRES

    @property
    def feature_names(self) -> list[str]:
        """Names of the embedding dimensions (``genre=<name>``)."""
        return [f"genre={g}" for g in self.genres]

    def embed_labels(self, genres) -> np.ndarray:
        """One-hot encode genre labels.

        Parameters
        ----------
        genres : sequence of str
            One label per clip, as in GTZAN (``"hiphop"``, ``"rock"``…). Surrounding
            whitespace and the literal quotes of ds003720's ``events.tsv`` (``'disco'``) are
            stripped and case is ignored.

        Returns
        -------
        ndarray of shape (n_clips, 10), float32

        Raises
        ------
        ValueError
            If a label is not one of the ten genres (the error names it).
        """
        if isinstance(genres, str):
            raise TypeError(
                "genres must be a sequence of str; received a single str (wrap it in a list)."
            )
        labels = list(genres)
        if not labels:
            raise ValueError("genres must contain at least one label; received 0.")
        index = {g: i for i, g in enumerate(self.genres)}
        out = np.zeros((len(labels), len(index)), dtype=np.float32)
        for row, label in enumerate(labels):
            key = (
                str(label).strip().strip("'\"").strip().lower() if isinstance(label, str) else None
            )
            if key not in index:
                raise ValueError(f"genres[{row}] must be one of {list(index)}; received {label!r}.")
            out[row, index[key]] = 1.0
        return out
