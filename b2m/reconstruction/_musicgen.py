"""Neural generation: a text prompt built from the decoded embedding, audio from MusicGen.

MusicGen is conditioned on text only, so the decoded embedding is first turned into a prompt:
the captions of the nearest training clips (``prompt="captions"``) or a description of the
attributes an :class:`AttributeReadout` predicts (``prompt="attributes"``). Weights are read
from a local directory or the Hugging Face cache, never downloaded here.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from b2m._utils._progress import progress
from b2m._utils._validation import check_array, check_choice
from b2m.models import unit_rows
from b2m.reconstruction._base import Reconstruction, Reconstructor
from b2m.reconstruction._readout import AttributeReadout

__all__ = ["DEFAULT_MUSICGEN", "MusicGenReconstructor"]

#: Hugging Face repository of the default model.
DEFAULT_MUSICGEN = "facebook/musicgen-small"
_PROMPTS = ("captions", "attributes")


def _import_generate():
    try:
        import torch
        from transformers import AutoTokenizer, MusicgenForConditionalGeneration
    except ImportError as exc:
        raise ImportError(
            "MusicGenReconstructor needs torch and transformers; install the [generate] extra: "
            f"pip install 'b2m-explorer[generate]' (import failed: {exc})."
        ) from None
    return torch, AutoTokenizer, MusicgenForConditionalGeneration


def _mood(valence: float, arousal: float) -> str:
    v = "bright" if valence > 0.25 else "dark" if valence < -0.25 else ""
    a = "energetic" if arousal > 0.25 else "calm" if arousal < -0.25 else "steady"
    return " and ".join(w for w in (v, a) if w)


class MusicGenReconstructor(Reconstructor):
    """Generate music with MusicGen from a prompt that the decoded embedding selects.

    Parameters
    ----------
    model : str, default "facebook/musicgen-small"
        Hugging Face repository id (looked up in the local cache only).
    revision : str, default "main"
        Repository revision. Pass a commit hash to pin it; the commit actually loaded is
        recorded in provenance where transformers reports it.
    model_dir : str or path-like, optional
        A local directory holding the model and its tokenizer (``save_pretrained`` output);
        used instead of the cache.
    prompt : {"captions", "attributes"}, default "captions"
        ``"captions"``: the captions of the ``n_captions`` training clips nearest (cosine) to
        the decoded embedding; ``"attributes"``: genre, tempo, mode, instruments and mood
        predicted by an :class:`AttributeReadout`.
    max_new_tokens : int, default 256
        Audio tokens to generate (MusicGen makes 50 per second: 256 ≈ 5 s).
    guidance_scale : float, default 3.0
        Classifier-free guidance (1 disables it).
    device : str, optional
        ``"cuda"`` or ``"cpu"``; default CUDA when torch sees a GPU. A CUDA request without a
        GPU falls back to the CPU with a warning.
    seed : int, default 0
        Seeds sampling: batch ``b`` of reconstruction ``r`` uses ``(seed, r, b)``.
    n_captions : int, default 1
        Captions joined into one prompt (``prompt="captions"``).
    batch_size : int, default 8
        Prompts generated together.
    """

    name = "musicgen"

    def __init__(
        self,
        model: str = DEFAULT_MUSICGEN,
        *,
        revision: str = "main",
        model_dir: str | os.PathLike | None = None,
        prompt: str = "captions",
        max_new_tokens: int = 256,
        guidance_scale: float = 3.0,
        device: str | None = None,
        seed: int = 0,
        n_captions: int = 1,
        batch_size: int = 8,
    ):
        check_choice(prompt, "prompt", _PROMPTS)
        for pname, value in (
            ("max_new_tokens", max_new_tokens),
            ("n_captions", n_captions),
            ("batch_size", batch_size),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{pname} must be a positive integer; received {value!r}.")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer; received {seed!r}.")
        if not (isinstance(guidance_scale, (int, float)) and guidance_scale >= 1):
            raise ValueError(f"guidance_scale must be a number >= 1; received {guidance_scale!r}.")
        if device is not None:
            check_choice(str(device).split(":")[0], "device", ("cpu", "cuda"))
        if model_dir is not None and not Path(model_dir).is_dir():
            raise FileNotFoundError(
                f"model_dir must be a directory holding a saved MusicGen model and tokenizer; "
                f"{str(model_dir)!r} does not exist."
            )
        super().__init__(
            model=model,
            revision=revision,
            model_dir=None if model_dir is None else str(model_dir),
            prompt=prompt,
            max_new_tokens=int(max_new_tokens),
            guidance_scale=float(guidance_scale),
            device=device,
            seed=int(seed),
            n_captions=int(n_captions),
            batch_size=int(batch_size),
        )
        self._model = None

    @property
    def dim(self) -> int | None:
        return getattr(self, "n_features_in_", None)

    def fit(self, embeddings, *, captions=None, attributes=None, clip_ids=None):
        """Fit the prompt builder on training clips.

        Parameters
        ----------
        embeddings : array of shape (n_train, d)
            Training clips' embeddings, in the space the decoded embeddings will be given in.
        captions : sequence of str of length n_train
            Needed for ``prompt="captions"``.
        attributes : list of dict of length n_train
            Needed for ``prompt="attributes"``.
        clip_ids : sequence of str of length n_train, optional
            Recorded in provenance (which captions were used).

        Returns
        -------
        self
        """
        x = check_array(embeddings, "embeddings", ndim=2, min_samples=2)
        if self.params["prompt"] == "captions":
            if captions is None or isinstance(captions, str) or len(captions) != len(x):
                got = "None" if captions is None else f"{type(captions).__name__}"
                raise ValueError(
                    f"captions must be a sequence of {len(x)} str (one per training clip) for "
                    f"prompt='captions'; received {got}."
                )
            self.captions_ = [str(c) for c in captions]
            self.mean_ = x.mean(0)
            sd = x.std(0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
            self.train_ = unit_rows((x - self.mean_) / self.scale_)
        else:
            if attributes is None:
                raise ValueError(
                    "attributes must be given (one dict per training clip) for "
                    "prompt='attributes'; received None."
                )
            self.readout_ = AttributeReadout().fit(x, attributes)
        self.clip_ids_ = None if clip_ids is None else [str(c) for c in clip_ids]
        self.n_features_in_ = x.shape[1]
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise RuntimeError(
                "This MusicGenReconstructor is not fitted; call fit(train_embeddings, "
                "captions=... or attributes=...) with training clips."
            )

    def prompts(self, decoded_embeddings) -> list[tuple[str, dict]]:
        """The text prompt of each decoded embedding and what it came from.

        Returns
        -------
        list of (str, dict)
            The prompt, and ``source_clip_ids`` with their ``similarity`` (captions) or the
            ``predicted`` attributes.
        """
        self._check_fitted()
        x, _, _ = self._check_inputs(decoded_embeddings, ["?"] * len(decoded_embeddings), 1)
        out = []
        if self.params["prompt"] == "captions":
            sims = unit_rows((x - self.mean_) / self.scale_) @ self.train_.T
            n = self.params["n_captions"]
            for row in sims:
                best = np.argsort(-row, kind="stable")[:n]
                ids = [self.clip_ids_[j] if self.clip_ids_ else int(j) for j in best]
                text = " ".join(self.captions_[j] for j in best)
                out.append((text, {"source_clip_ids": ids, "similarity": row[best].tolist()}))
            return out
        for pred in self.readout_.predict(x):
            genre = next(iter(pred["genre"]))
            c = pred["continuous"]
            instruments = [i.replace("_", " ") for i, p in pred["instruments"].items() if p >= 0.5]
            text = (
                f"{_mood(c['valence'], c['arousal'])} {genre} music at {c['tempo']:.0f} BPM "
                f"in a {next(iter(pred['mode'])).replace('_', ' ')} mode"
                + (f", with {', '.join(instruments)}" if instruments else "")
                + "."
            ).strip()
            out.append((text[:1].upper() + text[1:], {"predicted": pred, "genre": genre}))
        return out

    def _device(self, torch) -> str:
        device = self.params["device"]
        if device is None:
            return "cuda" if torch.cuda.is_available() else "cpu"
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            warnings.warn(
                f"device={device!r} was requested but torch sees no CUDA device; using the CPU.",
                RuntimeWarning,
                stacklevel=3,
            )
            return "cpu"
        return str(device)

    def load(self):
        """Load the tokenizer and model (once); return ``(tokenizer, model)``."""
        if self._model is not None:
            return self._model
        torch, AutoTokenizer, Musicgen = _import_generate()
        p = self.params
        source = p["model_dir"] or p["model"]
        kwargs = {"local_files_only": True}
        if p["model_dir"] is None:
            kwargs["revision"] = p["revision"]
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            model = Musicgen.from_pretrained(source, **kwargs)
        except (OSError, ValueError) as exc:
            where = (
                f"the directory {p['model_dir']!r}"
                if p["model_dir"]
                else f"the Hugging Face cache (revision {p['revision']!r})"
            )
            reason = " ".join(str(exc).split()).rstrip(".")
            raise FileNotFoundError(
                f"MusicGen model {source!r} could not be loaded from {where}: {reason}. Weights "
                "are never downloaded at run time; fetch them once with `huggingface-cli "
                f"download {p['model']} --revision {p['revision']}` (or "
                "huggingface_hub.snapshot_download), or save a model and its tokenizer with "
                "save_pretrained and pass model_dir=."
            ) from None
        self.device_ = self._device(torch)
        model = model.to(self.device_).eval()
        self.commit_ = getattr(model.config, "_commit_hash", None)
        self.sampling_rate_ = int(model.config.audio_encoder.sampling_rate)
        self._model = (tokenizer, model)
        return self._model

    def _reconstruct(self, x: np.ndarray, ids: list[str], k: int) -> list:
        torch, _, _ = _import_generate()
        tokenizer, model = self.load()
        p = self.params
        prompts = self.prompts(x)
        out: list[list] = [[] for _ in ids]
        size = p["batch_size"]
        batches = [
            (rank, b, range(b * size, min(len(ids), (b + 1) * size)))
            for rank in range(k)
            for b in range((len(ids) + size - 1) // size)
        ]
        for rank, b, rows in progress(batches, desc="Generating (MusicGen)"):
            texts = [prompts[i][0] for i in rows]
            inputs = tokenizer(texts, return_tensors="pt", padding=True).to(self.device_)
            devices = [torch.device(self.device_).index or 0] if self.device_ != "cpu" else []
            with torch.random.fork_rng(devices=devices), torch.no_grad():
                torch.manual_seed(int(np.random.default_rng([p["seed"], rank, b]).integers(2**31)))
                audio = model.generate(
                    **inputs,
                    do_sample=True,
                    guidance_scale=p["guidance_scale"],
                    max_new_tokens=p["max_new_tokens"],
                )
            audio = audio.float().mean(dim=1).cpu().numpy()  # (batch, samples), channels averaged
            for j, i in enumerate(rows):
                text, source = prompts[i]
                provenance = {
                    "backend": self.name,
                    "params": p,
                    "model": p["model"],
                    "revision": None if p["model_dir"] else p["revision"],
                    "commit": self.commit_,
                    "device": self.device_,
                    "prompt_text": text,
                    "seed": p["seed"],
                    "batch": b,
                    **source,
                }
                short = text if len(text) <= 60 else text[:57] + "..."
                out[i].append(
                    Reconstruction(
                        target_clip_id=ids[i],
                        backend=self.name,
                        rank=rank,
                        audio=audio[j],
                        sr=self.sampling_rate_,
                        label=f"MusicGen: {short}",
                        similarity=None,
                        provenance=provenance,
                    )
                )
        return out
