"""Fixed overlays (the caption card, the "AI generated" mark) blended onto I420 frames.

An overlay is drawn once with Pillow as RGBA, converted once to Y/U/V planes with alpha at luma
and chroma resolution, and then blended into a small region of every frame: the per-frame cost
is proportional to the overlay's area, not the frame's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from reelserve.adapters.engines.preview.frames import Planes

F32 = npt.NDArray[np.float32]
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# Fonts with Chinese, Japanese and Korean glyphs (DejaVu has none), where distributions put them:
# Debian's fonts-wqy-zenhei (`make system-deps`) and fonts-noto-cjk, Fedora's, macOS's.
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
    Path("/System/Library/Fonts/PingFang.ttc"),
)
MISSING_GLYPH = "\U0010fffd"  # a private-use code point no font draws: its box is .notdef

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.lru_cache(maxsize=32)
def font(size: int, *, bold: bool = False) -> FontType:
    """DejaVu Sans when installed (readable, wide Unicode coverage), else Pillow's own font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=32)
def cjk_font(size: int) -> FontType | None:
    """The first installed font of ``CJK_FONTS`` (None when there is none)."""
    for path in CJK_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return None


def _glyph(face: FontType, char: str) -> bytes:
    mask = face.getmask(char)
    return bytes(mask.size) + bytes(mask)


def missing_glyphs(face: FontType, text: str) -> str:
    """The characters of ``text`` that ``face`` would draw as its .notdef box."""
    notdef = _glyph(face, MISSING_GLYPH)
    chars = dict.fromkeys(c for c in text if not c.isspace())
    return "".join(c for c in chars if _glyph(face, c) == notdef)


def font_for(text: str, size: int) -> tuple[FontType, str]:
    """A font that draws ``text``: DejaVu, else a CJK font for what DejaVu lacks; and the
    characters that neither has (empty when every one is drawn)."""
    face = font(size)
    missing = missing_glyphs(face, text)
    if missing and (wide := cjk_font(size)) is not None:
        still_missing = missing_glyphs(wide, missing)
        if len(still_missing) < len(missing):
            return wide, still_missing
    return face, missing


@dataclass(frozen=True, slots=True)
class _Layer:
    y: F32
    u: F32
    v: F32
    alpha: F32
    alpha_half: F32


class Overlay:
    """An RGBA picture pinned at (left, top) of the frame; both even so chroma lines up."""

    def __init__(self, rgba: Image.Image, left: int, top: int) -> None:
        width, height = rgba.size
        width, height = width + width % 2, height + height % 2
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        canvas.paste(rgba, (0, 0))
        array = np.asarray(canvas, dtype=np.uint8)
        yuv = cv2.cvtColor(np.ascontiguousarray(array[:, :, :3]), cv2.COLOR_RGB2YUV_I420)
        flat = yuv.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        alpha = array[:, :, 3].astype(np.float32) / 255.0
        self._layer = _Layer(
            y=flat[:luma].reshape(height, width).astype(np.float32),
            u=flat[luma : luma + chroma].reshape(height // 2, width // 2).astype(np.float32),
            v=flat[luma + chroma :].reshape(height // 2, width // 2).astype(np.float32),
            alpha=alpha,
            alpha_half=cv2.resize(
                alpha, (width // 2, height // 2), interpolation=cv2.INTER_AREA
            ).astype(np.float32, copy=False),
        )
        self.left, self.top = left - left % 2, top - top % 2  # chroma sits on even pixels
        self.width, self.height = width, height

    def blend_into(self, frame: Planes) -> None:
        layer = self._layer
        _blend(frame.y, layer.y, layer.alpha, self.left, self.top)
        _blend(frame.u, layer.u, layer.alpha_half, self.left // 2, self.top // 2)
        _blend(frame.v, layer.v, layer.alpha_half, self.left // 2, self.top // 2)


def _blend(plane: npt.NDArray[np.uint8], color: F32, alpha: F32, left: int, top: int) -> None:
    """Blend where the overlay and the plane intersect (tiny frames clip big captions)."""
    src_top, src_left = max(0, -top), max(0, -left)
    dst_top, dst_left = max(0, top), max(0, left)
    rows = min(alpha.shape[0] - src_top, plane.shape[0] - dst_top)
    cols = min(alpha.shape[1] - src_left, plane.shape[1] - dst_left)
    if rows <= 0 or cols <= 0:
        return
    region = plane[dst_top : dst_top + rows, dst_left : dst_left + cols]
    a = alpha[src_top : src_top + rows, src_left : src_left + cols]
    c = color[src_top : src_top + rows, src_left : src_left + cols]
    mixed = region.astype(np.float32) * (1.0 - a) + c * a
    region[...] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def watermark(width: int, height: int) -> Overlay:
    """A visible "AI generated" mark in the top-right corner (the bottom belongs to captions)."""
    size = max(12, round(min(width, height) / 28))
    text = "AI generated"
    face = font(size, bold=True)
    left, top, right, bottom = (round(v) for v in face.getbbox(text))
    pad = max(4, size // 3)
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=pad, fill=(0, 0, 0, 110))
    draw.text((pad - left, pad - top), text, font=face, fill=(255, 255, 255, 230))
    margin = max(8, size // 2)
    return Overlay(image, width - box_w - margin, margin)
