"""A tiny random MiniMax-H3 modular pipeline built in code and saved like the released one.

diffusers' own test downloads ``hf-internal-testing/tiny-minimax-h3-modular-pipe``; this builds the
same kind of thing offline: a 1-layer ``MiniMaxH3Transformer3DModel`` (both ``transformer/`` and
``transformer_ref/`` partitions), a 3-level video VAE with H3's 17-frame chunks (so ``17n+5`` frames
hold), a 2-stage mono audio VAE (4 samples per latent, 160 Hz), a Qwen3-VL conditioner with 51
16-wide layers (H3 reads ``hidden_states[50]``), a byte-level BPE tokenizer with the vision tokens,
and the Qwen3-VL processor. 124 frames (5.17 s, H3's shortest) at 32×32 run in about a second.

The processor: Qwen3-VL's video processor needs torchvision, which has no CPU wheel for this
project's torch. Without torchvision the processor is built with no video processor (H3 only
uses it for reference videos) and ``processor_loader`` stands in for ``from_pretrained`` of that
one component, reading the saved tokenizer and image-processor files. With torchvision installed
everything goes through the libraries' own loaders.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKLMiniMaxH3,
    AutoencoderKLMiniMaxH3Audio,
    MiniMaxH3Scheduler,
    MiniMaxH3Transformer3DModel,
)
from diffusers.modular_pipelines import MiniMaxH3Blocks
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    Qwen2TokenizerFast,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    processing_utils,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None
SAMPLE_RATE = 160  # 40 latents/s × 4 samples per latent
_SPECIALS = [
    "<|endoftext|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]


def tokenizer() -> Qwen2TokenizerFast:
    vocab = {token: i for i, token in enumerate(_SPECIALS)}
    for char in pre_tokenizers.ByteLevel.alphabet():
        vocab[char] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(_SPECIALS)
    return Qwen2TokenizerFast(
        tokenizer_object=tok,
        unk_token=None,
        pad_token="<|endoftext|>",
        eos_token="<|endoftext|>",
    )


def text_encoder(vocab_size: int) -> Qwen3VLForConditionalGeneration:
    config = Qwen3VLConfig(
        text_config={
            "vocab_size": vocab_size,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 51,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 8,
            "rope_scaling": {
                "rope_type": "default",
                "mrope_section": [1, 1, 2],
                "mrope_interleaved": True,
            },
        },
        vision_config={
            "depth": 1,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": 16,
            "patch_size": 4,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "num_position_embeddings": 16,
            "deepstack_visual_indexes": [0],
        },
        image_token_id=_SPECIALS.index("<|image_pad|>"),
        video_token_id=_SPECIALS.index("<|video_pad|>"),
        vision_start_token_id=_SPECIALS.index("<|vision_start|>"),
        vision_end_token_id=_SPECIALS.index("<|vision_end|>"),
    )
    torch.manual_seed(0)
    return Qwen3VLForConditionalGeneration(config).eval()


def image_processor() -> Qwen2VLImageProcessorPil:
    return Qwen2VLImageProcessorPil(
        patch_size=4, merge_size=2, temporal_patch_size=2, min_pixels=64, max_pixels=64 * 64
    )


@contextlib.contextmanager
def _no_video_processor_check() -> Iterator[None]:
    """Let ``Qwen3VLProcessor`` be built with ``video_processor=None`` (no torchvision)."""
    original = processing_utils.ProcessorMixin.check_argument_for_proper_class

    def check(self: Any, name: str, argument: Any) -> Any:
        return None if argument is None else original(self, name, argument)

    processing_utils.ProcessorMixin.check_argument_for_proper_class = check  # type: ignore[method-assign]
    try:
        yield
    finally:
        processing_utils.ProcessorMixin.check_argument_for_proper_class = original  # type: ignore[method-assign]


def processor(tok: Qwen2TokenizerFast) -> Any:
    from transformers import Qwen3VLProcessor

    if HAS_TORCHVISION:
        from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

        video = Qwen3VLVideoProcessor(patch_size=4, merge_size=2, temporal_patch_size=2)
        return Qwen3VLProcessor(
            image_processor=image_processor(), tokenizer=tok, video_processor=video
        )
    with _no_video_processor_check():
        return Qwen3VLProcessor(
            image_processor=image_processor(), tokenizer=tok, video_processor=None
        )


def processor_loader(original: Any) -> Any:
    """``Qwen3VLProcessor.from_pretrained`` for a processor saved without a video processor."""

    def load(path: Any, *args: Any, subfolder: str = "", **kwargs: Any) -> Any:
        folder = Path(path) / subfolder
        if (folder / "video_preprocessor_config.json").exists():
            return original(path, *args, subfolder=subfolder, **kwargs)
        tok = Qwen2TokenizerFast.from_pretrained(str(folder))
        return processor(tok)

    return load


def transformer() -> MiniMaxH3Transformer3DModel:
    torch.manual_seed(0)
    return MiniMaxH3Transformer3DModel(
        num_attention_heads=2,
        attention_head_dim=12,  # the rotary embedding covers 6 × rope_freq_dim dimensions
        hidden_size=24,
        num_layers=1,
        num_refiner_layers=1,
        ffn_dim=16,
        in_channels=4,
        audio_in_channels=4,
        text_dim=16,
        freq_dim=16,
        time_embed_hidden_dim=16,
        time_embed_dim=16,
        rope_freq_dim=2,
    )


def vae() -> AutoencoderKLMiniMaxH3:
    torch.manual_seed(0)
    return AutoencoderKLMiniMaxH3(
        latent_channels=4,
        block_out_channels=(8, 8, 8),
        layers_per_block=1,
        spatial_downsample_factors=(2, 2, 1),
        temporal_downsample_factors=(2, 2, 1),
        norm_num_groups=4,
        decoder_num_layers=1,
        decoder_num_attention_heads=2,
        decoder_attention_head_dim=8,
        decoder_num_register_tokens=1,
        decoder_ffn_mult=1,
        latents_mean=(0.0,) * 4,
        latents_std=(1.0,) * 4,
    )


def audio_vae() -> AutoencoderKLMiniMaxH3Audio:
    torch.manual_seed(0)
    return AutoencoderKLMiniMaxH3Audio(
        encoder_dim=4,
        encoder_rates=(2, 2),
        latent_dim=8,
        latent_channels=4,
        num_attention_heads=1,
        decoder_dim=8,
        decoder_rates=(2, 2),
        decoder_kernel_sizes=(4, 4),
        resblock_kernel_sizes=(3,),
        resblock_dilation_sizes=((1,),),
        sampling_rate=SAMPLE_RATE,
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
    )


def save(directory: Path) -> Path:
    """Save the tiny H3 as a modular pipeline directory (``modular_model_index.json``)."""
    tok = tokenizer()
    pipe = MiniMaxH3Blocks().init_pipeline()
    pipe.update_components(
        transformer=transformer(),
        transformer_ref=transformer(),
        vae=vae(),
        audio_vae=audio_vae(),
        scheduler=MiniMaxH3Scheduler(shift=12.0),
        audio_scheduler=MiniMaxH3Scheduler(shift=3.0),
        text_encoder=text_encoder(len(tok)),
        tokenizer=tok,
    )
    pipe.save_pretrained(str(directory), overwrite_modular_index=True)
    proc = processor(tok)
    if HAS_TORCHVISION:
        proc.save_pretrained(str(directory / "processor"))
    else:  # what the processor needs besides the video processor
        tok.save_pretrained(str(directory / "processor"))
        proc.image_processor.save_pretrained(str(directory / "processor"))
    index_path = directory / "modular_model_index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    library, class_name, spec = index["processor"]
    spec.update(pretrained_model_name_or_path=str(directory), subfolder="processor")
    index["processor"] = [library or "transformers", class_name or "Qwen3VLProcessor", spec]
    # The released 2048-pixel short edge of a reference image packs thousands of rows (minutes
    # on a CPU); the pipeline reads this config from the index, as diffusers' own test lowers it.
    index["reference_image_short_edge"] = 32
    index_path.write_text(json.dumps(index, indent=2), encoding="utf-8")
    return directory
