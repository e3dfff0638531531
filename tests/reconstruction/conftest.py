"""Fixtures of the reconstruction tests: a small library, the study's decoding, a tiny MusicGen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def toy_library():
    """A 20-clip library in 6-D with ids, genres and an audio loader that counts its calls."""
    from b2m.models import LibraryIndex

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(20, 6))
    ids = [f"clip{i:02d}" for i in range(20)]
    meta = pd.DataFrame({"clip_id": ids, "genre": ["jazz", "rock"] * 10})
    calls: list[str] = []

    def load_audio(clip_id):
        calls.append(clip_id)
        i = ids.index(clip_id)
        return np.full(800, 0.01 * (i + 1), dtype=np.float32), 8000

    return LibraryIndex(emb, meta, backend="numpy"), emb, ids, load_audio, calls


@pytest.fixture(scope="session")
def decoding(study):
    """sub-001's acoustic decoding (ridge fitted on the training clips)."""
    from b2m.analysis import decode_study

    return decode_study(study, "acoustic")


@pytest.fixture(scope="session")
def tiny_musicgen(tmp_path_factory):
    """A randomly initialised MusicGen (T5 text encoder, EnCodec, 1-layer decoder) and an
    in-memory word-level tokenizer, saved with save_pretrained to a temporary directory."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        PreTrainedTokenizerFast,
        T5Config,
    )

    words = (
        "a an the and with in of at mode music bpm track tune piece beat song fast slow "
        "upbeat jazz rock pop blues metal disco reggae country classical hip-hop piano bass "
        "drums guitar strings synth brass organ energetic calm bright dark steady minor major"
    ).split()
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for w in words:
        vocab.setdefault(w, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    text = T5Config(
        vocab_size=len(vocab), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )  # fmt: skip
    # EnCodec at 8 kHz with a hop of 16 samples: 500 frames/s; 10 kbit/s gives 2 codebooks.
    audio = EncodecConfig(
        hidden_size=16, num_filters=4, upsampling_ratios=[4, 4], codebook_size=32,
        num_lstm_layers=1, target_bandwidths=[10.0], sampling_rate=8000, codebook_dim=16,
    )  # fmt: skip
    decoder = MusicgenDecoderConfig(
        vocab_size=32, max_position_embeddings=256, num_hidden_layers=1, ffn_dim=32,
        num_attention_heads=2, hidden_size=16, num_codebooks=2, pad_token_id=32,
        bos_token_id=32,
    )  # fmt: skip
    config = MusicgenConfig(
        text_encoder=text.to_dict(), audio_encoder=audio.to_dict(), decoder=decoder.to_dict()
    )
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(config)
    with torch.no_grad():  # EnCodec's codebooks start at zero: give each code its own vector
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    path = tmp_path_factory.mktemp("tiny_musicgen")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
