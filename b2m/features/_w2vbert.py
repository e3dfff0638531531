"""w2v-BERT 2.0: layers of a self-supervised speech model (the open stand-in for w2v-BERT)."""

from __future__ import annotations

import functools
import os

import numpy as np

from b2m.features._hf import WindowedAudioSpace, import_transformers, quiet_transformers

__all__ = ["W2VBertFeatures"]

_POOLINGS = ("mean", "mean+std")
#: Clips shorter than this (s) are zero-padded to it: the filterbank needs a few frames.
_MIN_SECONDS = 0.1


@functools.lru_cache(maxsize=2)
def _load_w2vbert(path: str, fingerprint: str, device: str):
    """Load a Wav2Vec2BertModel and its feature extractor from a local folder (shared)."""
    _, transformers = import_transformers("w2v-bert", "w2v")
    try:
        with quiet_transformers():
            model = transformers.Wav2Vec2BertModel.from_pretrained(path, local_files_only=True)
            extractor = transformers.AutoFeatureExtractor.from_pretrained(
                path, local_files_only=True
            )
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(
            f"Could not load a w2v-BERT model and feature extractor from {path!r} ({exc}). The "
            "folder must hold what Wav2Vec2BertModel.save_pretrained and the feature "
            "extractor's save_pretrained write (config.json, the weights, "
            "preprocessor_config.json); download the complete repository again if files are "
            "missing."
        ) from exc
    return model.float().to(device).eval(), extractor


