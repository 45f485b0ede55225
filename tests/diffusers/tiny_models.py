"""Tiny random Wan, LTX, LTX-2, SkyReels-V2, HunyuanVideo 1.5, Helios and MiniMax-H3 pipelines built from configs in code: no hub
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
    AutoencoderKLHunyuanVideo15,
    AutoencoderKLLTX2Audio,
    AutoencoderKLLTX2Video,
    AutoencoderKLLTXVideo,
    AutoencoderKLWan,
    FlowMatchEulerDiscreteScheduler,
    HeliosPipeline,
    HeliosScheduler,
    HeliosTransformer3DModel,
    HunyuanVideo15ImageToVideoPipeline,
    HunyuanVideo15Pipeline,
    HunyuanVideo15Transformer3DModel,
    LTX2Pipeline,
    LTX2VideoTransformer3DModel,
    LTXConditionPipeline,
    LTXVideoTransformer3DModel,
    SkyReelsV2ImageToVideoPipeline,
    SkyReelsV2Transformer3DModel,
    UniPCMultistepScheduler,
    WanImageToVideoPipeline,
    WanPipeline,
    WanTransformer3DModel,
)
from diffusers.guiders import ClassifierFreeGuidance
from diffusers.pipelines.ltx2 import LTX2TextConnectors
from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import (
    ByT5Tokenizer,
    CLIPImageProcessor,
    CLIPVisionConfig,
    CLIPVisionModel,
    CLIPVisionModelWithProjection,
    Gemma3Config,
    Gemma3ForConditionalGeneration,
    GemmaTokenizerFast,
    PreTrainedTokenizerFast,
    Qwen2_5_VLTextConfig,
    Qwen2_5_VLTextModel,
    SiglipImageProcessor,
    SiglipVisionConfig,
    SiglipVisionModel,
    T5Config,
    T5EncoderModel,
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


def _gemma3() -> tuple[GemmaTokenizerFast, Gemma3ForConditionalGeneration]:
    """LTX-2's text side: a one-token-per-character Gemma tokenizer and a 2-layer Gemma 3 (diffusers'
    test downloads ``hf-internal-testing/tiny-gemma3``). Width 32 = the connectors' 4 × 8 heads."""
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789 ,.":
        vocab[ch] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    gemma_tokenizer = GemmaTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="<eos>",
        bos_token="<bos>",
        unk_token="<unk>",
        model_max_length=64,
    )
    config = Gemma3Config(
        text_config={
            "vocab_size": 64,
            "hidden_size": 32,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 8,
            "sliding_window": 16,
        },
        vision_config={
            "hidden_size": 8,
            "intermediate_size": 8,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 8,
            "patch_size": 4,
        },
        mm_tokens_per_image=1,
    )
    torch.manual_seed(0)
    return gemma_tokenizer, Gemma3ForConditionalGeneration(config).eval()


def ltx2() -> LTX2Pipeline:
    """LTX-2 after diffusers' ``tests/pipelines/ltx2/testing_utils.py`` (video VAE with one
    spatio-temporal stage: 2k+1 frames, sides % 2; mel audio VAE and a vocoder at 16 kHz)."""
    gemma_tokenizer, gemma = _gemma3()
    width, layers = 32, 2
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=1,
        qk_norm="rms_norm_across_heads",
        caption_channels=width,
        rope_double_precision=False,
        rope_type="split",
    )
    connector = {"num_attention_heads": 4, "attention_head_dim": 8, "num_layers": 1}
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=width,
        text_proj_in_factor=layers + 1,
        **{f"video_connector_{k}": v for k, v in connector.items()},
        video_connector_num_learnable_registers=None,
        **{f"audio_connector_{k}": v for k, v in connector.items()},
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        latent_channels=4,
        block_out_channels=(8,),
        decoder_block_out_channels=(8,),
        layers_per_block=(1,),
        decoder_layers_per_block=(1, 1),
        spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False),
        downsample_type=("spatial",),
        upsample_residual=(False,),
        upsample_factor=(1,),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=2 * 8,
        hidden_channels=32,
        out_channels=2,
        upsample_kernel_sizes=[4, 4],
        upsample_factors=[2, 2],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=16000,
    )
    return LTX2Pipeline(
        transformer=transformer,
        vae=vae,
        audio_vae=audio_vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=gemma,
        tokenizer=gemma_tokenizer,
        connectors=connectors,
        vocoder=vocoder,
    )


