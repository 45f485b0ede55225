"""First → last frame: the clip starts and ends on the given images and morphs between them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.frames import cover, load_rgb
from reelserve.adapters.engines.preview.morph import measure
from reelserve.domain.requests import Mode

from .flow import measure as motion
from .helpers import U8, Recorder, decode_rgb, gray, make_job, save_png, ssim, textured

FRAMES = 25  # odd, so the middle frame is exactly half-way
SHIFT = 24  # pixels the scene moves between the first and the last image


def shifted(image: U8, dx: int) -> U8:
    matrix = np.array([[1, 0, dx], [0, 1, 0]], dtype=np.float32)
    height, width = image.shape[:2]
    return np.asarray(
        cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT),
        dtype=np.uint8,
    )


def render(tmp_path: Path, first: U8, last: U8) -> list[U8]:
    job = make_job(
        tmp_path,
        Mode.FL2V,
        first=save_png(first, tmp_path / "first.png"),
        last=save_png(last, tmp_path / "last.png"),
        frame_count=FRAMES,
    )
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    return decode_rgb(job.output_path)


@pytest.fixture(scope="module")
def scene() -> U8:
    return textured(320, 180, seed=5)


def test_clip_starts_on_first_and_ends_on_last_image(tmp_path: Path, scene: U8) -> None:
    last = shifted(scene, SHIFT)
    frames = render(tmp_path, scene, last)
    assert len(frames) == FRAMES
    assert ssim(gray(frames[0]), gray(scene)) >= 0.9
    assert ssim(gray(frames[-1]), gray(last)) >= 0.9


def test_middle_frame_is_a_morph_not_a_cross_fade(tmp_path: Path, scene: U8) -> None:
    last = shifted(scene, SHIFT)
    frames = render(tmp_path, scene, last)
    middle = gray(frames[FRAMES // 2])
    halfway = gray(shifted(scene, SHIFT // 2))  # where a real motion would be at t = 0.5
    fade = gray(np.asarray(cv2.addWeighted(scene, 0.5, last, 0.5, 0), dtype=np.uint8))
    assert ssim(middle, halfway) > 0.8
    assert ssim(middle, halfway) > ssim(middle, fade) + 0.1
    # and the content travels right between frames, the way the scene moved
    step = motion(gray(frames[10]), gray(frames[14]))
    assert step.dx > 1.0, step


def test_unrelated_images_fall_back_to_a_cross_fade(tmp_path: Path) -> None:
    first, last = textured(320, 180, seed=11), textured(320, 180, seed=12)
    assert not measure(gray(first), gray(last))[2].uses_flow
    frames = render(tmp_path, first, last)
    fade = gray(np.asarray(cv2.addWeighted(first, 0.5, last, 0.5, 0), dtype=np.uint8))
    assert ssim(gray(frames[FRAMES // 2]), fade) > 0.9
    assert ssim(gray(frames[0]), gray(first)) >= 0.9
    assert ssim(gray(frames[-1]), gray(last)) >= 0.9


def test_related_images_use_the_flow(scene: U8) -> None:
    report = measure(gray(scene), gray(shifted(scene, SHIFT)))[2]
    assert report.uses_flow
    assert report.flow_error < report.plain_error / 2


def test_last_frame_of_another_aspect_is_cover_cropped(tmp_path: Path, scene: U8) -> None:
    wide = cover(textured(640, 200, seed=9), 640, 200)
    frames = render(tmp_path, scene, wide)
    assert frames[-1].shape == (180, 320, 3)
    expected = cover(load_rgb(save_png(wide, tmp_path / "w.png")), 320, 180)
    assert ssim(gray(frames[-1]), gray(expected)) >= 0.9
