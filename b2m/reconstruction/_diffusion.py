"""Neural generation conditioned on the decoded CLAP embedding itself: AudioLDM / MusicLDM.

AudioLDM (Liu et al. 2023) and MusicLDM (Chen et al. 2024) are latent diffusion models over
log-mel spectrograms. Their UNet is conditioned on one 512-d vector: the unit-length CLAP
embedding, which enters as a class embedding (``class_embed_type="simple_projection"``,
concatenated to the timestep embedding; the attention blocks receive no encoder states). Both
were trained with CLAP *audio* embeddings of the training clips and are prompted at inference
with CLAP *text* embeddings, which live in the same joint space. diffusers exposes that vector
as ``prompt_embeds``; :class:`CLAPDiffusionReconstructor` passes the decoded CLAP audio
embedding there, bypassing the text encoder. Weights are read from a local folder, the data
home or the Hugging Face cache, never downloaded here.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import time
from pathlib import Path

import numpy as np

from b2m._utils._audio import resample
from b2m._utils._progress import progress
from b2m._utils._validation import check_array, check_choice
from b2m.config import get_data_home
from b2m.features._hf import _REPO_ID, _REVISION, _local_source, _manifest_defaults, hf_hub_cache
from b2m.reconstruction._base import Reconstruction, Reconstructor
from b2m.reconstruction._musicgen import MusicGenReconstructor

__all__ = ["DEFAULT_AUDIOLDM", "DEFAULT_MUSICLDM", "CLAPDiffusionReconstructor"]

#: Hugging Face repository of the default model (AudioLDM small, trained on general audio).
DEFAULT_AUDIOLDM = "cvssp/audioldm-s-full-v2"
#: Hugging Face repository of MusicLDM (the AudioLDM architecture trained on music).
DEFAULT_MUSICLDM = "ucsd-reach/musicldm"
#: data_manifest.yaml entries of the known models (revision and data-home folder).
_MANIFEST_NAMES = {DEFAULT_AUDIOLDM: "audioldm_s_full_v2", DEFAULT_MUSICLDM: "musicldm"}
_PIPELINES = ("AudioLDMPipeline", "MusicLDMPipeline")
_CONDITIONING = "decoded clap audio embedding"
_EXTRA = "generate"


def _import_diffusers():
    try:
        import torch
        from diffusers import DiffusionPipeline
    except ImportError as exc:
        raise ImportError(
            "CLAPDiffusionReconstructor needs torch, transformers and diffusers; install the "
            f"[{_EXTRA}] extra: pip install 'b2m-explorer[{_EXTRA}]' (import failed: {exc})."
        ) from None
    return torch, DiffusionPipeline


@contextlib.contextmanager
def _quiet_libraries():
    """Silence diffusers' and transformers' loading bars and notices (e.g. the deprecation
    notice both deprecated pipelines print) while loading; restore them after."""
    from diffusers.utils import logging as d_logging
    from transformers.utils import logging as t_logging

    saved = [(m, m.get_verbosity(), m.is_progress_bar_enabled()) for m in (d_logging, t_logging)]
    for m, _, _ in saved:
        m.set_verbosity_error()
        m.disable_progress_bar()
    try:
        yield
    finally:
        for m, verbosity, bars in saved:
            m.set_verbosity(verbosity)
            if bars:
                m.enable_progress_bar()


def _number(value, name: str, *, low: float, strict: bool, what: str) -> float:
    """A finite real number above ``low`` (``> low`` when strict, else ``>= low``)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        raise ValueError(f"{name} must be {what}; received {value!r}.")
    return value


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    return int(value)