def hunyuan15(task: str) -> Any:
    """HunyuanVideo 1.5 after diffusers' ``tests/pipelines/hunyuan_video1_5`` (whose Qwen
    tokenizer and T5 config are downloads): a byte-level Qwen2 tokenizer with a plain chat
    template, a 2-layer Qwen2.5-VL text model, a 1-layer T5 for the ByT5 glyph branch; ``i2v``
    adds a SigLIP image encoder. VAE 4× spatial, 2× temporal: 2k+1 frames, sides % 4."""
    from tests.diffusers.tiny_h3 import tokenizer as qwen_tokenizer

    tok = qwen_tokenizer()
    tok.chat_template = (
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] if m['content'] is string "
        "else m['content'][0]['text'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: "
        "{% endif %}"
    )
    torch.manual_seed(0)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9,
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=1,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=16,
        text_embed_2_dim=32,
        image_embed_dim=12,
        rope_axes_dim=(2, 2, 4),
        target_size=16,
        task_type=task,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLHunyuanVideo15(
        latent_channels=4,
        block_out_channels=(16, 16),
        layers_per_block=1,
        spatial_compression_ratio=4,
        temporal_compression_ratio=2,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    qwen = Qwen2_5_VLTextConfig(
        vocab_size=len(tok),
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        rope_theta=1e6,
    )
    torch.manual_seed(0)
    components: dict[str, Any] = {
        "transformer": transformer.eval(),
        "vae": vae.eval(),
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=7.0),
        "text_encoder": Qwen2_5_VLTextModel(qwen).eval(),
        "text_encoder_2": T5EncoderModel(
            T5Config(vocab_size=384, d_model=32, d_ff=37, d_kv=8, num_heads=4, num_layers=1)
        ).eval(),
        "tokenizer": tok,
        "tokenizer_2": ByT5Tokenizer(),
        "guider": ClassifierFreeGuidance(guidance_scale=6.0),
    }
    if task == "t2v":
        return HunyuanVideo15Pipeline(**components)
    torch.manual_seed(0)
    siglip = SiglipVisionConfig(
        hidden_size=12,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=8,
        patch_size=4,
    )
    return HunyuanVideo15ImageToVideoPipeline(
        **components,
        image_encoder=SiglipVisionModel(siglip).eval(),
        feature_extractor=SiglipImageProcessor(size={"height": 8, "width": 8}),
    )


def helios() -> HeliosPipeline:
    """Helios after diffusers' ``tests/pipelines/helios`` (Wan VAE, one-stage HeliosScheduler),
    with the UMT5 text side above instead of the downloaded tiny T5: 33-frame chunks."""
    torch.manual_seed(0)
    transformer = HeliosTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=TEXT_DIM,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_dim=(4, 4, 4),
        has_multi_term_memory_patch=True,
        guidance_cross_attn=True,
        zero_history_timestep=True,
        is_amplify_history=False,
    )
    return HeliosPipeline(
        transformer=transformer,
        vae=_wan_vae(),
        scheduler=HeliosScheduler(stage_range=[0, 1], stages=1, use_dynamic_shifting=True),
        text_encoder=text_encoder(),
        tokenizer=tokenizer(),
    )


BUILDERS = {
    "wan-t2v": wan_t2v,
    "wan-i2v": lambda: wan_i2v(flf2v=False),
    "wan-flf2v": lambda: wan_i2v(flf2v=True),
    "wan-5b": wan22_ti2v_5b,
    "ltx": ltx,
    "skyreels-i2v": lambda: skyreels_v2_i2v(flf2v=False),
    "skyreels-flf2v": lambda: skyreels_v2_i2v(flf2v=True),
    "ltx2": ltx2,
    "hunyuan15-t2v": lambda: hunyuan15("t2v"),
    "hunyuan15-i2v": lambda: hunyuan15("i2v"),
    "helios": helios,
}


def save(name: str, directory: Path) -> Path:
    """Build the named tiny pipeline and ``save_pretrained`` it: a real diffusers directory."""
    if name == "minimax-h3":
        from tests.diffusers import tiny_h3

        return tiny_h3.save(directory)
    BUILDERS[name]().save_pretrained(directory)
    return directory
