"""CLAP: music and text in one embedding space (the open stand-in for MuLan)."""

from __future__ import annotations

import functools
import os

import numpy as np

from b2m._utils._arrays import unit_rows
from b2m._utils._progress import progress
from b2m.features._base import check_texts
from b2m.features._hf import (
    WindowedAudioSpace,
    _positive,
    import_transformers,
    quiet_transformers,
)

__all__ = ["ClapFeatures", "ClapTextFeatures"]

_POOLINGS = ("mean", "max")


@functools.lru_cache(maxsize=2)
def _load_clap(path: str, fingerprint: str, device: str):
    """Load a ClapModel and its processor from a local folder (shared by all instances)."""
    _, transformers = import_transformers("clap", "clap")
    try:
        with quiet_transformers():
            model = transformers.ClapModel.from_pretrained(path, local_files_only=True)
            processor = transformers.ClapProcessor.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(
            f"Could not load a CLAP model and processor from {path!r} ({exc}). The folder must "
            "hold what ClapModel.save_pretrained and ClapProcessor.save_pretrained write "
            "(config.json, the weights, the feature-extractor and tokenizer files); download "
            "the complete repository again if files are missing."
        ) from exc
    return model.float().to(device).eval(), processor


def _pooled(out):
    """The embedding from get_*_features: an output object in transformers 5, a tensor before."""
    return getattr(out, "pooler_output", out)


