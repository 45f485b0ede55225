"""From pipeline output to an MP4: uint8 frames, resize to the promised size, AIGC mark, encode.

No torch here: pipelines are asked for ``output_type="np"`` (float frames in [0, 1]), so this
module works on numpy arrays only and the encoder is the project's shared PyAV writer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont, ImageOps

from reelserve.adapters.media.video import AudioTrack, Mp4Writer

U8 = npt.NDArray[np.uint8]

AIGC_METADATA: Mapping[str, str] = {
    "comment": "AI generated: made by reelserve's diffusers engine (AIGC)",
    "aigc": "1",
}


def load_condition(path: Path, width: int, height: int) -> Image.Image:
    """A conditioning frame at exactly the generation size: centre-cropped to its aspect, then
    resized, so the pipeline's own resize never stretches it."""
    with Image.open(path) as image:
        rgb = ImageOps.exif_transpose(image).convert("RGB")
    return ImageOps.fit(rgb, (width, height), method=Image.Resampling.LANCZOS)


def to_uint8(video: object) -> U8:
    """The first video of a pipeline's ``np`` output, as (frames, height, width, 3) uint8."""
    array = np.asarray(video)
    if array.ndim == 5:  # (batch, frames, height, width, channels)
        array = array[0]
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"expected (frames, height, width, 3) frames but got {array.shape}")
    if array.dtype == np.uint8:
        return np.asarray(array, dtype=np.uint8)
    return np.asarray(np.clip(array, 0.0, 1.0) * 255.0 + 0.5, dtype=np.uint8)


def resized(frames: U8, width: int, height: int) -> Iterable[U8]:
    """Frames at width × height: area averaging when shrinking, Lanczos when enlarging."""
    _, src_height, src_width, _ = frames.shape
    if (src_width, src_height) == (width, height):
        yield from frames
        return
    shrinking = width * height < src_width * src_height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    for frame in frames:
        yield cv2.resize(frame, (width, height), interpolation=interpolation)


def write_mp4(
    frames: Iterable[U8],
    path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    watermark: bool,
    audio: AudioTrack | None = None,
) -> int:
    """Encode RGB frames as H.264 yuv420p, with ``audio`` as AAC cut to the video's length;
    returns the number of frames written."""
    mark = _mark(width, height) if watermark else None
    metadata = AIGC_METADATA if watermark else None
    with Mp4Writer(
        path, width=width, height=height, fps=fps, metadata=metadata, audio=audio
    ) as writer:
        for frame in frames:
            rgb = _blend(frame, mark) if mark is not None else frame
            i420 = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)
            writer.write(np.asarray(i420, dtype=np.uint8))
        return writer.frames_written


@functools.lru_cache(maxsize=8)
def _mark(width: int, height: int) -> tuple[U8, U8, int, int]:
    """The "AI generated" label, drawn once per size: (RGB, alpha, left, top)."""
    size = max(8, height // 30)
    font = ImageFont.load_default(size=size)
    text = "AI generated"
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = (int(v) for v in probe.textbbox((0, 0), text, font=font))
    pad = max(2, size // 3)
    label = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 110))
    ImageDraw.Draw(label).text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 230))
    label_w = min(label.width, width)
    label_h = min(label.height, height)
    array = np.asarray(label, dtype=np.uint8)[:label_h, :label_w]
    x, y = width - label_w - pad, height - label_h - pad
    return array[:, :, :3].copy(), array[:, :, 3:].copy(), max(0, x), max(0, y)


def _blend(frame: U8, mark: tuple[U8, U8, int, int]) -> U8:
    rgb, alpha, left, top = mark
    out = frame.copy()
    region = out[top : top + rgb.shape[0], left : left + rgb.shape[1]]
    a = alpha[: region.shape[0], : region.shape[1]].astype(np.uint16)
    color = rgb[: region.shape[0], : region.shape[1]].astype(np.uint16)
    region[...] = ((color * a + region.astype(np.uint16) * (255 - a)) // 255).astype(np.uint8)
    return out
