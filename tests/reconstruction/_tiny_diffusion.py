"""Tiny randomly initialised AudioLDM (and MusicLDM) pipelines, built offline and saved to folders.

They have the real component classes of ``cvssp/audioldm-s-full-v2`` and ``ucsd-reach/musicldm``
(a ``UNet2DConditionModel`` conditioned through a ``simple_projection`` class embedding, an
``AutoencoderKL`` over log-mel "images", a CLAP text encoder, a RoBERTa tokenizer, a
``SpeechT5HifiGan`` vocoder and a DDIM scheduler) at toy sizes, so the backend runs its real
code path in about a second; their outputs mean nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

# Reuse the in-memory RoBERTa tokenizer of the feature-space tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "features"))
from _tiny_models import _quiet, _tiny_tokenizer

#: Width of the tiny pipelines' conditioning (the CLAP projection; 512 in the real models).
TINY_WIDTH = 8
#: Sampling rate of the tiny vocoder (16 kHz like AudioLDM and MusicLDM).
TINY_SR = 16000


def _components(seed: int, width: int):
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import ClapTextConfig, SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(seed)
    # As in AudioLDM: the CLAP embedding enters through the class embedding
    # ("simple_projection", concatenated to the time embedding); the attention blocks get no
    # encoder states (encoder_hidden_states=None), so they attend to themselves.
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=8, sample_size=32,
        in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=(8, 16), class_embed_type="simple_projection",
        projection_class_embeddings_input_dim=width, class_embeddings_concat=True,
    )  # fmt: skip
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False,
    )  # fmt: skip
    vae = AutoencoderKL(
        block_out_channels=[8, 16], in_channels=1, out_channels=1,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4,
        norm_num_groups=8,
    )  # fmt: skip
    text = ClapTextConfig(
        vocab_size=300, hidden_size=16, num_hidden_layers=1, num_attention_heads=1,
        intermediate_size=32, max_position_embeddings=66, projection_dim=width,
        bos_token_id=0, pad_token_id=1, eos_token_id=2,
    )  # fmt: skip
    # 8 mel bins in, 2 x 2 upsampling: 4 samples per frame; at 16 kHz a frame is 0.25 ms.
    vocoder_config = SpeechT5HifiGanConfig(
        model_in_dim=8, sampling_rate=TINY_SR, upsample_initial_channel=16,
        upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3, 7],
        resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5]], normalize_before=False,
    )  # fmt: skip
    vocoder = SpeechT5HifiGan(vocoder_config)
    with tempfile.TemporaryDirectory() as tmp:  # the BPE files; the tokenizer lives in memory
        tokenizer = _tiny_tokenizer(Path(tmp))
    return unet, scheduler, vae, text, vocoder, tokenizer


def make_tiny_audioldm(folder, *, seed: int = 0, width: int = TINY_WIDTH) -> Path:
    """Save a tiny random ``AudioLDMPipeline`` (``save_pretrained`` layout) to ``folder``."""
    import torch
    from diffusers import AudioLDMPipeline
    from diffusers.utils import logging as diffusers_logging
    from transformers import ClapTextModelWithProjection

    _quiet()
    diffusers_logging.set_verbosity_error()  # the deprecation notice of AudioLDMPipeline
    folder = Path(folder)
    unet, scheduler, vae, text, vocoder, tokenizer = _components(seed, width)
    torch.manual_seed(seed + 1)
    pipe = AudioLDMPipeline(
        vae=vae, text_encoder=ClapTextModelWithProjection(text), tokenizer=tokenizer, unet=unet,
        scheduler=scheduler, vocoder=vocoder,
    )  # fmt: skip
    pipe.save_pretrained(folder)
    return folder


def make_tiny_musicldm(folder, *, seed: int = 0, width: int = TINY_WIDTH) -> Path:
    """Save a tiny random ``MusicLDMPipeline`` (full ``ClapModel`` text encoder) to ``folder``."""
    import torch
    from diffusers import MusicLDMPipeline
    from diffusers.utils import logging as diffusers_logging
    from transformers import ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel

    _quiet()
    diffusers_logging.set_verbosity_error()
    folder = Path(folder)
    unet, scheduler, vae, text, vocoder, tokenizer = _components(seed, width)
    audio = ClapAudioConfig(
        spec_size=256, patch_embeds_hidden_size=16, hidden_size=32, depths=[1, 1],
        num_attention_heads=[1, 1], window_size=8, num_mel_bins=64, projection_dim=width,
    )  # fmt: skip
    config = ClapConfig(
        text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=width
    )
    torch.manual_seed(seed + 1)
    pipe = MusicLDMPipeline(
        vae=vae, text_encoder=ClapModel(config), tokenizer=tokenizer,
        feature_extractor=ClapFeatureExtractor(truncation="rand_trunc"), unet=unet,
        scheduler=scheduler, vocoder=vocoder,
    )  # fmt: skip
    pipe.save_pretrained(folder)
    return folder
