"""The feature-space interface shared by every embedder, and input checks they reuse."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from b2m._utils._validation import NotAvailableError, check_array

__all__ = ["MODALITIES", "FeatureSpace", "check_sr", "check_texts", "check_waveforms"]

#: What a feature space embeds natively.
MODALITIES = ("audio", "text", "label")


class FeatureSpace:
    """Abstract base class of all feature spaces (embedders).

    A feature space maps clips to vectors: ``embed_audio(waveforms, sr)`` for audio spaces,
    ``embed_text(texts)`` where text is meaningful, each returning an array of shape
    (n_clips, n_dims). Subclasses set the class attributes :attr:`name`, :attr:`version` and
    :attr:`modality`, and pass their constructor arguments to ``super().__init__(**params)``
    so that they enter :attr:`cache_key`. ``FeatureSpace`` itself cannot be instantiated; the
    ``embed_*`` methods a subclass does not override raise ``NotImplementedError``.

    Attributes
    ----------
    name : str
        Stable identifier of the space (``"acoustic"``, ``"genre"``, ``"clap"``…).
    version : str
        Bumped whenever the computation changes, so that cached embeddings are recomputed.
    modality : {"audio", "text", "label"}
        What the space embeds natively.
    params : dict
        The constructor parameters (JSON-serialisable); part of :attr:`cache_key`.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    modality: ClassVar[str] = "audio"

    def __init__(self, **params) -> None:
        if type(self) is FeatureSpace:
            raise TypeError(
                "FeatureSpace is abstract; instantiate a subclass such as AcousticFeatures."
            )
        if not self.name:
            raise TypeError(f"{type(self).__name__} must set the class attribute `name`.")
        if self.modality not in MODALITIES:
            raise TypeError(
                f"{type(self).__name__}.modality must be one of {list(MODALITIES)}; "
                f"received {self.modality!r}."
            )
        try:
            encoded = json.dumps(params, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{type(self).__name__} parameters must be JSON-serialisable (they form the "
                f"cache key); received {params!r}: {exc}"
            ) from None
        self.params: dict = json.loads(encoded)

    @property
    def cache_key(self) -> str:
        """Hash (16 hex digits) of :attr:`name`, :attr:`version` and :attr:`params`."""
        payload = json.dumps(
            {"name": self.name, "version": self.version, "params": self.params}, sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def embed_audio(self, waveforms, sr: int) -> np.ndarray:
        """Embed audio clips.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (they may differ in length when given as a sequence).
        sr : int
            Sampling rate of ``waveforms`` in Hz.

        Returns
        -------
        ndarray of shape (n_clips, n_dims), float32
        """
        raise NotAvailableError(
            f"The {self.name!r} feature space ({type(self).__name__}, modality "
            f"{self.modality!r}) has no audio embedding."
        )

    def embed_text(self, texts) -> np.ndarray:
        """Embed texts (captions).

        Parameters
        ----------
        texts : sequence of str
            One text per clip.

        Returns
        -------
        ndarray of shape (n_texts, n_dims), float32
        """
        raise NotAvailableError(
            f"The {self.name!r} feature space ({type(self).__name__}, modality "
            f"{self.modality!r}) has no text embedding; use a text or audio-text space "
            "(e.g. a sentence model or CLAP) to embed captions."
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.cache_key == other.cache_key

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.cache_key))


def check_sr(sr, name: str = "sr") -> int:
    """Check a sampling rate.

    Parameters
    ----------
    sr : int
        Sampling rate in Hz (an integral float such as ``22050.0`` is accepted).
    name : str, default "sr"
        Parameter name used in error messages.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``sr`` is not a positive integer (booleans and strings are rejected).
    """
    ok = isinstance(sr, (int, np.integer)) and not isinstance(sr, bool)
    if isinstance(sr, (float, np.floating)) and float(sr).is_integer():
        ok = True
    if not ok or sr <= 0:
        raise ValueError(f"{name} must be a positive integer sampling rate in Hz; received {sr!r}.")
    return int(sr)


def check_waveforms(waveforms, name: str = "waveforms", *, dtype=np.float64) -> list[np.ndarray]:
    """Validate clips and return them as a list of 1-D float arrays.

    Parameters
    ----------
    waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
        Mono clips.
    name : str, default "waveforms"
        Parameter name used in error messages.
    dtype : dtype or None, default float64
        Dtype of the returned clips; ``None`` keeps a floating clip's own dtype (no copy;
        others become float64), for a space that converts one clip at a time (60 float32
        clips of 15 s are 80 MB, 160 MB as float64).

    Returns
    -------
    list of ndarray of shape (n_samples_i,)

    Raises
    ------
    ValueError
        If there are no clips, a clip is empty, not 1-D, or contains NaN/inf values.
    """
    if isinstance(waveforms, np.ndarray):
        if waveforms.ndim != 2:
            raise ValueError(
                f"{name} must be a 2-D array of shape (n_clips, n_samples) or a sequence of "
                f"1-D arrays; received an array of shape {waveforms.shape}"
                + (" (wrap a single clip in a list)." if waveforms.ndim == 1 else ".")
            )
        clips = list(waveforms)
    elif isinstance(waveforms, Sequence) and not isinstance(waveforms, (str, bytes)):
        clips = list(waveforms)
    else:
        raise TypeError(
            f"{name} must be a 2-D array or a sequence of 1-D arrays; "
            f"received {type(waveforms).__name__}."
        )
    if not clips:
        raise ValueError(f"{name} must contain at least one clip; received 0.")
    out = []
    for i, clip in enumerate(clips):
        want = dtype
        if want is None and getattr(clip, "dtype", np.dtype(object)).kind != "f":
            want = np.float64
        out.append(check_array(clip, f"{name}[{i}]", ndim=1, min_samples=1, dtype=want))
    return out


def check_texts(texts, name: str = "texts") -> list[str]:
    """Validate a sequence of strings and return it as a list.

    Parameters
    ----------
    texts : sequence of str
        One text per item.
    name : str, default "texts"
        Parameter name used in error messages.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        If ``texts`` is a single string or contains non-strings.
    ValueError
        If ``texts`` is empty.
    """
    if isinstance(texts, str):
        raise TypeError(
            f"{name} must be a sequence of str; received a single str (wrap it in a list)."
        )
    texts = list(texts)
    if not texts:
        raise ValueError(f"{name} must contain at least one text; received 0.")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{i}] must be a str; received {type(t).__name__}.")
    return texts