class W2VBertFeatures(WindowedAudioSpace):
    """Time-pooled hidden layers of w2v-BERT 2.0 (``Wav2Vec2BertModel``), via ``transformers``.

    Brain2Music used Google's w2v-BERT (the audio tokeniser of MusicLM); Meta's open w2v-BERT
    2.0 (``facebook/w2v-bert-2.0``: a 24-layer, 1024-d Conformer trained on 4.5 M hours of
    speech) is the nearest open model. Each clip is resampled to ``sample_rate`` and cut into
    windows of ``window_seconds`` (see :meth:`windows`); each window goes through the
    model's feature extractor (``SeamlessM4TFeatureExtractor``: 80 log-mel bins normalised per
    window, frames stacked in pairs) and the model with ``output_hidden_states``. Each selected
    layer is pooled over the window's frames (``"mean"``, or ``"mean+std"`` which appends the
    standard deviation) and then averaged over the clip's windows. Padding frames of a batch are
    masked (the model masks them in attention and its causal convolutions; pooling skips them),
    so results do not depend on the batch. Clips shorter than a window form one window (clips
    shorter than 0.1 s are zero-padded to 0.1 s).

    Layer ``0`` is the projected filterbank input to the first Conformer block, layer ``i`` the
    output of block ``i`` (24 for w2v-BERT 2.0); negative indices count from the last. The
    weights are never downloaded (see :class:`~b2m.features.ClapFeatures` for where they are
    looked up, here the manifest entry ``w2v_bert``); the commit or a content hash of the
    weights is part of :attr:`params`. Needs the ``w2v`` extra (torch and transformers).

    Parameters
    ----------
    model : str, default "facebook/w2v-bert-2.0"
        Hugging Face repository id (a label only when ``model_dir`` is given).
    revision : str, optional
        Branch, tag or commit in the Hugging Face cache; default: the manifest's, else "main".
    model_dir : str or path-like, optional
        A folder written by ``Wav2Vec2BertModel.save_pretrained`` and the feature extractor's
        ``save_pretrained``.
    layers : "all" or sequence of int, default "all"
        Hidden layers to return, in this order.
    pooling : {"mean", "mean+std"}, default "mean"
        Statistics over time of each layer.
    window_seconds : float, default 5.0
        Window length (Brain2Music: 5 s windows for w2v-BERT).
    hop_seconds : float, optional
        Step between windows; default: the fewest windows that cover the clip (15 s: 0-5,
        5-10, 10-15 s). A hop of 1.5 s gives Brain2Music's 7 windows per 15 s clip.
    sample_rate : int, default 16000
        The model's sampling rate; must equal its feature extractor's.
    batch_size : int, default 4
        Windows per forward pass; memory and speed only.
    device : str, default "cpu"
        Torch device; not part of the cache key.
    progressbar : bool, optional
        Show a progress bar over windows; ``None`` follows ``B2M_PROGRESS``.

    Raises
    ------
    FileNotFoundError
        If the weights are not on this machine (the message says how to get them).
    ValueError
        If a parameter is invalid, e.g. a layer index the model does not have.
    """

    name = "w2v-bert"
    version = "1"
    modality = "audio"
    _extra = "w2v"
    _manifest_name = "w2v_bert"

    def __init__(
        self,
        model: str = "facebook/w2v-bert-2.0",
        *,
        revision: str | None = None,
        model_dir: str | os.PathLike | None = None,
        layers="all",
        pooling: str = "mean",
        window_seconds: float = 5.0,
        hop_seconds: float | None = None,
        sample_rate: int = 16000,
        batch_size: int = 4,
        device: str = "cpu",
        progressbar: bool | None = None,
    ) -> None:
        if pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {list(_POOLINGS)}; received {pooling!r}.")
        common = self._setup(model, revision, model_dir, window_seconds, hop_seconds,
                             batch_size, device, progressbar)  # fmt: skip
        config = self.source.read_json("config.json")
        fe_rate = self.source.feature_extractor_config().get("sampling_rate", 16000)
        if isinstance(sample_rate, bool) or sample_rate != fe_rate:
            raise ValueError(
                f"sample_rate must equal the model's feature-extractor rate, {fe_rate} Hz; "
                f"received {sample_rate!r}."
            )
        self.sample_rate = int(fe_rate)
        self.hidden_size = int(config.get("hidden_size", 1024))
        self.n_layers = int(config.get("num_hidden_layers", 24)) + 1
        self.layers = self._check_layers(layers)
        super().__init__(**common, layers=list(self.layers), pooling=pooling,
                         sample_rate=self.sample_rate)  # fmt: skip

    def _check_layers(self, layers) -> tuple[int, ...]:
        valid = f"'all' or indices in [{-self.n_layers}, {self.n_layers - 1}]"
        if isinstance(layers, str):
            if layers != "all":
                raise ValueError(f"layers must be {valid}; received {layers!r}.")
            return tuple(range(self.n_layers))
        if isinstance(layers, (int, np.integer)) and not isinstance(layers, bool):
            layers = (layers,)
        try:
            items = list(layers)
        except TypeError:
            raise ValueError(f"layers must be {valid}; received {type(layers).__name__}.") from None
        if not items:
            raise ValueError(f"layers must be {valid}; received an empty sequence.")
        out = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
                raise ValueError(f"layers must be {valid}; received {item!r}.")
            if not -self.n_layers <= item < self.n_layers:
                raise ValueError(
                    f"layers must be {valid} (the model has {self.n_layers - 1} blocks plus "
                    f"its input projection); received {item!r}."
                )
            out.append(int(item) % self.n_layers)
        if len(set(out)) != len(out):
            raise ValueError(f"layers must not repeat a layer; received {items!r}.")
        return tuple(out)

    @property
    def n_features(self) -> int:
        """Output dimensions: hidden size x statistics x number of layers."""
        stats = 2 if self.params["pooling"] == "mean+std" else 1
        return self.hidden_size * stats * len(self.layers)

    @property
    def feature_names(self) -> list[str]:
        """Names of the dimensions (``L12_mean_0000``… in :meth:`embed_audio` order)."""
        stats = ("mean", "std") if self.params["pooling"] == "mean+std" else ("mean",)
        return [f"L{layer:02d}_{s}_{i:04d}" for layer in self.layers for s in stats
                for i in range(self.hidden_size)]  # fmt: skip

    def _load(self):
        return _load_w2vbert(str(self.source.path), self.source.fingerprint, self.device)

    def _embed_windows(self, loaded, segments):
        torch, _ = import_transformers(self.name, self._extra)
        model, extractor = loaded
        minimum = round(_MIN_SECONDS * self.sample_rate)
        segments = [np.pad(s, (0, max(0, minimum - s.size))).astype(np.float32) for s in segments]
        feats = extractor(segments, sampling_rate=self.sample_rate, padding=True,
                          return_attention_mask=True, return_tensors="pt")  # fmt: skip
        mask = feats["attention_mask"].to(self.device)
        with torch.inference_mode():
            out = model(
                input_features=feats["input_features"].to(self.device, torch.float32),
                attention_mask=mask,
                output_hidden_states=True,
            )
        weights = mask.double()[:, :, None] / mask.sum(1).double()[:, None, None]
        per_layer = []
        for layer in self.layers:
            h = out.hidden_states[layer].double()
            if h.shape[1] != mask.shape[1]:
                raise RuntimeError(
                    f"w2v-BERT layer {layer} has {h.shape[1]} frames but the attention mask "
                    f"{mask.shape[1]}; models with a downsampling adapter are not supported."
                )
            mean = (h * weights).sum(1)
            stats = [mean]
            if self.params["pooling"] == "mean+std":
                var = (((h - mean[:, None, :]) ** 2) * weights).sum(1)
                stats.append(var.clamp_min(0).sqrt())
            per_layer.append(torch.cat(stats, dim=1).cpu().numpy())
        return [[arr[i] for arr in per_layer] for i in range(len(segments))]

    def embed_audio_layers(self, waveforms, sr: int) -> dict[int, np.ndarray]:
        """Embed clips, one array per selected layer.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (lengths may differ).
        sr : int
            Sampling rate of ``waveforms`` in Hz (resampled to :attr:`sample_rate`).

        Returns
        -------
        dict of int to ndarray of shape (n_clips, hidden_size * n_stats), float32
            Keyed by layer index (non-negative), in the order of ``layers``; ``n_stats`` is 1
            for ``"mean"`` and 2 for ``"mean+std"`` (means, then standard deviations).

        Raises
        ------
        ValueError, TypeError
            If the clips or ``sr`` are invalid.
        ImportError
            If the ``w2v`` extra is not installed.
        """
        per_clip = self._map_windows(waveforms, sr, desc="w2v-BERT windows")
        out = {}
        for j, layer in enumerate(self.layers):
            out[layer] = np.stack(
                [np.mean([win[j] for win in wins], axis=0) for wins in per_clip]
            ).astype(np.float32)
        return out

    def embed_audio(self, waveforms, sr: int) -> np.ndarray:
        """Embed clips: the selected layers' pooled vectors side by side.

        Parameters
        ----------
        waveforms : array of shape (n_clips, n_samples) or sequence of 1-D arrays
            Mono clips (lengths may differ).
        sr : int
            Sampling rate of ``waveforms`` in Hz.

        Returns
        -------
        ndarray of shape (n_clips, n_features), float32
            :meth:`embed_audio_layers` concatenated in the order of ``layers``
            (``n_features = hidden_size * n_stats * len(layers)``).
        """
        return np.concatenate(list(self.embed_audio_layers(waveforms, sr).values()), axis=1)
