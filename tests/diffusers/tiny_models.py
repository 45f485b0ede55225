"""Tiny random Wan, LTX, SkyReels-V2 and MiniMax-H3 pipelines built from configs in code: no hub
access, CPU, about a second each.

The configs follow diffusers' own fast tests (``tests/pipelines/wan``, ``tests/pipelines/ltx``),
except the text side: those tests download ``hf-internal-testing/tiny-random-t5``, so a one-token-
per-character tokenizer and a 2-layer UMT5 encoder are built here instead. ``d_model`` (32) must
equal Wan's ``text_dim`` and LTX's ``caption_channels``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKLLTXVideo,
    AutoencoderKLWan,
    FlowMatchEulerDiscreteScheduler,
    LTXConditionPipeline,
    LTXVideoTransformer3DModel,
    SkyReelsV2ImageToVideoPipeline,
    SkyReelsV2Transformer3DModel,
    UniPCMultistepScheduler,
    WanImageToVideoPipeline,
    WanPipeline,
    WanTransformer3DModel,
)
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    CLIPVisionModel,
    CLIPVisionModelWithProjection,
    PreTrainedTokenizerFast,
    UMT5Config,
    UMT5EncoderModel,
)

TEXT_DIM = 32


def tokenizer() -> PreTrainedTokenizerFast:
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789":
        vocab[ch] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # one token per character
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=512,
    )


def text_encoder() -> UMT5EncoderModel:
    torch.manual_seed(0)
    cfg = UMT5Config(
        vocab_size=64,
        d_model=TEXT_DIM,
        d_ff=37,
        d_kv=8,
        num_heads=4,
        num_layers=2,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",
        pad_token_id=0,
        eos_token_id=1,
    )
    return UMT5EncoderModel(cfg).eval()


def _wan_vae() -> AutoencoderKLWan:
    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def _wan_transformer(
    in_channels: int, out_channels: int = 16, *, cls: Any = WanTransformer3DModel, **extra: Any
) -> Any:
    """A 2-layer Wan-style transformer (SkyReels-V2's takes the same arguments)."""
    torch.manual_seed(0)
    return cls(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=TEXT_DIM,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        **extra,
    )


def wan_t2v() -> WanPipeline:
    return WanPipeline(
        transformer=_wan_transformer(16),
        vae=_wan_vae(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=text_encoder(),
        tokenizer=tokenizer(),
    )


def wan_i2v(*, flf2v: bool) -> WanImageToVideoPipeline:
    """Wan2.1-style I2V with a CLIP image encoder; ``flf2v`` adds the FLF2V position embedding.

    The CLIP image size must make its token count match ``pos_embed_seq_len`` (2 × (4·4+1)).
    """
    size, extra = _image_input(flf2v)
    image_encoder, image_processor = _clip_image_encoder(size, CLIPVisionModel)
    return WanImageToVideoPipeline(
        transformer=_wan_transformer(36, **extra),
        vae=_wan_vae(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=text_encoder(),
        tokenizer=tokenizer(),
        image_encoder=image_encoder,
        image_processor=image_processor,
    )


def _image_input(flf2v: bool) -> tuple[int, dict[str, Any]]:
    """CLIP image size and transformer extras: ``flf2v`` adds the two-image position embedding,
    whose length the CLIP token count (4·4+1 per image) must match."""
    extra: dict[str, Any] = {"image_dim": 4}
    if flf2v:
        extra["pos_embed_seq_len"] = 2 * (4 * 4 + 1)
    return (4 if flf2v else 32), extra


def wan22_ti2v_5b() -> WanPipeline:
    """Wan2.2-TI2V-5B layout: 48-channel VAE with patchified 16x spatial compression and
    ``expand_timesteps`` (the frame-0 latent is replaced, so ``last_image`` has no effect)."""
    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )
    transformer = _wan_transformer(48, 48)
    return WanPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=text_encoder(),
        tokenizer=tokenizer(),
        expand_timesteps=True,
    )


def ltx() -> LTXConditionPipeline:
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=TEXT_DIM,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    return LTXConditionPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder(),
        tokenizer=tokenizer(),
    )


def _clip_image_encoder(size: int, cls: Any) -> tuple[Any, CLIPImageProcessor]:
    torch.manual_seed(0)
    encoder = cls(
        CLIPVisionConfig(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=size,
            intermediate_size=16,
            patch_size=1,
        )
    )
    return encoder, CLIPImageProcessor(crop_size=size, size=size)


def skyreels_v2_i2v(*, flf2v: bool) -> SkyReelsV2ImageToVideoPipeline:
    """SkyReels-V2 I2V: Wan's VAE and text side, its own transformer; ``flf2v`` adds the
    two-image position embedding that ``last_image`` needs (as Wan2.1-FLF2V)."""
    size, extra = _image_input(flf2v)
    image_encoder, image_processor = _clip_image_encoder(size, CLIPVisionModelWithProjection)
    return SkyReelsV2ImageToVideoPipeline(
        tokenizer=tokenizer(),
        text_encoder=text_encoder(),
        image_encoder=image_encoder,
        image_processor=image_processor,
        transformer=_wan_transformer(36, cls=SkyReelsV2Transformer3DModel, **extra),
        vae=_wan_vae(),
        scheduler=UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0
        ),
    )


BUILDERS = {
    "wan-t2v": wan_t2v,
    "wan-i2v": lambda: wan_i2v(flf2v=False),
    "wan-flf2v": lambda: wan_i2v(flf2v=True),
    "wan-5b": wan22_ti2v_5b,
    "ltx": ltx,
    "skyreels-i2v": lambda: skyreels_v2_i2v(flf2v=False),
    "skyreels-flf2v": lambda: skyreels_v2_i2v(flf2v=True),
}


def save(name: str, directory: Path) -> Path:
    """Build the named tiny pipeline and ``save_pretrained`` it: a real diffusers directory."""
    if name == "minimax-h3":
        from tests.diffusers import tiny_h3

        return tiny_h3.save(directory)
    BUILDERS[name]().save_pretrained(directory)
    return directory
