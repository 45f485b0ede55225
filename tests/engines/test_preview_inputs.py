"""Awkward pictures render correctly: alpha, palettes, 16-bit, CMYK, extreme legal aspects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.frames import load_rgb
from reelserve.adapters.media.video import probe
from reelserve.domain import geometry
from reelserve.domain.requests import Mode

from .helpers import Recorder, decode_rgb, make_job, textured


def _rgba(path: Path) -> Path:
    array = np.zeros((200, 300, 4), dtype=np.uint8)
    array[..., 0] = 255  # red, but fully transparent on the left half
    array[:, 150:, 3] = 255
    Image.fromarray(array, "RGBA").save(path, format="PNG")
    return path


def _palette(path: Path) -> Path:
    Image.fromarray(textured(300, 200)).convert("P", palette=Image.Palette.ADAPTIVE).save(
        path, format="PNG", transparency=0
    )
    return path


def _sixteen_bit(path: Path) -> Path:
    ramp = np.tile(np.linspace(0, 65535, 300, dtype=np.uint16), (200, 1))
    Image.fromarray(ramp).save(path, format="PNG")  # mode I;16
    return path


def _cmyk(path: Path) -> Path:
    Image.fromarray(textured(300, 200)).convert("CMYK").save(path, format="JPEG")
    return path


def _grey_alpha(path: Path) -> Path:
    Image.new("LA", (300, 200), (128, 200)).save(path, format="PNG")
    return path


@pytest.mark.parametrize("make", [_rgba, _palette, _sixteen_bit, _cmyk, _grey_alpha])
def test_odd_pixel_formats_render(tmp_path: Path, make: object) -> None:
    assert callable(make)
    picture = make(tmp_path / "in.img")
    job = make_job(tmp_path, Mode.I2V, prompt="[Push in]", first=picture, frame_count=5)
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    info = probe(job.output_path)
    assert (info.width, info.height, info.frame_count) == (320, 180, 5)


def test_transparency_is_shown_on_white(tmp_path: Path) -> None:
    rgb = load_rgb(_rgba(tmp_path / "a.png"))
    assert tuple(rgb[100, 10]) == (255, 255, 255)
    assert tuple(rgb[100, 290]) == (255, 0, 0)


def test_sixteen_bit_keeps_its_range(tmp_path: Path) -> None:
    rgb = load_rgb(_sixteen_bit(tmp_path / "s.png"))
    assert rgb[0, 0, 0] == 0 and rgb[0, -1, 0] == 255


@pytest.mark.parametrize("size", [(1000, 400), (400, 1000), (301, 753)])
def test_extreme_legal_aspects_keep_their_size(tmp_path: Path, size: tuple[int, int]) -> None:
    picture = tmp_path / "p.png"
    Image.fromarray(textured(*size)).save(picture)
    width, height = geometry.output_size(Mode.I2V, "512P", size)
    job = make_job(
        tmp_path,
        Mode.I2V,
        prompt="[Pan left, Tilt up, Zoom in]",
        first=picture,
        width=width,
        height=height,
        frame_count=4,
    )
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    frames = decode_rgb(job.output_path)
    assert [f.shape for f in frames] == [(height, width, 3)] * 4
