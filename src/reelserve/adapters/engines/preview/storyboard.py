"""The storyboard card for text-only requests: a layered landscape chosen from the prompt.

The preview engine synthesises no content from text. It draws a deterministic stand-in scene —
sky, sun or moon, three to four ridgelines with atmospheric perspective — whose palette and
props follow a few keywords of the prompt (night, sunset, sea, snow, desert, forest, city), and
whose details follow the seed. The prompt itself is shown as a readable caption so a person
reviewing the clip sees what was asked for. The same prompt and seed always give the same scene.
"""

from __future__ import annotations

import hashlib
import logging
import random
import textwrap
import unicodedata

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

from reelserve.adapters.engines.preview.frames import U8, cover
from reelserve.adapters.engines.preview.overlay import Overlay, font, font_for
from reelserve.adapters.engines.preview.themes import RGB, Theme, theme_for

logger = logging.getLogger(__name__)


def _rng(prompt: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def render_scene(prompt: str, seed: int, width: int, height: int, subject: U8 | None = None) -> U8:
    """The scene as RGB, ``width`` x ``height``; ``subject`` (RGB) stands in the foreground."""
    theme, rng = theme_for(prompt), _rng(prompt, seed)
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array(theme.sky_top, np.float32), np.array(theme.horizon, np.float32)
    sky = top + (bottom - top) * rows**0.8
    canvas = np.broadcast_to(sky, (height, width, 3)).copy()
    _sun(canvas, theme, rng)
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), "RGB")
    if theme.stars:
        _stars(image, rng)
    else:
        _clouds(image, theme, rng)
    _ridges(image, theme, rng)
    if subject is not None:
        _place_subject(image, subject)
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def _sun(canvas: npt.NDArray[np.float32], theme: Theme, rng: random.Random) -> None:
    height, width = canvas.shape[:2]
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.15, 0.4) * height
    radius = min(width, height) * rng.uniform(0.05, 0.08)
    ys, xs = np.ogrid[:height, :width]
    distance = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2, dtype=np.float32)
    glow = np.exp(-((distance / (radius * 4)) ** 2))[:, :, None] * 0.35
    disc = np.clip((radius - distance) / 2.0 + 0.5, 0, 1)[:, :, None]
    colour = np.array(theme.sun, np.float32)
    canvas += (colour - canvas) * glow
    canvas += (colour - canvas) * disc


def _stars(image: Image.Image, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for _ in range(int(width * height / 6000)):
        x, y = rng.uniform(0, width), rng.uniform(0, height * 0.6)
        r = rng.choice((0.6, 0.9, 1.3)) * max(1.0, width / 1280)
        shade = rng.randint(170, 255)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(shade, shade, shade))


