"""musicnn (Pons & Serra 2019) for inference: its log-mel input (NumPy) and network (PyTorch).

Input: :func:`musicnn_logmel` of 16 kHz audio, cut into patches of 187 frames (3 s).

Network of musicnn's ``MTT_musicnn`` and ``MSD_musicnn`` (identical shapes), for a
batch of log-mel patches ``x`` of shape (batch, 187 frames, 96 mel bands):

- **input**: one batch normalisation (a single scalar affine map);
- **front-end** (musically motivated convolutions on the patch as a 1-channel image, each
  followed by ReLU, batch norm and a max over the whole frequency axis, giving one vector
  per frame): two "timbral" convolutions of 204 filters spanning 7 frames x 38 and
  7 x 67 mel bands (time zero-padded by 3 frames on both sides, no frequency padding), and
  three "temporal" convolutions of 51 filters spanning 128, 64 and 32 frames x 1 band
  (TensorFlow ``"same"`` zero padding in time: ``(k - 1) // 2`` before, the rest after).
  Concatenated: 561 features per frame;
- **mid-end**: three 1-D convolutions over time (64 filters, 7 frames, zero padding 3),
  each with ReLU then batch norm; the 2nd and 3rd add a residual connection. The front-end
  output and the three mid-end outputs are concatenated: 753 features per frame;
- **back-end**: max and mean over time, interleaved as (max_0, mean_0, max_1, mean_1, ...)
  (TensorFlow's flattening of the stacked pair), batch norm, dense 1506 -> 200 with ReLU,
  batch norm (this 200-d vector is musicnn's ``penultimate`` feature), then the affine
  dense 200 -> 50 tag logits. Dropout (before each dense layer) is off at inference.

Batch norms use TensorFlow 1's ``epsilon=1e-3`` and the stored moving statistics.
``torch`` is imported only when a model is built.

The front-end's convolutions have a single input channel, which direct convolution
routines handle poorly on a CPU (here 30-65 % of the matrix-product rate). Each is
computed instead as one matrix product against a banded (Toeplitz) matrix of its filters
(:func:`_correlate_blocked`): same weights, same result to float32 rounding, and the
front-end 1.2-1.5 times as fast (``benchmarks/bench_musicnn.py``).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft
from scipy.signal import get_window

__all__ = ["N_MELS", "PATCH_FRAMES", "build_musicnn", "musicnn_logmel", "slaney_mel_filterbank"]

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187
#: Shortest clip (at 16 kHz) that yields one 187-frame (3-s) patch.
MIN_SAMPLES = (PATCH_FRAMES - 1) * HOP
_BN_EPS = 1e-3
_TIMBRAL = ((7, 38), (7, 67))
_TEMPORAL = (128, 64, 32)


def _hz_to_mel(f):
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    log = 15.0 + np.log(np.maximum(f, 1000.0) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log, f * 3.0 / 200.0)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (m - 15.0)), m * 200.0 / 3.0)


def slaney_mel_filterbank(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular mel filters between 0 Hz and ``sr / 2`` with Slaney's scale and area norm.

    Equals ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)`` (``htk=False``,
    ``norm="slaney"``): filter ``i`` rises from mel point ``i`` to ``i + 1`` and falls to
    ``i + 2`` (``n_mels + 2`` points equally spaced in mel), scaled by
    ``2 / (f[i + 2] - f[i])`` so that every filter has the same area.

    Returns
    -------
    ndarray of shape (n_mels, n_fft // 2 + 1), float64
    """
    freqs = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))
    width = np.diff(edges)
    rising = (freqs - edges[:-2, None]) / width[:-1, None]
    falling = (edges[2:, None] - freqs) / width[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


@functools.cache
def _frontend_constants() -> tuple[np.ndarray, np.ndarray]:
    """The periodic Hann window and the transposed mel filterbank (n_fft // 2 + 1, 96)."""
    mel = slaney_mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)
    return get_window("hann", N_FFT, fftbins=True), mel.T