class ClapFeatures(WindowedAudioSpace):
    """CLAP embeddings of music (and of text, in the same space), via ``transformers``.

    LAION's CLAP checkpoint trained on music (``laion/larger_clap_music``) maps 48 kHz audio
    and English text into one 512-d space; it stands in for MuLan, which Brain2Music used
    and which is not public. Each clip is resampled to the model's rate
    (``scipy.signal.resample_poly``) and cut into windows of ``window_seconds`` (see
    :meth:`windows`); each window goes through the model's own feature extractor and
    ``ClapModel.get_audio_features``, its embedding is scaled to unit length, and the windows
    of a clip are pooled (``"mean"`` or element-wise ``"max"``) and scaled to unit length
    again. :meth:`embed_text` embeds captions with the model's tokenizer and
    ``get_text_features`` (unit length), so audio and text rows can be compared directly.

    The weights are never downloaded: they are read from ``model_dir``, else from
    ``<data_home>/models/clap_music`` (the manifest's folder for this model), else from your
    Hugging Face cache at ``revision`` (see the error message for how to fetch them once).
    The revision found (the cache commit) or a content hash of a local folder is part of
    :attr:`params`, so cached embeddings are keyed by the exact weights.

    Results are deterministic: the model runs in eval mode without gradients, and windows
    are never longer than the model's input (10 s), so the feature extractor's random
    cropping (``rand_trunc``) and the random "longer" flag of fusion models never come into
    play (shorter windows are repeat-padded by the extractor, as in CLAP's training). Needs the
    ``clap`` extra (torch and transformers); imports are lazy and the loaded model is shared.

    Parameters
    ----------
    model : str, default "laion/larger_clap_music"
        Hugging Face repository id (a label only when ``model_dir`` is given).
    revision : str, optional
        Branch, tag or commit in the Hugging Face cache; default: the revision in
        ``data_manifest.yaml`` (entry ``clap_music``), else ``"main"``.
    model_dir : str or path-like, optional
        A folder written by ``ClapModel.save_pretrained`` and ``ClapProcessor.save_pretrained``.
    window_seconds : float, default 10.0
        Window length, at most the model's input length (10 s for LAION's checkpoints).
    hop_seconds : float, optional
        Step between windows; default: the fewest windows that cover the clip (a 15 s clip
        gives 0-10 and 5-15 s). Brain2Music stepped MuLan's 10 s windows by 1.5 s (4 per clip).
    pooling : {"mean", "max"}, default "mean"
        How the unit window embeddings of a clip are combined (then scaled to unit length).
    max_text_tokens : int, default 77
        Captions are truncated to this many tokens (CLAP's text encoder was trained with 77).
    batch_size : int, default 8
        Windows (or texts) per forward pass; memory and speed only.
    device : str, default "cpu"
        Torch device; not part of the cache key.
    progressbar : bool, optional
        Show a progress bar over windows; ``None`` follows ``B2M_PROGRESS``.

    Raises
    ------
    FileNotFoundError
        If the weights are not on this machine (the message says how to get them).
    ValueError
        If a parameter is invalid (e.g. ``window_seconds`` longer than the model's input).
    """

    name = "clap"
    version = "1"
    modality = "audio"
    _extra = "clap"
    _manifest_name = "clap_music"

    def __init__(
        self,
        model: str = "laion/larger_clap_music",
        *,
        revision: str | None = None,
        model_dir: str | os.PathLike | None = None,
        window_seconds: float = 10.0,
        hop_seconds: float | None = None,
        pooling: str = "mean",
        max_text_tokens: int = 77,
        batch_size: int = 8,
        device: str = "cpu",
        progressbar: bool | None = None,
    ) -> None:
        if pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {list(_POOLINGS)}; received {pooling!r}.")
        max_text_tokens = _positive(max_text_tokens, "max_text_tokens", kind=int)
        common = self._setup(model, revision, model_dir, window_seconds, hop_seconds,
                             batch_size, device, progressbar)  # fmt: skip
        config = self.source.read_json("config.json")
        fe = self.source.feature_extractor_config()
        self.sample_rate = int(fe.get("sampling_rate", 48000))
        self.max_seconds = float(fe.get("max_length_s", 10))
        self.n_features = int(config.get("projection_dim", 512))
        if self.window_seconds > self.max_seconds:
            raise ValueError(
                f"window_seconds must be at most the model's input length, "
                f"{self.max_seconds:g} s (longer windows would be cropped at random); "
                f"received {self.window_seconds!r}."
            )
        super().__init__(**common, pooling=pooling, max_text_tokens=max_text_tokens)

    @property
    def feature_names(self) -> list[str]:
        """Names of the embedding dimensions (``clap_000``…)."""
        return [f"clap_{i:03d}" for i in range(self.n_features)]

    def _load(self):
        return _load_clap(str(self.source.path), self.source.fingerprint, self.device)

    def _embed_windows(self, loaded, segments):
        torch, _ = import_transformers(self.name, self._extra)
        model, processor = loaded
        fusion = bool(getattr(model.config.audio_config, "enable_fusion", False))
        feats = processor.feature_extractor(
            [np.asarray(s, dtype=np.float64) for s in segments],
            sampling_rate=self.sample_rate,
            truncation="fusion" if fusion else "rand_trunc",
            return_tensors="pt",
        )
        # No window exceeds the model's input, so none is "longer"; the extractor marks one at
        # random in fusion mode, which would make results depend on chance and on the batch.
        is_longer = torch.zeros((len(segments), 1), dtype=torch.bool)
        with torch.inference_mode():
            out = model.get_audio_features(
                input_features=feats["input_features"].to(self.device, torch.float32),
                is_longer=is_longer.to(self.device),
            )
        return list(unit_rows(_pooled(out).double().cpu().numpy()))

    def embed_audio_windows(self, waveforms, sr: int) -> list[np.ndarray]:
        """Unit-length CLAP embeddings of every window of every clip.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (lengths may differ).
        sr : int
            Sampling rate of ``waveforms`` in Hz.

        Returns
        -------
        list of ndarray of shape (n_windows_i, n_features), float32
            One array per clip, windows in time order (see :meth:`windows`).
        """
        per_clip = self._map_windows(waveforms, sr, desc="CLAP audio windows")
        return [np.stack(w).astype(np.float32) for w in per_clip]

    def embed_audio(self, waveforms, sr: int) -> np.ndarray:
        """Embed clips: window embeddings pooled over each clip.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (lengths may differ).
        sr : int
            Sampling rate of ``waveforms`` in Hz (resampled to 48 kHz).

        Returns
        -------
        ndarray of shape (n_clips, n_features), float32
            Unit-length rows (512-d for LAION's checkpoints).

        Raises
        ------
        ValueError, TypeError
            If the clips or ``sr`` are invalid (see :func:`~b2m.features._base.check_waveforms`).
        ImportError
            If the ``clap`` extra is not installed.
        """
        per_clip = self._map_windows(waveforms, sr, desc="CLAP audio windows")
        reduce = np.mean if self.params["pooling"] == "mean" else np.max
        pooled = np.stack([reduce(np.stack(w), axis=0) for w in per_clip])
        return unit_rows(pooled).astype(np.float32)

    def embed_text(self, texts) -> np.ndarray:
        """Embed texts (captions) into the same space as the audio.

        Parameters
        ----------
        texts : sequence of str
            One text per item.

        Returns
        -------
        ndarray of shape (n_texts, n_features), float32
            Unit-length rows.

        Raises
        ------
        TypeError, ValueError
            If ``texts`` is a single str, empty or holds non-strings.
        """
        texts = check_texts(texts)
        torch, _ = import_transformers(self.name, self._extra)
        model, processor = self._load()
        limit = self.params["max_text_tokens"]
        positions = getattr(model.config.text_config, "max_position_embeddings", limit + 2) - 2
        tokenizer = processor.tokenizer
        out = np.empty((len(texts), self.n_features), dtype=np.float64)
        disable = None if self.progressbar is None else not self.progressbar
        for start in progress(range(0, len(texts), self.batch_size), desc="CLAP texts",
                              disable=disable):  # fmt: skip
            batch = texts[start : start + self.batch_size]
            tokens = tokenizer(batch, padding=True, truncation=True,
                               max_length=min(limit, positions), return_tensors="pt")  # fmt: skip
            with torch.inference_mode():
                emb = _pooled(
                    model.get_text_features(
                        input_ids=tokens["input_ids"].to(self.device),
                        attention_mask=tokens["attention_mask"].to(self.device),
                    )
                )
            out[start : start + len(batch)] = emb.double().cpu().numpy()
        return unit_rows(out).astype(np.float32)


class ClapTextFeatures(ClapFeatures):
    """CLAP embeddings of the captions: :class:`ClapFeatures` whose native input is text.

    The same model and parameters as :class:`ClapFeatures`; registered as ``"clap-text"`` so
    that study-level helpers (which embed a space's native modality) embed each clip's caption
    rather than its audio, as Brain2Music's MuLan-text. See :class:`ClapFeatures` for the
    parameters.
    """

    name = "clap-text"
    modality = "text"
