"""First → last frame: the clip starts and ends on the given images and morphs between them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.frames import cover, load_rgb
from reelserve.adapters.engines.preview.morph import measure, similarity_power
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


def test_related_images_use_the_global_motion(scene: U8) -> None:
    report = measure(gray(scene), gray(shifted(scene, SHIFT)))[2]
    assert report.uses_flow and report.motion is not None
    assert report.motion[0, 2] == pytest.approx(SHIFT, abs=0.5)  # the shift, found by features
    assert report.motion[1, 2] == pytest.approx(0, abs=0.5)
    assert report.plain_error < 2.0  # what is left after it, in grey levels


def test_related_images_without_one_motion_use_the_flow(scene: U8) -> None:
    """Two halves moving apart: no similarity explains both, the dense flow does."""
    last = scene.copy()
    last[:, :160] = shifted(scene, -8)[:, :160]
    last[:, 160:] = shifted(scene, 8)[:, 160:]
    report = measure(gray(scene), gray(last))[2]
    assert report.uses_flow
    assert report.flow_error < report.plain_error / 2


@pytest.mark.parametrize("t", [0.0, 0.25, 0.5, 1.0])
def test_the_fraction_of_a_similarity_composes_back_to_it(t: float) -> None:
    turn, scale = np.radians(10), 1.4
    matrix = np.array(
        [
            [scale * np.cos(turn), -scale * np.sin(turn), 30.0],
            [scale * np.sin(turn), scale * np.cos(turn), -12.0],
            [0, 0, 1],
        ]
    )
    part, rest = similarity_power(matrix, t), similarity_power(matrix, 1 - t)
    assert np.allclose(part @ rest, matrix)
    assert np.allclose(similarity_power(matrix, 0.0), np.eye(3))
    shift = np.array([[1, 0, 20.0], [0, 1, -6.0], [0, 0, 1]])
    assert np.allclose(similarity_power(shift, t)[:2, 2], [20 * t, -6 * t])


def test_last_frame_of_another_aspect_is_cover_cropped(tmp_path: Path, scene: U8) -> None:
    wide = cover(textured(640, 200, seed=9), 640, 200)
    frames = render(tmp_path, scene, wide)
    assert frames[-1].shape == (180, 320, 3)
    expected = cover(load_rgb(save_png(wide, tmp_path / "w.png")), 320, 180)
    assert ssim(gray(frames[-1]), gray(expected)) >= 0.9


def zoom_about(scale: float, cx: float, cy: float) -> np.ndarray:
    """A zoom by ``scale`` about (cx, cy): a zoom plus a shift, as a 2x3 matrix."""
    return np.array([[scale, 0, cx * (1 - scale)], [0, scale, cy * (1 - scale)]], dtype=np.float64)


def psnr(a: U8, b: U8) -> float:
    error = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255**2 / max(error, 1e-9))


def test_a_zoomed_and_shifted_last_frame_morphs_along_the_motion(tmp_path: Path) -> None:
    """Issue 17: the last frame a zoom + shift of the first showed double images (the flow
    failed, the fallback cross-faded). The middle frame must be the half-way transform."""
    photo = np.asarray(cv2.GaussianBlur(textured(320, 180, seed=5), (0, 0), 1.2), dtype=np.uint8)
    scale, cx, cy = 1.3, 120.0, 70.0  # a 30 % zoom about a point left of and above the centre

    def moved(image: U8, fraction: float) -> U8:
        matrix = zoom_about(scale**fraction, cx, cy)
        return np.asarray(
            cv2.warpAffine(image, matrix, (320, 180), flags=cv2.INTER_CUBIC), dtype=np.uint8
        )

    frames = render(tmp_path, photo, moved(photo, 1.0))
    inner = (slice(18, -18), slice(32, -32))  # away from the borders, where content enters
    middle, halfway = frames[FRAMES // 2][inner], moved(photo, 0.5)[inner]
    fade = np.asarray(cv2.addWeighted(photo, 0.5, moved(photo, 1.0), 0.5, 0), dtype=np.uint8)
    assert psnr(middle, halfway) >= 30.0, psnr(middle, halfway)
    assert psnr(middle, fade[inner]) < psnr(middle, halfway) - 6  # no double image
