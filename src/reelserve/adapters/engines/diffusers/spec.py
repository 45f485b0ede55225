"""What the registry says about one diffusers pipeline, and the frame and size rules it implies.

Pure Python (no torch): the registry builds these at start-up, before anything heavy is imported.
Frame and size rules come from the pipelines themselves (docs/diffusers.md, "Frames and sizes"):
Wan and SkyReels-V2 generate ``4k+1`` frames with sides divisible by 16 (Wan2.2-TI2V-5B: 32);
LTX-Video and LTX-2 ``8k+1`` frames with sides divisible by 32; MiniMax-H3 ``17k+5`` frames
(5 to 15 s at 24 fps) with sides divisible by 32. The pipelines round silently on their own, so
the engine rounds first and knows the real size.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path

from reelserve.domain.requests import Mode


class Family(enum.StrEnum):
    WAN = "wan"  # WanPipeline (T2V), WanImageToVideoPipeline (I2V, first+last)
    LTX = "ltx"  # LTXConditionPipeline (T2V, and conditions at frame 0 / the last frame)
    MINIMAX_H3 = "minimax-h3"  # MiniMaxH3ModularPipeline: t2va, fl2va, ref2va; stereo sound
    SKYREELS_V2 = "skyreels-v2"  # SkyReelsV2ImageToVideoPipeline (first frame, + last_image)
    LTX2 = "ltx2"  # LTX2Pipeline, LTX2ImageToVideoPipeline, LTX2ConditionPipeline; with sound
    HUNYUANVIDEO15 = "hunyuanvideo15"  # HunyuanVideo15Pipeline / …ImageToVideoPipeline
    HELIOS = "helios"  # HeliosPipeline: text, or a first frame (``image=``); 32k+1 frames


class Offload(enum.StrEnum):
    NONE = "none"  # the whole pipeline lives on the device
    MODEL = "model"  # one component at a time on the device (enable_model_cpu_offload)
    SEQUENTIAL = "sequential"  # layer by layer: least memory, much slower


class OutputSize(enum.StrEnum):
    RESIZE = "resize"  # scale the generated frames to the promised width × height (default)
    NATIVE = "native"  # keep the size the model generated


DTYPES = ("auto", "bfloat16", "float16", "float32")


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineSpec:
    """One checkpoint on disk and how to run it. ``modes`` were read from its configs."""

    name: str
    family: Family
    weights: Path
    modes: frozenset[Mode]
    native_width: int
    native_height: int
    native_fps: int
    steps: int
    guidance: float
    guidance_2: float | None = None  # Wan2.2 A14B: guidance of the low-noise expert
    flow_shift: float | None = None  # overrides the scheduler's shift when set
    negative_prompt: str = ""
    max_sequence_length: int | None = None  # None: the pipeline's default
    frame_step: int  # frames are frame_step·k + frame_offset
    frame_offset: int = 1
    min_frames: int = 1  # MiniMax-H3: at least 5 s
    max_frames: int | None = None  # MiniMax-H3: at most 15 s
    size_multiple: int
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on the CPU
    vae_dtype: str | None = None  # None: same as dtype
    cpu_offload: Offload = Offload.NONE
    vae_tiling: bool = False
    preload: bool = False


def frames_for(duration_s: float, fps: int, step: int, offset: int = 1, *, minimum: int = 1) -> int:
    """The smallest ``step·k + offset`` frame count (k ≥ 1) that lasts at least ``duration_s`` at
    ``fps`` and is at least ``minimum`` frames.

    6 s at 16 fps is 96 frames → 97 (Wan); 6 s at 24 fps is 144 → 145 (LTX), → 158 (MiniMax-H3,
    17k+5); 4 s on MiniMax-H3 is raised to its 5 s minimum: 120 → 124.
    """
    wanted = max(1, round(duration_s * fps), minimum)
    return step * max(1, math.ceil((wanted - offset) / step)) + offset


def generation_size(
    width: int, height: int, *, native: tuple[int, int], multiple: int
) -> tuple[int, int]:
    """The size to generate at: the job's aspect ratio with about the native pixel count, each
    side a multiple of ``multiple`` (at least one multiple).

    The models are trained at a fixed pixel budget (e.g. 832×480 or 1280×720): generating a
    1366×768 request at its own size would leave the training distribution, so the engine keeps
    the area and resizes afterwards.
    """
    area = native[0] * native[1]
    aspect = width / height
    gen_height = math.sqrt(area / aspect)
    gen_width = gen_height * aspect

    def snap(value: float) -> int:
        return max(multiple, multiple * round(value / multiple))

    return snap(gen_width), snap(gen_height)