class CLAPDiffusionReconstructor(Reconstructor):
    """Generate music with AudioLDM or MusicLDM conditioned on the decoded CLAP audio embedding.

    The closest open analogue of Brain2Music's "MusicLM conditioned on the decoded MuLan
    embedding". For each decoded embedding:

    1. **Un-standardise.** The decoder works in a standardised space (each dimension z-scored
       with the training clips' statistics, ``decoding.decoded``); :meth:`fit` takes those
       statistics and :meth:`conditioning` maps a decoded row back to CLAP units,
       ``x * scale + mean``. (Without statistics the rows are taken as CLAP embeddings.)
    2. **Unit-normalise.** The row is divided by its Euclidean norm, because the pipelines
       are trained and prompted with unit-length CLAP embeddings (AudioLDM L2-normalises the
       text projection; MusicLDM's ``ClapModel.get_text_features`` does too).
    3. **Condition.** The unit vector is passed as ``prompt_embeds`` (the text encoder is not
       run on it): the UNet receives it through its class embedding at every denoising step.
       It must have the pipeline's conditioning width
       (``unet.config.projection_class_embeddings_input_dim``, 512 for the real models).
    4. **Guide.** With ``guidance_scale > 1`` classifier-free guidance mixes the conditional
       prediction with an unconditional one; the unconditional (negative) embedding is what
       the pipeline itself uses: the pipeline's CLAP text embedding of ``negative_prompt``
       (default ``""``, the empty text), unit length. ``guidance_scale <= 1`` runs the
       conditional prediction alone (diffusers' convention).
    5. **Decode and treat.** The latent is decoded to a mel spectrogram and a HiFi-GAN
       vocoder (16 kHz); the waveform is resampled to ``sr`` (the stimuli's rate) and given
       the stimulus treatment of ds003720 (linear fades of ``fade_seconds`` and an RMS of
       ``target_rms``, :func:`b2m.datasets.simulation.music.apply_fades_and_rms`).

    **What is conditioned on what, and how it differs from Brain2Music.** MusicLM turns a
    MuLan embedding into discrete MuLan tokens (residual vector quantisation) that condition
    autoregressive transformers predicting w2v-BERT and then SoundStream tokens (24 kHz);
    Brain2Music decoded the same MuLan model MusicLM was trained with. Here a continuous
    vector conditions a latent diffusion UNet directly. The decoded ``clap`` space of b2m is
    LAION's ``laion/larger_clap_music`` (:class:`b2m.features.ClapFeatures`), whereas each
    pipeline was trained with *its own* CLAP (diffusers documents AudioLDM's text encoder as
    the ``laion/clap-htsat-unfused`` variant; MusicLDM's is a CLAP retrained on music; the
    diffusers folder of MusicLDM holds its audio tower, AudioLDM's only the text tower).
    Their widths agree (512) but their coordinates are not the same: unless the decoding was
    made in the pipeline's own CLAP space (``decode_study(study, "clap", model_dir=...)``
    with a folder holding that CLAP and its processor), the decoded vector is read in a space
    it was not made in, and the generated audio reflects it only loosely. AudioLDM was trained
    on general audio (AudioSet, AudioCaps…), MusicLDM on music; use
    ``model="ucsd-reach/musicldm"`` for music.

    diffusers marks both pipelines deprecated (no fixes after its 0.33.1; they still load and
    run in 0.42). Nothing is written to disk: reconstructions are returned in memory.

    Parameters
    ----------
    model : str, default "cvssp/audioldm-s-full-v2"
        Hugging Face repository id of an AudioLDM or MusicLDM pipeline (a label only when
        ``model_dir`` is given). ``"ucsd-reach/musicldm"`` for MusicLDM.
    revision : str, optional
        Branch, tag or commit in the Hugging Face cache; default the revision in
        ``data_manifest.yaml`` (entries ``audioldm_s_full_v2`` and ``musicldm``), else
        ``"main"``. The commit actually loaded is recorded in provenance.
    model_dir : str or path-like, optional
        A folder written by the pipeline's ``save_pretrained`` (``model_index.json`` and one
        sub-folder per component), used instead of the data home and the cache.
    seed : int, default 0
        Seeds the initial noise: reconstruction ``r`` of the target clip ``c`` starts from
        noise drawn from ``(seed, r, sha256(c))``, whatever the batch size and the other
        targets of the call (the same clip gets the same noise in every call).
    num_inference_steps : int, default 100
        Denoising steps (AudioLDM's authors suggest 100-200; fewer are faster and rougher).
    guidance_scale : float, default 2.5
        Classifier-free guidance weight (``>= 0``; values ``<= 1`` disable guidance).
    negative_prompt : str, default ""
        Text whose CLAP embedding is the unconditional branch of guidance.
    duration_s : float, default 10.0
        Seconds generated (AudioLDM and MusicLDM were trained on 10 s clips); more than two
        fades.
    sr : int, default 22050
        Sampling rate of the returned audio (the stimuli's; :func:`make_reconstructor` passes
        the study's).
    fade_seconds : float, default 2.0
        Linear fade-in and fade-out, as the ds003720 stimuli (0 disables them).
    target_rms : float, default 0.1
        RMS of the returned audio, as the stimuli.
    device : str, optional
        ``"cuda"`` or ``"cpu"``; default CUDA when torch sees a GPU. A CUDA request without a
        GPU falls back to the CPU with a warning.
    batch_size : int, default 4
        Clips denoised together (memory and speed only).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (d,) or None
        The decoder's standardisation statistics given to :meth:`fit`.
    conditioning_dim_ : int
        The pipeline's conditioning width (after :meth:`load`).
    """

    name = "diffusion"

    def __init__(
        self,
        model: str = DEFAULT_AUDIOLDM,
        *,
        revision: str | None = None,
        model_dir: str | os.PathLike | None = None,
        seed: int = 0,
        num_inference_steps: int = 100,
        guidance_scale: float = 2.5,
        negative_prompt: str = "",
        duration_s: float = 10.0,
        sr: int = 22050,
        fade_seconds: float = 2.0,
        target_rms: float = 0.1,
        device: str | None = None,
        batch_size: int = 4,
    ):
        if not isinstance(model, str) or not _REPO_ID.match(model):
            raise ValueError(
                f"model must be a Hugging Face repository id such as {DEFAULT_AUDIOLDM!r}; "
                f"received {model!r}."
            )
        if revision is not None and (
            not isinstance(revision, str) or not _REVISION.match(revision) or ".." in revision
        ):
            raise ValueError(
                f"revision must be a branch, tag or commit name, or None; received {revision!r}."
            )
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer; received {seed!r}.")
        steps = _count(num_inference_steps, "num_inference_steps")
        size = _count(batch_size, "batch_size")
        guidance = _number(
            guidance_scale, "guidance_scale", low=0.0, strict=False, what="a finite number >= 0"
        )
        duration = _number(
            duration_s, "duration_s", low=0.0, strict=True, what="a positive number of seconds"
        )
        fade = _number(
            fade_seconds, "fade_seconds", low=0.0, strict=False, what="a number of seconds >= 0"
        )
        if duration <= 2 * fade:
            raise ValueError(
                f"duration_s must be longer than two fades (2 x fade_seconds = {2 * fade} s); "
                f"received duration_s={duration_s!r}."
            )
        rms = _number(target_rms, "target_rms", low=0.0, strict=True, what="a positive number")
        if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
            raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
        if not isinstance(negative_prompt, str):
            raise TypeError(
                f"negative_prompt must be a str; received {type(negative_prompt).__name__}."
            )
        if device is not None:
            check_choice(str(device).split(":")[0], "device", ("cpu", "cuda"))
        if model_dir is not None:
            if not isinstance(model_dir, (str, os.PathLike)):
                raise TypeError(
                    f"model_dir must be a folder path or None; received {type(model_dir).__name__}."
                )
            folder = Path(model_dir).expanduser()
            if not (folder / "model_index.json").is_file():
                state = "has no model_index.json" if folder.is_dir() else "does not exist"
                raise FileNotFoundError(
                    "model_dir must be a folder written by an AudioLDM or MusicLDM pipeline's "
                    "save_pretrained (model_index.json and one folder per component); "
                    f"{str(model_dir)!r} {state}."
                )
        super().__init__(
            model=model,
            revision=revision,
            model_dir=None if model_dir is None else str(model_dir),
            seed=int(seed),
            num_inference_steps=steps,
            guidance_scale=guidance,
            negative_prompt=negative_prompt,
            duration_s=duration,
            sr=int(sr),
            fade_seconds=fade,
            target_rms=rms,
            device=device,
            batch_size=size,
        )
        self._pipe = None

    # ---------------------------------------------------------------------------------------
    # Fitting: the decoder's standardisation statistics
    # ---------------------------------------------------------------------------------------
    @property
    def dim(self) -> int | None:
        if getattr(self, "mean_", None) is not None:
            return len(self.mean_)
        return getattr(self, "conditioning_dim_", None)

    def fit(self, mean=None, scale=None) -> CLAPDiffusionReconstructor:
        """Record how decoded embeddings map back to CLAP units.

        Parameters
        ----------
        mean, scale : array of shape (d,), optional
            The decoder's training statistics (``decoding.decoder.target_scaler_.mean_`` and
            ``.scale_``): a decoded row ``z`` is the CLAP embedding ``z * scale + mean``. Give
            both or neither; neither means the rows given to :meth:`reconstruct` are CLAP
            embeddings already (e.g. ``Decoder.predict`` output).

        Returns
        -------
        self
        """
        if (mean is None) != (scale is None):
            raise ValueError(
                "mean and scale must be given together (the decoder's standardisation "
                f"statistics) or both left out; received mean={'None' if mean is None else '...'}"
                f", scale={'None' if scale is None else '...'}."
            )
        if mean is None:
            self.mean_ = self.scale_ = None
        else:
            mean = check_array(mean, "mean", ndim=1)
            scale = check_array(scale, "scale", shape=(len(mean),))
            if (scale <= 0).any():
                raise ValueError(
                    f"scale must be positive (standard deviations); received "
                    f"{int((scale <= 0).sum())} value(s) <= 0."
                )
            self.mean_, self.scale_ = mean, scale
        self.fitted_ = True
        return self

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise RuntimeError(
                "This CLAPDiffusionReconstructor is not fitted; call fit(mean, scale) with the "
                "decoder's standardisation statistics (decoding.decoder.target_scaler_), or "
                "fit() when the embeddings are in CLAP units already."
            )

    def conditioning(self, decoded_embeddings) -> np.ndarray:
        """The unit-length CLAP vectors the pipeline is conditioned on.

        Parameters
        ----------
        decoded_embeddings : array of shape (n, d)
            Decoded embeddings (standardised, as ``decoding.decoded``, when :meth:`fit` was
            given statistics).

        Returns
        -------
        ndarray of shape (n, d), float32
            ``z * scale + mean``, each row divided by its norm.
        """
        self._check_fitted()
        x, _, _ = self._check_inputs(decoded_embeddings, ["?"] * len(decoded_embeddings), 1)
        return self._unit_clap(x)

    def _unit_clap(self, x: np.ndarray) -> np.ndarray:
        if self.mean_ is not None:
            x = x * self.scale_ + self.mean_
        norms = np.linalg.norm(x, axis=1)
        bad = np.flatnonzero(~np.isfinite(norms) | (norms <= 1e-12))
        if bad.size:
            raise ValueError(
                "decoded_embeddings must give CLAP embeddings of finite, non-zero length after "
                f"un-standardisation; rows {bad[:5].tolist()} do not."
            )
        return (x / norms[:, None]).astype(np.float32)

    # ---------------------------------------------------------------------------------------
    # Loading
    # ---------------------------------------------------------------------------------------
    _device = MusicGenReconstructor._device  # default CUDA, CPU fallback with a warning

    def _missing(self, revision: str, why: str, home_dir: Path | None) -> FileNotFoundError:
        repo = self.params["model"]
        where = f", or put such a folder at {str(home_dir)!r}" if home_dir is not None else ""
        return FileNotFoundError(
            f"The diffusion backend needs the pipeline {repo} (revision {revision!r}) and found "
            f"none: no model_dir was given, and the Hugging Face cache {str(hf_hub_cache())!r} "
            f"does not have it ({why}). b2m never downloads model weights by itself. Download "
            "them once, on a machine with internet access:\n"
            f"    hf download {repo} --revision {revision}\n"
            f"(`huggingface-cli download {repo} --revision {revision}` with huggingface_hub "
            "< 1.0; pin --revision to a commit for reproducible results), or pass "
            f"model_dir=<a folder written by the pipeline's save_pretrained>{where}. The "
            f"backend needs the {_EXTRA!r} extra: pip install 'b2m-explorer[{_EXTRA}]'."
        )

    def _resolve(self):
        """Where the pipeline is: ``model_dir``, the data home, or the Hugging Face cache."""
        p = self.params
        if p["model_dir"] is not None:
            path = Path(p["model_dir"]).expanduser().resolve()
            return _local_source(path, p["model"], "model_dir"), None
        manifest_revision, default_dir = _manifest_defaults(
            _MANIFEST_NAMES.get(p["model"]), p["model"]
        )
        revision = p["revision"] or manifest_revision or "main"
        home_dir = None
        if default_dir:
            home_dir = get_data_home(create=False) / default_dir
            if (home_dir / "model_index.json").is_file():
                return _local_source(home_dir.resolve(), p["model"], "data_home"), None
        from huggingface_hub import snapshot_download

        try:
            path = snapshot_download(
                p["model"], revision=revision, cache_dir=hf_hub_cache(), local_files_only=True
            )
        except (OSError, ValueError) as exc:
            reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
            raise self._missing(revision, reason, home_dir) from None
        if not (Path(path) / "model_index.json").is_file():
            why = f"its snapshot {path!r} has no model_index.json"
            raise self._missing(revision, why, home_dir)
        return _local_source(Path(path), p["model"], "hf_cache"), (revision, home_dir)

    def load(self):
        """Load the pipeline (once) and the unconditional embedding; return the pipeline.

        Raises
        ------
        FileNotFoundError
            If the weights are on none of the places looked at (the message says how to get
            them).
        ValueError
            If the folder holds another kind of pipeline, or the fitted width differs from
            the pipeline's conditioning width.
        """
        if self._pipe is not None:
            return self._pipe
        torch, DiffusionPipeline = _import_diffusers()
        source, cache_info = self._resolve()
        try:
            with _quiet_libraries():
                # float32, the default (diffusers 0.42 deprecates its torch_dtype argument).
                pipe = DiffusionPipeline.from_pretrained(str(source.path), local_files_only=True)
        except (OSError, ValueError) as exc:
            reason = " ".join(str(exc).split()).rstrip(".")
            if cache_info is not None:
                raise self._missing(cache_info[0], reason, cache_info[1]) from None
            raise FileNotFoundError(
                f"The pipeline in {str(source.path)!r} could not be loaded: {reason}. The "
                "folder must hold what an AudioLDM or MusicLDM pipeline's save_pretrained "
                "writes; download the complete repository again if files are missing."
            ) from None
        kind = type(pipe).__name__
        if kind not in _PIPELINES:
            raise ValueError(
                f"model must be an AudioLDM or MusicLDM pipeline ({', '.join(_PIPELINES)}); "
                f"{str(source.path)!r} holds a {kind}."
            )
        config = pipe.unet.config
        width = getattr(config, "projection_class_embeddings_input_dim", None)
        if config.class_embed_type != "simple_projection" or not width:
            raise ValueError(
                f"The {kind} in {str(source.path)!r} has no CLAP class-embedding conditioning "
                f"(unet class_embed_type={config.class_embed_type!r}); cannot condition it on "
                "an embedding."
            )
        fitted = None if getattr(self, "mean_", None) is None else len(self.mean_)
        if fitted is not None and fitted != width:
            raise ValueError(
                f"The decoded embeddings are {fitted}-d (the width of the statistics given to "
                f"fit) but the {kind} {self.params['model']!r} is conditioned on {width}-d CLAP "
                "embeddings (unet.config.projection_class_embeddings_input_dim); decode a "
                f"CLAP space of width {width}."
            )
        device = self._device(torch)
        pipe = pipe.to(device)
        pipe.set_progress_bar_config(disable=True)
        self.negative_ = self._text_embedding(torch, pipe, self.params["negative_prompt"], device)
        self.source_, self.device_, self.pipeline_ = source, device, kind
        self.conditioning_dim_ = int(width)
        self.model_sr_ = int(pipe.vocoder.config.sampling_rate)
        self._pipe = pipe
        return pipe

    @staticmethod
    def _text_embedding(torch, pipe, text: str, device: str):
        """The pipeline's own unit-length CLAP text embedding of ``text``, shape (1, d)."""
        tokens = pipe.tokenizer(
            [text],
            padding="max_length",
            max_length=pipe.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        )
        ids, mask = tokens.input_ids.to(device), tokens.attention_mask.to(device)
        with torch.no_grad():
            if hasattr(pipe.text_encoder, "get_text_features"):  # MusicLDM: a full ClapModel
                out = pipe.text_encoder.get_text_features(ids, attention_mask=mask)
                emb = getattr(out, "pooler_output", out)  # an output object in transformers 5
            else:  # AudioLDM: ClapTextModelWithProjection
                emb = pipe.text_encoder(ids, attention_mask=mask).text_embeds
        return torch.nn.functional.normalize(emb.float(), dim=-1)

    # ---------------------------------------------------------------------------------------
    # Generation
    # ---------------------------------------------------------------------------------------
    def _clip_seed(self, rank: int, target_clip_id: str) -> int:
        digest = hashlib.sha256(target_clip_id.encode()).digest()
        entropy = [self.params["seed"], rank, int.from_bytes(digest[:8], "little")]
        return int(np.random.default_rng(entropy).integers(2**31))

    def _reconstruct(self, x: np.ndarray, ids: list[str], k: int) -> list:
        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets.simulation.music import apply_fades_and_rms

        torch, _ = _import_diffusers()
        pipe = self.load()
        p = self.params
        if x.shape[1] != self.conditioning_dim_:
            raise ValueError(
                f"decoded_embeddings are {x.shape[1]}-d but the {self.pipeline_} "
                f"{p['model']!r} is conditioned on {self.conditioning_dim_}-d CLAP embeddings "
                "(unet.config.projection_class_embeddings_input_dim); decode a CLAP space of "
                f"width {self.conditioning_dim_}."
            )
        unit = self._unit_clap(x)
        clap = x if self.mean_ is None else x * self.scale_ + self.mean_
        norms = np.linalg.norm(clap, axis=1)  # recorded: how far the row was from unit length
        n_out = round(p["duration_s"] * p["sr"])
        items = [(rank, i) for rank in range(k) for i in range(len(ids))]
        out: list[list] = [[None] * k for _ in ids]
        label = "AudioLDM" if self.pipeline_ == "AudioLDMPipeline" else "MusicLDM"
        with progress(total=len(items), desc=f"Generating ({label})", unit="clip") as bar:
            for start in range(0, len(items), p["batch_size"]):
                batch = items[start : start + p["batch_size"]]
                rows = [i for _, i in batch]
                seeds = [self._clip_seed(rank, ids[i]) for rank, i in batch]
                cond = torch.from_numpy(unit[rows]).to(self.device_)
                t0 = time.perf_counter()
                with torch.no_grad():
                    audio = pipe(
                        prompt_embeds=cond,
                        negative_prompt_embeds=self.negative_.expand(len(batch), -1),
                        num_inference_steps=p["num_inference_steps"],
                        guidance_scale=p["guidance_scale"],
                        audio_length_in_s=p["duration_s"],
                        generator=[torch.Generator("cpu").manual_seed(s) for s in seeds],
                        output_type="np",
                    ).audios
                seconds = (time.perf_counter() - t0) / len(batch)
                for j, (rank, i) in enumerate(batch):
                    wave = np.asarray(audio[j], dtype=np.float64).reshape(-1)
                    if not np.isfinite(wave).all() or not np.any(wave):
                        raise RuntimeError(
                            f"The {label} pipeline returned "
                            + ("non-finite" if not np.isfinite(wave).all() else "silent")
                            + f" audio for target {ids[i]!r} (reconstruction {rank}, seed "
                            f"{seeds[j]}); nothing was returned."
                        )
                    wave = resample(wave, self.model_sr_, p["sr"])[:n_out]
                    wave = np.pad(wave, (0, n_out - wave.size))
                    wave = apply_fades_and_rms(
                        wave, p["sr"], fade_seconds=p["fade_seconds"], target_rms=p["target_rms"]
                    )
                    provenance = {
                        "backend": self.name,
                        "params": p,
                        "model": p["model"],
                        "revision": None if p["model_dir"] else self.source_.revision,
                        "weights": self.source_.fingerprint,
                        "origin": self.source_.origin,
                        "pipeline": self.pipeline_,
                        "device": self.device_,
                        "seed": p["seed"],
                        "clip_seed": seeds[j],
                        "steps": p["num_inference_steps"],
                        "guidance_scale": p["guidance_scale"],
                        "negative_prompt": p["negative_prompt"],
                        "conditioning": _CONDITIONING,
                        "conditioning_dim": self.conditioning_dim_,
                        "unstandardised": self.mean_ is not None,
                        "clap_norm": float(norms[i]),
                        "model_sr": self.model_sr_,
                    }
                    out[i][rank] = Reconstruction(
                        target_clip_id=ids[i],
                        backend=self.name,
                        rank=rank,
                        audio=wave,
                        sr=p["sr"],
                        label=f"{label} from the decoded CLAP embedding (seed {seeds[j]})",
                        similarity=None,
                        provenance=provenance,
                    )
                bar.set_postfix_str(
                    f"{seconds:.2f} s/clip"
                )  # refresh: a fast clip must still show its time
                bar.update(len(batch))
        return out
