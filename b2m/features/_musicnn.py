"""musicnn music-tagging networks (Pons & Serra 2019) as feature spaces, with shipped weights.

musicnn (Music Technology Group, Universitat Pompeu Fabra; ISC licence) is a convolutional
music tagger trained on MagnaTagATune (``MTT``, 50 tags) or the Million Song Dataset
(``MSD``, 50 tags). Its weights, converted from the TensorFlow checkpoints of the PyPI wheel
``musicnn==0.1.0`` by ``tools/convert_musicnn.py``, ship with this package
(``b2m/features/data/musicnn``); the network is re-implemented in PyTorch
(:mod:`b2m.features._musicnn_model`) and the log-mel front-end in NumPy/SciPy.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
from pathlib import Path
from typing import ClassVar

import numpy as np
from scipy.special import expit

from b2m._utils._audio import resample
from b2m._utils._parallel import numpy_blas_beside_torch
from b2m._utils._progress import progress
from b2m._utils._validation import check_array
from b2m.features._base import FeatureSpace, check_sr, check_waveforms
from b2m.features._hf import _positive
from b2m.features._musicnn_model import (
    HOP,
    MIN_SAMPLES,
    PATCH_FRAMES,
    SAMPLE_RATE,
    musicnn_logmel,
    slaney_mel_filterbank,
)

__all__ = [
    "MusicnnFeatures",
    "MusicnnMSDFeatures",
    "MusicnnMSDTagFeatures",
    "MusicnnTagFeatures",
    "musicnn_logmel",
    "musicnn_tags",
    "slaney_mel_filterbank",
]

_DATA_DIR = Path(__file__).resolve().parent / "data" / "musicnn"
_FILES = {"MTT": "MTT_musicnn.npz", "MSD": "MSD_musicnn.npz"}
_FIX = (
    "Reinstall b2m-explorer (`pip install --force-reinstall b2m-explorer`, or `git checkout "
    "b2m/features/data/musicnn` in a clone), or re-create the files with "
    "tools/convert_musicnn.py (its docstring says how)."
)


def _read_sums(data_dir: Path) -> dict[str, str]:
    sums = data_dir / "SHA256SUMS"
    try:
        lines = sums.read_text().splitlines()
    except OSError:
        raise FileNotFoundError(f"The musicnn checksum file {sums} is missing. {_FIX}") from None
    return {
        parts[1].lstrip("*"): parts[0].lower() for parts in map(str.split, lines) if len(parts) == 2
    }


def _verified_weights(model: str) -> tuple[Path, str]:
    """The weight file of ``model`` and its SHA-256, checked against ``SHA256SUMS``."""
    path = _DATA_DIR / _FILES[model]
    expected = _read_sums(_DATA_DIR).get(path.name)
    if expected is None:
        raise FileNotFoundError(
            f"{_DATA_DIR / 'SHA256SUMS'} lists no checksum for {path.name}. {_FIX}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"The musicnn weight file {path} is missing. {_FIX}")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise OSError(
            f"The musicnn weight file {path} is corrupt or was modified: its SHA-256 is "
            f"{actual[:12]}…, SHA256SUMS expects {expected[:12]}…. {_FIX}"
        )
    return path, expected


@functools.lru_cache(maxsize=4)
def _load_weights(path: str, sha: str) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """The state dict (float32 arrays) and tag names of a weight file, re-verified on read."""
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise OSError(
            f"The musicnn weight file {path} changed on disk since it was checked. {_FIX}"
        )
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    tags = tuple(str(t) for t in arrays.pop("tag_names"))
    return {k: v.astype(np.float32, copy=False) for k, v in arrays.items()}, tags


def _import_torch(space: str):
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"The {space!r} feature space needs torch; install it with "
            "`pip install 'b2m-explorer[musicnn]'` (or the torch build that suits your machine)."
        ) from exc
    return torch


@functools.lru_cache(maxsize=4)
def _load_net(path: str, sha: str, device: str):
    from b2m.features._musicnn_model import build_musicnn

    return build_musicnn(_load_weights(path, sha)[0], device=device)


class _MusicnnSpace(FeatureSpace):
    """Shared machinery of the musicnn spaces (see :class:`MusicnnFeatures`)."""

    modality = "audio"
    _model: ClassVar[str] = "MTT"
    _output: ClassVar[str] = "penultimate"
    _base_version: ClassVar[str] = "1"

    def __init__(
        self,
        *,
        hop_seconds: float | None = None,
        batch_size: int = 8,
        device: str | None = None,
        progressbar: bool | None = None,
    ) -> None:
        hop_seconds = _positive(hop_seconds, "hop_seconds", allow_none=True)
        self.batch_size = _positive(batch_size, "batch_size", kind=int)
        self.device = device
        self.progressbar = progressbar
        self._path, sha = _verified_weights(self._model)
        self._sha = sha
        self.version = f"{self._base_version}-{sha[:12]}"
        super().__init__(hop_seconds=hop_seconds)

    @property
    def tag_names(self) -> list[str]:
        """The 50 tags of the model, in the order of its logits."""
        return list(_load_weights(str(self._path), self._sha)[1])

    @property
    def hop_frames(self) -> int:
        """Step between patch starts in frames (187, i.e. no overlap, unless ``hop_seconds``)."""
        hop = self.params["hop_seconds"]
        return PATCH_FRAMES if hop is None else max(1, round(hop * SAMPLE_RATE / HOP))

    @property
    def n_features(self) -> int:
        return 200 if self._output == "penultimate" else 50

    @property
    def feature_names(self) -> list[str]:
        """``musicnn_000``… for the embeddings, the tag names for the tag spaces."""
        if self._output == "logits":
            return self.tag_names
        return [f"{self.name.replace('-', '_')}_{i:03d}" for i in range(self.n_features)]

    def _device(self, torch) -> str:
        if self.device is not None:
            return self.device
        return "cuda" if torch.cuda.is_available() else "cpu"

    def _clips_16k(self, waveforms, sr):
        clips = check_waveforms(waveforms, dtype=None)  # float64, one clip at a time, below
        sr = check_sr(sr)
        for i, clip in enumerate(clips):
            if math.ceil(clip.size * SAMPLE_RATE / sr) < MIN_SAMPLES:
                raise ValueError(
                    f"waveforms[{i}] lasts {clip.size / sr:.3f} s ({clip.size} samples at {sr} Hz); "
                    f"musicnn needs at least one 3-s patch: {MIN_SAMPLES / SAMPLE_RATE:.3f} s "
                    f"({PATCH_FRAMES} frames at {SAMPLE_RATE} Hz)."
                )
        return clips, sr

    def embed_audio_patches(self, waveforms, sr: int) -> list[np.ndarray]:
        """The output of every 3-s patch of every clip (a taggram for the tag spaces).

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (lengths may differ), each at least 2.976 s long.
        sr : int
            Sampling rate of ``waveforms`` in Hz (resampled to 16 kHz).

        Returns
        -------
        list of ndarray of shape (n_patches_i, n_features), float32
            One array per clip, patches in time order.
        """
        clips, sr = self._clips_16k(waveforms, sr)
        torch = _import_torch(self.name)
        net = _load_net(str(self._path), self._sha, self._device(torch))
        device = next(net.parameters()).device
        column = 0 if self._output == "penultimate" else 1
        out: list[list[np.ndarray]] = [[] for _ in clips]
        pending: list[tuple[int, np.ndarray]] = []

        def flush():
            batch = np.concatenate([p for _, p in pending])
            results = []
            with torch.inference_mode():
                for s in range(0, len(batch), self.batch_size):
                    x = torch.from_numpy(batch[s : s + self.batch_size]).to(device)
                    results.append(net(x)[column].cpu().numpy())
            results = np.concatenate(results)
            offset = 0
            for owner, p in pending:
                out[owner].append(results[offset : offset + len(p)])
                offset += len(p)
            pending.clear()

        disable = None if self.progressbar is None else not self.progressbar
        with numpy_blas_beside_torch():  # the log-mel products alternate with the network
            for i, clip in enumerate(progress(clips, desc=f"{self.name} clips", disable=disable)):
                logmel = musicnn_logmel(resample(np.asarray(clip, np.float64), sr, SAMPLE_RATE))
                starts = range(0, logmel.shape[0] - PATCH_FRAMES + 1, self.hop_frames)
                pending.append((i, np.stack([logmel[s : s + PATCH_FRAMES] for s in starts])))
                if sum(len(p) for _, p in pending) >= self.batch_size:
                    flush()
            if pending:
                flush()
        return [np.concatenate(parts) for parts in out]

    def embed_audio(self, waveforms, sr: int) -> np.ndarray:
        """Embed clips: the patch outputs averaged over each clip's 3-s patches.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (lengths may differ), each at least 2.976 s long.
        sr : int
            Sampling rate of ``waveforms`` in Hz (resampled to 16 kHz).

        Returns
        -------
        ndarray of shape (n_clips, n_features), float32

        Raises
        ------
        ValueError
            If there are no clips, ``sr`` is not a positive integer, a clip holds NaN or
            infinite values, or a clip is shorter than one patch (the message names it).
        ImportError
            If torch is not installed (the ``musicnn`` extra).
        """
        per_clip = self.embed_audio_patches(waveforms, sr)
        return np.stack([p.mean(axis=0, dtype=np.float64) for p in per_clip]).astype(np.float32)


class MusicnnFeatures(_MusicnnSpace):
    """musicnn's 200-d penultimate layer (MagnaTagATune model), averaged over 3-s patches.

    Each clip is resampled to 16 kHz (:func:`~b2m._utils._audio.resample`), turned into
    musicnn's log-mel spectrogram (:func:`musicnn_logmel`: 96 bands, 16-ms hop) and cut into
    patches of 187 frames (3 s), non-overlapping by default (``hop_seconds`` sets another
    step); a trailing partial patch is dropped, as musicnn does. Each patch goes through the
    network (:mod:`b2m.features._musicnn_model`, a PyTorch port of ``MTT_musicnn`` that
    matches the original TensorFlow model to ~1e-5), whose 200-d ``penultimate`` vector
    (dense layer + ReLU + batch norm: the input of the final linear tag layer) is averaged
    over the clip's patches. :meth:`tags_from_embedding` maps embeddings to the 50 tag
    logits; since the tag layer is affine, the logits of a clip's mean embedding equal
    the mean of its patch logits (to float rounding) (the :class:`MusicnnTagFeatures` vector).

    The weights (~3 MB, ISC licence, see ``data/musicnn/LICENSE``) ship with the package
    and are checked against ``SHA256SUMS`` when a space is built; :attr:`version` holds
    the first 12 hex digits of their SHA-256, so cached embeddings follow the weights.
    Needs the ``musicnn`` extra (torch) to embed; building a space, reading its
    :attr:`tag_names` or :meth:`tags_from_embedding` need no torch.

    Clips must last at least 2.976 s (one patch at 16 kHz) and be nominally in [-1, 1]:
    the log compression is not scale-invariant, so the level matters as it did in training.
    A silent clip (all zeros) is not an error: its log-mel is 0 everywhere and it embeds
    like any other input (musicnn's response to silence). On a GPU, cuDNN's TF32 convolutions
    (PyTorch's default on recent cards) round more coarsely than float32 (~1e-3 relative);
    set ``torch.backends.cudnn.allow_tf32 = False`` for numbers that match the CPU's.

    Parameters
    ----------
    hop_seconds : float, optional
        Step between patch starts (rounded to 16-ms frames); default: 3 s (no overlap).
    batch_size : int, default 8
        Patches per forward pass (memory and speed only). A CPU pass peaks at ~0.3 GB with 8
        and ~0.45 GB with 16, at the same speed (``benchmarks/bench_memory.py``).
    device : str, optional
        Torch device; default ``"cuda"`` when available, else ``"cpu"``. Not in the cache key.
    progressbar : bool, optional
        Show a progress bar over clips; ``None`` follows ``B2M_PROGRESS``.

    Raises
    ------
    FileNotFoundError
        If the weight file or ``SHA256SUMS`` is missing (the message says how to restore it).
    OSError
        If the weight file does not match its checksum (corrupt or modified).
    """

    name = "musicnn"
    _model = "MTT"

    def tags_from_embedding(self, embeddings) -> np.ndarray:
        """Tag logits of embeddings: the model's final affine layer.

        Parameters
        ----------
        embeddings : array of shape (n, 200)
            Rows of :meth:`embed_audio` (or of single patches, or any combination of them).

        Returns
        -------
        ndarray of shape (n, 50), float32
            Logits, columns in the order of :attr:`tag_names`.
        """
        emb = check_array(embeddings, "embeddings", ndim=2, shape=(None, 200))
        state = _load_weights(str(self._path), self._sha)[0]
        w, b = state["classifier.weight"].astype(np.float64), state["classifier.bias"]
        return (emb @ w.T + b).astype(np.float32)

    def tag_probabilities(self, embeddings) -> np.ndarray:
        """Tag probabilities ``sigmoid(tags_from_embedding(embeddings))``, shape (n, 50).

        For a clip's mean embedding this is the sigmoid of its mean patch logits, which
        differs slightly from musicnn's own tagger (the mean of the per-patch probabilities,
        see :func:`musicnn_tags`).
        """
        return expit(self.tags_from_embedding(embeddings))


class MusicnnMSDFeatures(MusicnnFeatures):
    """:class:`MusicnnFeatures` with the Million Song Dataset model (``MSD_musicnn``).

    Its 50 tags are mostly genres, instruments, moods and decades (no "classical" tag).
    """

    name = "musicnn-msd"
    _model = "MSD"


class MusicnnTagFeatures(_MusicnnSpace):
    """musicnn's 50 MagnaTagATune tag logits, averaged over a clip's 3-s patches.

    The same pipeline, weights and parameters as :class:`MusicnnFeatures`; the vector is the
    mean of the patch logits, which equals ``MusicnnFeatures().tags_from_embedding`` of the
    mean embedding (the tag layer is affine). Columns follow :attr:`tag_names`; apply a
    sigmoid for probabilities.
    """

    name = "musicnn-tags"
    _model = "MTT"
    _output = "logits"
    #: The embedding space these logits are an affine function of: a study's tag vectors are
    #: derived from its cached embeddings (:meth:`derive`) instead of a second forward pass.
    derived_from: ClassVar[str] = "musicnn"

    def derive(self, embeddings) -> np.ndarray:
        """Tag logits from embeddings of :attr:`derived_from` (its last, affine layer).

        Parameters
        ----------
        embeddings : array of shape (n, 200)
            Mean embeddings of the same clips in the parent space, same parameters.

        Returns
        -------
        ndarray of shape (n, 50), float32
            Equal to :meth:`embed_audio` of the clips up to float32 rounding (~2e-5).
        """
        from b2m.features import get_feature_space

        return get_feature_space(self.derived_from, **self.params).tags_from_embedding(embeddings)


class MusicnnMSDTagFeatures(MusicnnTagFeatures):
    """:class:`MusicnnTagFeatures` with the Million Song Dataset model (``MSD_musicnn``)."""

    name = "musicnn-msd-tags"
    _model = "MSD"
    derived_from = "musicnn-msd"


def musicnn_tags(waveforms, sr: int, model: str = "MTT", **params):
    """Tag probabilities of clips as musicnn's own tagger reports them.

    The mean over each clip's 3-s patches of the per-patch tag probabilities (sigmoid of
    the logits), as ``musicnn.tagger.top_tags`` averaged its taggram.

    Parameters
    ----------
    waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
        Mono clips, each at least 2.976 s long.
    sr : int
        Sampling rate in Hz.
    model : {"MTT", "MSD"}, default "MTT"
        MagnaTagATune or Million Song Dataset tagger.
    **params
        Passed to :class:`MusicnnTagFeatures` (``hop_seconds``, ``batch_size``, ``device``,
        ``progressbar``).

    Returns
    -------
    pandas.DataFrame of shape (n_clips, 50)
        One row per clip, one column per tag. ``df.iloc[0].nlargest(5)`` gives a clip's
        top five tags.
    """
    import pandas as pd

    spaces = {"MTT": MusicnnTagFeatures, "MSD": MusicnnMSDTagFeatures}
    if model not in spaces:
        raise ValueError(f"model must be one of {sorted(spaces)}; received {model!r}.")
    space = spaces[model](**params)
    taggrams = space.embed_audio_patches(waveforms, sr)
    probs = [expit(t.astype(np.float64)).mean(axis=0) for t in taggrams]
    return pd.DataFrame(np.stack(probs).astype(np.float32), columns=space.tag_names)
