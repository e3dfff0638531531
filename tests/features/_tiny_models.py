"""Tiny randomly initialised CLAP and w2v-BERT models, built offline and saved to folders.

They have the real architectures and processors of ``laion/larger_clap_music`` and
``facebook/w2v-bert-2.0`` at toy sizes, so the feature spaces run their real code paths in
a second; their outputs mean nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CAPTIONS = [
    "a calm jazz piece with piano, double bass and brushed drums",
    "loud rock with distorted electric guitar and heavy drums",
    "a classical string quartet playing a slow sad melody",
    "upbeat disco with four on the floor kick, bass and hand claps",
    "reggae groove with offbeat guitar chops and a deep bass line",
]


def _tiny_tokenizer(folder: Path):
    """A byte-level BPE tokenizer (RoBERTa layout) trained on a few captions in memory."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        CAPTIONS * 4,
        vocab_size=300,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    folder.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(folder))
    lines = (folder / "merges.txt").read_text().splitlines()
    merges = [tuple(line.split(" ")) for line in lines if line and not line.startswith("#")]
    return RobertaTokenizerFast(vocab=bpe.get_vocab(), merges=merges, model_max_length=64)


def _quiet():
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def make_tiny_clap(
    folder, *, seed: int = 0, projection_dim: int = 16, fusion: bool = False
) -> Path:
    """Save a tiny random ``ClapModel`` with its processor (extractor + tokenizer) to ``folder``.

    By default non-fusion, like ``laion/larger_clap_music``: the extractor uses ``rand_trunc``
    and ``repeatpad`` at 48 kHz with 10 s inputs. ``fusion=True`` builds a feature-fusion model
    (like ``laion/clap-htsat-fused``) whose extractor uses ``truncation="fusion"``.
    """
    import torch
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapProcessor,
        ClapTextConfig,
    )

    _quiet()
    folder = Path(folder)
    audio = ClapAudioConfig(
        spec_size=256, patch_embeds_hidden_size=16, hidden_size=32, depths=[1, 1],
        num_attention_heads=[1, 1], window_size=8, num_mel_bins=64, enable_fusion=fusion,
        projection_dim=projection_dim,
    )  # fmt: skip
    text = ClapTextConfig(
        vocab_size=300, hidden_size=16, num_hidden_layers=1, num_attention_heads=1,
        intermediate_size=32, max_position_embeddings=66, projection_dim=projection_dim,
    )  # fmt: skip
    config = ClapConfig(
        text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=projection_dim
    )
    torch.manual_seed(seed)
    model = ClapModel(config).eval()
    tokenizer = _tiny_tokenizer(folder)
    processor = ClapProcessor(
        feature_extractor=ClapFeatureExtractor(truncation="fusion" if fusion else "rand_trunc"),
        tokenizer=tokenizer,
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def make_tiny_w2vbert(folder, *, seed: int = 0, num_hidden_layers: int = 2) -> Path:
    """Save a tiny random ``Wav2Vec2BertModel`` (hidden size 16) and its extractor to ``folder``."""
    import torch
    from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel

    _quiet()
    folder = Path(folder)
    config = Wav2Vec2BertConfig(
        hidden_size=16, num_hidden_layers=num_hidden_layers, num_attention_heads=2,
        intermediate_size=32, output_hidden_size=16, conv_depthwise_kernel_size=3,
        feature_projection_input_dim=160,
    )  # fmt: skip
    torch.manual_seed(seed)
    Wav2Vec2BertModel(config).eval().save_pretrained(folder)
    SeamlessM4TFeatureExtractor().save_pretrained(folder)
    return folder


def broadband(sr: int, seconds: float = 15.0, *, seed: int = 0) -> np.ndarray:
    """A band-limited test signal (48 partials, 50-7800 Hz, slow amplitude modulation).

    Defined in continuous time, so the same signal can be sampled at any rate above
    15.6 kHz; the seed sets the partials' amplitudes and phases.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(round(sr * seconds)) / sr
    freqs = np.geomspace(50.0, 7800.0, 48)
    amps = rng.uniform(0.2, 1.0, freqs.size) / np.sqrt(freqs / 50.0)
    phases = rng.uniform(0.0, 2 * np.pi, freqs.size)
    x = np.zeros_like(t)
    for a, f, p in zip(amps, freqs, phases, strict=True):
        x += a * np.sin(2 * np.pi * f * t + p)
    envelope = 1.0 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.5, 3.0) * t)
    return 0.1 * x * envelope / np.abs(x).max()


def seed_global_rngs(seed: int) -> None:
    """Seed the global numpy and torch generators (the transformers extractors use numpy's)."""
    import torch

    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is what is consumed
    torch.manual_seed(seed)


def make_hf_cache(cache, repo_id: str, commit: str, builder, *, branch: str = "main", **kw):
    """Lay a model out as the Hugging Face cache does: ``refs/<branch>`` and a snapshot.

    Returns the snapshot folder ``<cache>/models--org--name/snapshots/<commit>``.
    """
    repo = Path(cache) / ("models--" + repo_id.replace("/", "--"))
    snapshot = builder(repo / "snapshots" / commit, **kw)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / branch).write_text(commit)
    return snapshot
