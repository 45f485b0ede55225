"""AvStills: a thumbnail or a sprite sheet from a stored MP4 (PyAV decodes, Pillow encodes).

Frames are picked by index in one decoding pass, keeping only those picked (a 15 s 2K clip is
4 GB of RGB frames); the clips are seconds long, so decoding through costs little more than seeking
(an MP4 seek lands on a keyframe and decodes forward anyway).
"""

from __future__ import annotations

import io
from typing import BinaryIO, Literal

import av
from PIL import Image

from reelserve.domain.errors import NotFound


def _frames(video: BinaryIO, count: int) -> list[Image.Image]:
    """``count`` evenly spaced frames (the middle one when ``count`` is 1)."""
    with av.open(video, mode="r") as container:
        stream = container.streams.video[0]
        total = stream.frames or sum(1 for _ in container.decode(stream))
        if total == 0:
            raise NotFound("video frame", "0")
        if count == 1:
            wanted = [total // 2]
        else:
            wanted = [round(i * (total - 1) / (count - 1)) for i in range(count)]
        if not stream.frames:
            container.seek(0)
        picked: dict[int, Image.Image] = {}
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                picked[index] = Image.fromarray(frame.to_ndarray(format="rgb24"))
            if index >= wanted[-1]:
                break
    last = picked[max(picked)] if picked else None
    if last is None:
        raise NotFound("video frame", str(wanted[0]))
    return [picked.get(i, last) for i in wanted]


class AvStills:
    """The Stills port with PyAV and Pillow."""

    def thumbnail(self, video: BinaryIO, *, fmt: Literal["webp", "jpeg"]) -> bytes:
        (frame,) = _frames(video, 1)
        out = io.BytesIO()
        frame.convert("RGB").save(out, format=fmt.upper(), quality=85)
        return out.getvalue()

    def spritesheet(self, video: BinaryIO, *, columns: int, rows: int, width: int) -> bytes:
        frames = _frames(video, columns * rows)
        height = max(2, round(width * frames[0].height / frames[0].width))
        sheet = Image.new("RGB", (columns * width, rows * height))
        for i, frame in enumerate(frames):
            tile = frame.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
            sheet.paste(tile, ((i % columns) * width, (i // columns) * height))
        out = io.BytesIO()
        sheet.save(out, format="JPEG", quality=80)
        return out.getvalue()
