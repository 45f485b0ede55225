"""Pictures in the encoder's own pixel format: planar YUV 4:2:0 (I420), warped plane by plane.

Working in I420 instead of RGB halves the pixels each warp touches (1.5 samples per pixel instead
of 3) and removes the per-frame colour conversion; the still is converted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from reelserve.adapters.engines.preview.motion import Matrix
from reelserve.adapters.media import video

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Planes:
    """Y at full size, U and V at half size (both sides even)."""

    y: U8
    u: U8
    v: U8

    @property
    def size(self) -> tuple[int, int]:
        return self.y.shape[1], self.y.shape[0]


def load_rgb(path: Path) -> U8:
    """Any picture Pillow reads, as 8-bit RGB: EXIF rotation applied; transparency composited
    on white (as viewers show transparent PNGs); 16-bit, palette and CMYK images converted."""
    with Image.open(path) as opened:
        image: Image.Image = ImageOps.exif_transpose(opened)
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            array = np.asarray(image, dtype=np.float64)
            scale = 257.0 if array.max() > 255 else 1.0
            image = Image.fromarray(np.clip(array / scale, 0, 255).astype(np.uint8), "L")
        if image.mode == "P":
            image = image.convert("RGBA")
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            backdrop = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(backdrop, rgba)
        return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def cover(rgb: U8, width: int, height: int) -> U8:
    """Scale and centre-crop so the picture exactly fills ``width`` x ``height``."""
    src_h, src_w = rgb.shape[:2]
    scale = max(width / src_w, height / src_h)
    new_w, new_h = max(width, round(src_w * scale)), max(height, round(src_h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=interpolation)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def even_size(width: float, height: float) -> tuple[int, int]:
    return max(2, 2 * round(width / 2)), max(2, 2 * round(height / 2))


def to_planes(rgb: U8) -> Planes:
    """RGB (even sides) to I420 planes, BT.601 limited range (what players assume for SD/HD
    H.264 without colour tags... and what OpenCV's I420 conversion produces)."""
    height, width = rgb.shape[:2]
    i420: U8 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).astype(np.uint8, copy=False)
    return split_i420(i420.reshape(-1), width, height)


def split_i420(flat: U8, width: int, height: int) -> Planes:
    """Views of the three planes inside one flat I420 buffer."""
    luma = width * height
    chroma = (width // 2) * (height // 2)
    return Planes(
        y=flat[:luma].reshape(height, width),
        u=flat[luma : luma + chroma].reshape(height // 2, width // 2),
        v=flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    )


def planes_of(frame: av.VideoFrame) -> Planes:
    """Views of an encoder frame's own planes, to render into without a copy."""
    y, u, v = video.planes(frame)
    return Planes(y=y, u=u, v=v)


def new_frame(width: int, height: int) -> tuple[U8, Planes]:
    """A zeroed I420 buffer shaped as the encoder wants it, and plane views into it."""
    buffer = np.zeros((height * 3 // 2, width), dtype=np.uint8)
    return buffer, split_i420(buffer.reshape(-1), width, height)


def _plane_matrix(
    view_to_content: Matrix, out_size: tuple[int, int], src_size: tuple[int, int], ratio: float
) -> Matrix:
    """Output-plane pixel -> source-plane pixel, for a plane sampled at ``ratio`` of luma.

    ``view_to_content`` works in centred output pixels; the source picture covers the same
    centred extent as the output frame at ``zoom`` 1, at its own pixel density.
    """
    out_w, out_h = out_size
    src_w, src_h = src_size
    sx, sy = src_w / out_w, src_h / out_h
    # centred -> plane pixel: p = r * (c + W/2) - 0.5
    to_out = np.array(
        [[ratio, 0, ratio * out_w / 2 - 0.5], [0, ratio, ratio * out_h / 2 - 0.5], [0, 0, 1]]
    )
    to_src = np.array(
        [
            [ratio * sx, 0, ratio * src_w / 2 - 0.5],
            [0, ratio * sy, ratio * src_h / 2 - 0.5],
            [0, 0, 1],
        ]
    )
    result: Matrix = to_src @ view_to_content @ np.linalg.inv(to_out)
    return result


def warp_into(source: Planes, view_to_content: Matrix, target: Planes) -> None:
    """Render ``target`` by sampling ``source`` through the homography (inverse mapping)."""
    out_size, src_size = target.size, source.size
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    affine = abs(view_to_content[2, 0]) < 1e-12 and abs(view_to_content[2, 1]) < 1e-12
    for src, dst, ratio in (
        (source.y, target.y, 1.0),
        (source.u, target.u, 0.5),
        (source.v, target.v, 0.5),
    ):
        matrix = _plane_matrix(view_to_content, out_size, src_size, ratio)
        size = (dst.shape[1], dst.shape[0])
        if affine:
            cv2.warpAffine(
                src,
                matrix[:2] / matrix[2, 2],
                size,
                dst=dst,
                flags=flags,
                borderMode=cv2.BORDER_REPLICATE,
            )
        else:
            cv2.warpPerspective(
                src, matrix, size, dst=dst, flags=flags, borderMode=cv2.BORDER_REPLICATE
            )


def copy_into(source: Planes, target: Planes) -> None:
    np.copyto(target.y, source.y)
    np.copyto(target.u, source.u)
    np.copyto(target.v, source.v)
