"""Pictures in the encoder's own pixel format: planar YUV 4:2:0 (I420), warped plane by plane.

Working in I420 instead of RGB halves the pixels each warp touches (1.5 samples per pixel instead
of 3) and removes the per-frame colour conversion; the still is converted once.
"""

from __future__ import annotations

import math
import threading
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
    for src, dst, ratio in _plane_triples(source, target):
        _warp_plane(src, _plane_matrix(view_to_content, out_size, src_size, ratio), dst)


def _plane_triples(source: Planes, target: Planes) -> tuple[tuple[U8, U8, float], ...]:
    return ((source.y, target.y, 1.0), (source.u, target.u, 0.5), (source.v, target.v, 0.5))


def _warp_plane(src: U8, matrix: Matrix, dst: U8, border: int = cv2.BORDER_REPLICATE) -> None:
    """``border``: BORDER_TRANSPARENT leaves ``dst`` as it was where the view leaves ``src``."""
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size = (dst.shape[1], dst.shape[0])
    if abs(matrix[2, 0]) < 1e-12 and abs(matrix[2, 1]) < 1e-12:
        affine = matrix[:2] / matrix[2, 2]
        cv2.warpAffine(src, affine, size, dst=dst, flags=flags, borderMode=border)
    else:
        cv2.warpPerspective(src, matrix, size, dst=dst, flags=flags, borderMode=border)


def axis_aligned(matrix: Matrix) -> bool:
    """Scale and shift only: no rotation, shear or perspective."""
    scale = abs(matrix[0, 0]) + abs(matrix[1, 1])
    off = abs(matrix[0, 1]) + abs(matrix[1, 0]) + abs(matrix[2, 0]) + abs(matrix[2, 1])
    return bool(off <= 1e-9 * scale and matrix[0, 0] > 0 and matrix[1, 1] > 0)


class Sampler:
    """Draws a still through one homography per frame, choosing the cheapest exact method.

    A general homography takes OpenCV's bilinear warp: a gather per sample, about 2.5 ns per
    sample here. Scale-and-shift views (push, pull, zoom, truck, pedestal, static) are separable,
    and ``cv2.resize`` draws them with SIMD row and column passes, 2.5-3x less CPU for a 1080P
    frame (``benchmarks/preview_vs_ffmpeg.py --parts``). ``resize``
    takes an exact scale but can only start on a whole source pixel, so the sub-pixel part of
    the offset comes from a copy of the still shifted by ``k / phases`` of a pixel (made once,
    on first use, with a separable cubic filter): the position error is at most
    ``1 / (2 * phases)`` of a source pixel, 1/8 of a pixel at the still's own scale. Measured
    against the general warp on the same views: mean difference under 0.1 grey level.
    Memory stays within a few frames whatever the magnification (``MAX_RESIZED``).
    Thread-safe: segments render in parallel.
    """

    TARGET_ERROR = 0.125  # output pixels
    # resize enlarges whole source pixels, so at a deep magnification it makes a picture many
    # times the frame (a 2-pixel region scaled 10^5 times is 40 GB): past this multiple of the
    # frame's area the general warp, which allocates nothing, draws the view instead.
    MAX_RESIZED = 4.0

    def __init__(self, source: Planes, density: float = 1.0) -> None:
        self.source = source
        self.phases = max(1, math.ceil(0.5 / (self.TARGET_ERROR * max(density, 1e-6))))
        self._shifted: dict[tuple[int, int, int], U8] = {}
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        return self.source.size

    def render(self, view_to_content: Matrix, target: Planes) -> None:
        out_size, src_size = target.size, self.source.size
        separable = axis_aligned(view_to_content)
        for index, (src, dst, ratio) in enumerate(_plane_triples(self.source, target)):
            matrix = _plane_matrix(view_to_content, out_size, src_size, ratio)
            if not (separable and self._resize_plane(index, src, matrix / matrix[2, 2], dst)):
                _warp_plane(src, matrix, dst)

    def render_over(self, view_to_content: Matrix, target: Planes) -> None:
        """Draw the still over what ``target`` already holds, which shows where the view
        leaves the still."""
        out_size, src_size = target.size, self.source.size
        for src, dst, ratio in _plane_triples(self.source, target):
            matrix = _plane_matrix(view_to_content, out_size, src_size, ratio)
            _warp_plane(src, matrix, dst, cv2.BORDER_TRANSPARENT)

    def _resize_plane(self, index: int, src: U8, matrix: Matrix, dst: U8) -> bool:
        """``dst[y, x] = src(a x + b, c y + d)`` with ``cv2.resize``; False where it cannot
        (the view leaves the still on the top or left)."""
        height, width = dst.shape
        a, b, c, d = matrix[0, 0], matrix[0, 2], matrix[1, 1], matrix[1, 2]
        # resize samples ROI pixel (k + 0.5) * a - 0.5 for output pixel k: solve for the ROI
        # origin (whole pixels) and the phase (the rest).
        x0, phase_x = self._split(b + 0.5 - 0.5 * a)
        y0, phase_y = self._split(d + 0.5 - 0.5 * c)
        if x0 < 0 or y0 < 0:
            return False
        src_h, src_w = src.shape
        x1 = min(src_w, x0 + math.ceil((width - 0.5) * a + 0.5) + 1)
        y1 = min(src_h, y0 + math.ceil((height - 0.5) * c + 0.5) + 1)
        if x1 <= x0 or y1 <= y0:
            return False
        if (x1 - x0) / a * (y1 - y0) / c > self.MAX_RESIZED * width * height:
            return False  # a deep magnification: resize would enlarge whole pixels far past dst
        shifted = self._phase(index, src, phase_x, phase_y)
        resized = cv2.resize(
            shifted[y0:y1, x0:x1], None, fx=1.0 / a, fy=1.0 / c, interpolation=cv2.INTER_LINEAR
        )
        if resized.shape[0] < height or resized.shape[1] < width:
            return False
        np.copyto(dst, resized[:height, :width])
        return True

    def _split(self, position: float) -> tuple[int, int]:
        whole = math.floor(position)
        phase = round((position - whole) * self.phases)
        if phase == self.phases:
            return whole + 1, 0
        return whole, phase

    def _phase(self, index: int, src: U8, phase_x: int, phase_y: int) -> U8:
        if phase_x == 0 and phase_y == 0:
            return src
        key = (index, phase_x, phase_y)
        shifted = self._shifted.get(key)
        if shifted is None:  # made outside the lock: segments starting together do not queue
            made: U8 = cv2.sepFilter2D(
                src,
                -1,
                _cubic_taps(phase_x / self.phases),
                _cubic_taps(phase_y / self.phases),
                anchor=(1, 1),
                borderType=cv2.BORDER_REPLICATE,
            ).astype(np.uint8, copy=False)
            with self._lock:
                shifted = self._shifted.setdefault(key, made)
        return shifted


def _cubic_taps(shift: float, a: float = -0.5) -> npt.NDArray[np.float32]:
    """Keys' cubic convolution weights of the four pixels around ``x + shift``, ``0 <= shift < 1``
    (pixels ``x - 1 .. x + 2``): a sub-pixel shift as one small separable filter."""

    def weight(distance: float) -> float:
        d = abs(distance)
        if d < 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a if d < 2 else 0.0

    taps = [weight(1 + shift), weight(shift), weight(1 - shift), weight(2 - shift)]
    return np.array(taps, dtype=np.float32)


def copy_into(source: Planes, target: Planes) -> None:
    np.copyto(target.y, source.y)
    np.copyto(target.u, source.u)
    np.copyto(target.v, source.v)