def _clouds(image: Image.Image, theme: Theme, rng: random.Random) -> None:
    width, height = image.size
    layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(3, 6)):
        cx, cy = rng.uniform(0, width), rng.uniform(0.08, 0.4) * height
        for _ in range(5):
            w = rng.uniform(0.05, 0.12) * width
            h = w * rng.uniform(0.3, 0.5)
            x, y = cx + rng.uniform(-1, 1) * w, cy + rng.uniform(-0.3, 0.3) * h
            draw.ellipse((x - w, y - h, x + w, y + h), fill=rng.randint(120, 200))
    layer = layer.filter(ImageFilter.GaussianBlur(radius=max(4, width // 120)))
    white = _mix(theme.horizon, (255, 255, 255), 0.7)
    image.paste(Image.new("RGB", image.size, white), (0, 0), layer)


def _ridge(rng: random.Random, width: int, base: float, amplitude: float) -> list[float]:
    waves = [
        (rng.uniform(0.5, 4.0), rng.uniform(0, 6.283), rng.uniform(0.3, 1.0)) for _ in range(4)
    ]
    xs = np.linspace(0, 1, 241)
    ys = np.zeros_like(xs)
    for f, p, a in waves:
        ys += a * np.sin(2 * np.pi * f * xs + p)
    ys /= sum(a for _, _, a in waves)
    return [float(base + amplitude * y) for y in ys]


def _ridges(image: Image.Image, theme: Theme, rng: random.Random) -> None:
    width, height = image.size
    draw = ImageDraw.Draw(image)
    count = len(theme.land)
    for index, colour in enumerate(theme.land):
        base = height * (0.52 + 0.11 * index)
        amplitude = height * (0.07 - 0.012 * index)
        flat = theme.water and index >= count - 2
        ridge = [base] * 241 if flat else _ridge(rng, width, base, amplitude)
        fade = 0.45 * (1 - index / count)  # far layers melt into the horizon
        fill = _mix(colour, theme.horizon, fade)
        points = [(width * i / 240, y) for i, y in enumerate(ridge)]
        draw.polygon([*points, (width, height), (0, height)], fill=fill)
        if theme.city and index == 1:
            _skyline(draw, rng, width, base, height, _mix(fill, (0, 0, 0), 0.25))
        if theme.trees and index >= 2:
            _trees(draw, rng, ridge, width, height, _mix(fill, (0, 0, 0), 0.3))
        if flat:
            _shimmer(draw, rng, width, base, height, _mix(fill, (255, 255, 255), 0.35))


def _skyline(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, base: float, height: int, fill: RGB
) -> None:
    x = 0.0
    while x < width:
        w = rng.uniform(0.03, 0.07) * width
        h = rng.uniform(0.08, 0.3) * height
        draw.rectangle((x, base - h, x + w, base + height * 0.1), fill=fill)
        for wy in np.arange(base - h + 6, base, max(6, height / 60)):
            for wx in np.arange(x + 4, x + w - 4, max(6, width / 120)):
                if rng.random() < 0.35:
                    draw.rectangle((wx, wy, wx + 2, wy + 3), fill=(250, 220, 140))
        x += w + rng.uniform(0, 0.01) * width


def _trees(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    ridge: list[float],
    width: int,
    height: int,
    fill: RGB,
) -> None:
    for _ in range(rng.randint(6, 14)):
        i = rng.randint(0, 240)
        x, y = width * i / 240, ridge[i]
        h = rng.uniform(0.06, 0.14) * height
        draw.polygon([(x, y - h), (x - h * 0.3, y + 2), (x + h * 0.3, y + 2)], fill=fill)


def _shimmer(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, base: float, height: int, fill: RGB
) -> None:
    for _ in range(40):
        y = rng.uniform(base + 4, height)
        x = rng.uniform(0, width)
        length = rng.uniform(0.02, 0.08) * width
        draw.line((x, y, x + length, y), fill=fill, width=max(1, height // 400))


def _place_subject(image: Image.Image, subject: U8) -> None:
    """The subject as a framed card standing in the lower middle, with a soft shadow."""
    width, height = image.size
    card_h = round(height * 0.5)
    aspect = subject.shape[1] / subject.shape[0]
    card_w = max(2, min(round(card_h * aspect), round(width * 0.6)))
    picture = Image.fromarray(cover(subject, card_w, card_h), "RGB")
    border = max(3, height // 150)
    left = (width - card_w) // 2
    top = round(height * 0.16)
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).rectangle(
        (
            left + border * 2,
            top + border * 3,
            left + card_w + border * 3,
            top + card_h + border * 4,
        ),
        fill=140,
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(radius=border * 3))
    image.paste(Image.new("RGB", image.size, (0, 0, 0)), (0, 0), shadow)
    ImageDraw.Draw(image).rectangle(
        (left - border, top - border, left + card_w + border, top + card_h + border),
        fill=(250, 250, 245),
    )
    image.paste(picture, (left, top))


def caption(prompt: str, camera: str, width: int, height: int) -> Overlay:
    """The prompt as a readable caption card along the bottom, with the camera plan in words."""
    size = max(12, round(height / 26))
    text = " ".join(prompt.split()) or "(no prompt)"
    face, missing = font_for(text, size)
    small = font(max(10, round(size * 0.7)), bold=True)
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in text)
    chars = max(10 if wide else 20, int(width * 0.8 / (size * (1.0 if wide else 0.55))))
    lines = textwrap.wrap(text, chars, max_lines=3, placeholder=" …")
    tag = "STORYBOARD PREVIEW" + (f" · {camera}" if camera else "")
    if missing:  # say so on the card rather than draw boxes silently
        tag = f"NO FONT FOR {len(missing)} CHARACTERS (install fonts-noto-cjk) · {tag}"
        logger.warning("preview caption: no installed font draws %a", missing[:40])
    line_h = round(size * 1.3)
    pad = round(size * 0.7)
    box_w = round(width * 0.86)
    box_h = pad * 2 + round(size * 1.1) + line_h * len(lines)
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=pad, fill=(10, 12, 20, 150))
    draw.text((pad, pad), tag, font=small, fill=(255, 214, 120, 255))
    for index, line in enumerate(lines):
        y = pad + round(size * 1.1) + index * line_h
        draw.text((pad, y), line, font=face, fill=(255, 255, 255, 255))
    return Overlay(image, (width - box_w) // 2, height - box_h - round(height * 0.05))
