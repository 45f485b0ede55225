"""What an engine is given and what it gives back: a fully resolved job and the rendered video."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reelserve.domain.camera import CameraPlan
from reelserve.domain.requests import Mode


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationJob:
    """Everything an engine needs, fully resolved."""

    task_id: str
    model: str
    mode: Mode
    prompt: str  # recognised camera directives removed
    raw_prompt: str  # as the client wrote it
    prompt_optimizer: bool
    plan: CameraPlan
    first_frame: Path | None  # RGB PNG
    last_frame: Path | None  # RGB PNG, already cropped to the first frame's aspect
    width: int
    height: int
    fps: int
    frame_count: int
    seed: int
    watermark: bool
    output_path: Path
    audio: bool = True  # False: the request asked for a silent video (the request's "audio" flag)


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedVideo:
    path: Path
    width: int
    height: int
    fps: int
    frame_count: int
    has_audio: bool = False  # the MP4 carries an AAC soundtrack as long as the video