def musicnn_logmel(y: np.ndarray) -> np.ndarray:
    """musicnn's input: the log-compressed mel spectrogram of a 16 kHz clip.

    As musicnn computed it with librosa in 2019: ``librosa.feature.melspectrogram(y, sr=16000,
    n_fft=512, hop_length=256, n_mels=96)`` (periodic Hann window, frames centred by
    reflecting ``n_fft // 2`` samples at both ends, as librosa < 0.10 did by default; power
    spectrum; Slaney mel filters), then ``log10(10000 x + 1)``. Computed in float64 and
    returned as float32 (musicnn's own extractor cast to float16, which NumPy 2 overflows).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono audio at 16 kHz, more than 256 samples, nominally in [-1, 1].

    Returns
    -------
    ndarray of shape (1 + n_samples // 256, 96), float32
    """
    window, mel_t = _frontend_constants()
    padded = np.pad(np.asarray(y, dtype=np.float64), N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    out = np.empty((frames.shape[0], N_MELS), dtype=np.float32)
    for start in range(0, frames.shape[0], 2048):  # bounded memory for long clips
        spec = scipy.fft.rfft(frames[start : start + 2048] * window, axis=1)
        power = spec.real**2 + spec.imag**2
        out[start : start + 2048] = np.log10(10000.0 * (power @ mel_t) + 1.0)
    return out


#: Outputs per row of the banded matrix in :func:`_correlate_blocked`. Larger blocks mean
#: fewer, longer rows but more multiplications by the band's zeros; 6 was the fastest of
#: 4-32 for each of the five front-end kernels on a 2-core AVX-512 CPU.
_BLOCK = 6


def _banded(w, block: int):
    """Filters (C, taps, k) as a (taps * (block + k - 1), block * C) banded matrix.

    Row ``(tap, i)`` holds input sample ``i`` of a window of ``block + k - 1`` samples;
    column ``(j, c)`` is output ``j`` of filter ``c``: filter ``c``'s tap ``tap`` placed at
    rows ``j … j + k - 1``, zeros elsewhere.
    """
    n_filters, taps, k = w.shape
    out = w.new_zeros(taps, block + k - 1, block, n_filters)
    w = w.permute(1, 2, 0)  # (taps, k, C)
    for j in range(block):
        out[:, j : j + k, j] = w
    return out.reshape(taps * (block + k - 1), block * n_filters)


def _correlate_blocked(x, w, block: int | None = None):
    """Valid cross-correlation along the last axis, as one matrix product.

    ``conv1d(x, w)`` (no bias) with the outputs last: the input is cut into windows of
    ``block + k - 1`` samples, ``block`` apart (zero-padded at the end), and each window
    times :func:`_banded` gives ``block`` outputs of every filter.

    Parameters
    ----------
    x : tensor of shape (N, taps, L)
    w : tensor of shape (C, taps, k), k <= L
    block : int, optional
        Outputs per window (default ``_BLOCK``).

    Returns
    -------
    tensor of shape (N, L - k + 1, C)
    """
    import torch.nn.functional as F

    block = _BLOCK if block is None else block
    n, taps, length = x.shape
    n_filters, _, k = w.shape
    n_out = length - k + 1
    n_blocks = -(-n_out // block)
    x = F.pad(x, (0, n_blocks * block + k - 1 - length))
    windows = x.unfold(2, block + k - 1, block)  # (N, taps, n_blocks, block + k - 1)
    rows = windows.permute(0, 2, 1, 3).reshape(n * n_blocks, taps * (block + k - 1))
    return (rows @ _banded(w, block)).view(n, n_blocks * block, n_filters)[:, :n_out]


def _max_over_frequency(x, w):
    """``conv2d(x[:, None], w[:, None]).amax(dim=3)`` with the channels last.

    The axis of the longer kernel side is correlated in blocks (:func:`_correlate_blocked`);
    the shorter side's taps become input channels.

    Parameters
    ----------
    x : tensor of shape (B, T', F)
    w : tensor of shape (C, kt, kf)

    Returns
    -------
    tensor of shape (B, T' - kt + 1, C)
    """
    batch, n_time, n_freq = x.shape
    n_filters, kt, kf = w.shape
    out_t, out_f = n_time - kt + 1, n_freq - kf + 1
    if kf >= kt:  # timbral: frequency in blocks, the kt frames as channels
        rows = x.unfold(1, kt, 1).transpose(2, 3).reshape(batch * out_t, kt, n_freq)
        return _correlate_blocked(rows, w).amax(dim=1).view(batch, out_t, n_filters)
    # temporal: time in blocks, the kf bands as channels
    rows = x.unfold(2, kf, 1).permute(0, 2, 3, 1).reshape(batch * out_f, kf, n_time)
    y = _correlate_blocked(rows, w.transpose(1, 2))  # (B * out_f, out_t, C)
    return y.view(batch, out_f, out_t, n_filters).amax(dim=1)


@functools.cache
def _classes():
    """Define the torch modules (once, on first use, so that importing b2m needs no torch)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class BatchNorm(nn.Module):
        """Inference-only batch norm over dim 1 with TF1's epsilon (all-float32 state)."""

        def __init__(self, n: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(n))
            self.bias = nn.Parameter(torch.zeros(n))
            self.register_buffer("running_mean", torch.zeros(n))
            self.register_buffer("running_var", torch.ones(n))

        def forward(self, x):
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                self.bias, training=False, eps=_BN_EPS)  # fmt: skip

    class FrontBlock(nn.Module):
        """Conv2d -> ReLU -> batch norm -> max over frequency: (B, T', F) -> (B, C, T).

        ReLU then batch norm is a monotone map per channel (non-decreasing where the batch
        norm's scale ``gamma`` is >= 0, non-increasing elsewhere), so the max over frequency
        is taken first (the min where ``gamma < 0``): the same result, with the ReLU and batch
        norm applied to (B, C, T) instead of the conv output (B, C, T, F). The min of a
        channel is minus the max of the same convolution with negated weights and bias
        (negation is exact in floating point), so the conv runs with those channels negated
        and one max over frequency serves every channel. The convolution itself is
        :func:`_max_over_frequency` (the weights stay those of ``self.conv``).
        """

        def __init__(self, n_filters: int, kernel: tuple[int, int]) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, n_filters, kernel)
            self.bn = BatchNorm(n_filters)

        def forward(self, x):
            sign = torch.where(self.bn.weight >= 0, 1.0, -1.0)  # (C,)
            w = self.conv.weight[:, 0] * sign[:, None, None]  # (C, kt, kf)
            y = _max_over_frequency(x, w) + self.conv.bias * sign  # (B, T, C)
            return self.bn(F.relu(y * sign).transpose(1, 2))

    class MidBlock(nn.Module):
        """Conv1d over time (7 frames, zero padding 3) -> ReLU -> batch norm."""

        def __init__(self, n_in: int, n_out: int) -> None:
            super().__init__()
            self.conv = nn.Conv1d(n_in, n_out, 7, padding=3)
            self.bn = BatchNorm(n_out)

        def forward(self, x):
            return self.bn(F.relu(self.conv(x)))

    class Musicnn(nn.Module):
        """musicnn for patches (batch, frames, 96); returns (penultimate, logits)."""

        def __init__(self, n_tags: int = 50, n_mid: int = 64, n_dense: int = 200) -> None:
            super().__init__()
            self.input_bn = BatchNorm(1)
            self.timbral = nn.ModuleList(FrontBlock(204, k) for k in _TIMBRAL)
            self.temporal = nn.ModuleList(FrontBlock(51, (k, 1)) for k in _TEMPORAL)
            n_front = 204 * len(_TIMBRAL) + 51 * len(_TEMPORAL)
            self.midend = nn.ModuleList(
                MidBlock(n_front if i == 0 else n_mid, n_mid) for i in range(3)
            )
            n_pool = 2 * (n_front + 3 * n_mid)
            self.pool_bn = BatchNorm(n_pool)
            self.dense = nn.Linear(n_pool, n_dense)
            self.dense_bn = BatchNorm(n_dense)
            self.classifier = nn.Linear(n_dense, n_tags)

        def forward(self, x):
            x = self.input_bn(x.unsqueeze(1))[:, 0]  # (B, T, F)
            padded = F.pad(x, (0, 0, 3, 3))
            front = [block(padded) for block in self.timbral]
            for block, k in zip(self.temporal, _TEMPORAL, strict=True):
                front.append(block(F.pad(x, (0, 0, (k - 1) // 2, k - 1 - (k - 1) // 2))))
            h = torch.cat(front, dim=1)  # (B, 561, T)
            feats = [h]
            h = self.midend[0](h)
            feats.append(h)
            for block in self.midend[1:]:
                h = block(h) + h
                feats.append(h)
            h = torch.cat(feats, dim=1)  # (B, 753, T)
            pooled = torch.stack([h.amax(dim=2), h.mean(dim=2)], dim=2).flatten(1)
            penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
            return penultimate, self.classifier(penultimate)

    return Musicnn


def build_musicnn(state: dict[str, np.ndarray], device: str = "cpu"):
    """Build the network in eval mode from a state dict of float32 arrays.

    Parameters
    ----------
    state : dict of str to ndarray
        The weights, named as the module's ``state_dict`` (as written by
        ``tools/convert_musicnn.py``).
    device : str, default "cpu"
        Torch device.

    Returns
    -------
    torch.nn.Module
        Maps a float32 tensor (batch, frames, 96) to ``(penultimate (batch, 200),
        logits (batch, n_tags))``.

    Raises
    ------
    ValueError
        If names or shapes in ``state`` do not match the architecture.
    """
    import torch

    n_tags = int(state["classifier.bias"].shape[0]) if "classifier.bias" in state else 50
    model = _classes()(n_tags=n_tags)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        k for k in set(expected) & set(state) if tuple(expected[k].shape) != state[k].shape
    )
    if missing or unexpected or wrong:
        raise ValueError(
            "The musicnn weights do not match the architecture: "
            f"missing {missing}, unexpected {unexpected}, wrong shape {wrong}."
        )
    model.load_state_dict({k: torch.from_numpy(np.asarray(state[k], np.float32)) for k in expected})
    return model.to(device).eval()
