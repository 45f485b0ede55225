"""Helpers for the preview-engine tests: textured test pictures, jobs, decoding the output."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from reelserve.domain import camera
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase

U8 = npt.NDArray[np.uint8]


def textured(width: int, height: int, seed: int = 0) -> U8:
    """A picture with structure at every scale (blobs, edges, fine grain), so flow can track it."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((max(2, height // 40), max(2, width // 40), 3)).astype(np.float32)
    image = np.asarray(cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)) * 200
    fine = cv2.GaussianBlur(rng.random((height, width, 3)).astype(np.float32), (0, 0), 1.5)
    image = image + np.asarray(fine, dtype=np.float32) * 120
    for _ in range(12):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(max(3, width // 40), max(4, width // 10)))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.circle(image, (x, y), r, colour, -1, lineType=cv2.LINE_AA)
    return np.asarray(np.clip(image, 0, 255), dtype=np.uint8)


def save_png(array: U8, path: Path) -> Path:
    Image.fromarray(array).save(path)
    return path


def make_job(
    tmp_path: Path,
    mode: Mode,
    *,
    prompt: str = "A lighthouse on a cliff above the sea",
    width: int = 320,
    height: int = 180,
    frame_count: int = 25,
    first: Path | None = None,
    last: Path | None = None,
    watermark: bool = False,
    seed: int = 7,
    name: str = "out.mp4",
) -> GenerationJob:
    plan = camera.parse(prompt)
    return GenerationJob(
        task_id="123",
        model="MiniMax-Hailuo-02",
        mode=mode,
        prompt=plan.prompt,
        raw_prompt=prompt,
        prompt_optimizer=True,
        plan=plan,
        first_frame=first,
        last_frame=last,
        width=width,
        height=height,
        fps=25,
        frame_count=frame_count,
        seed=seed,
        watermark=watermark,
        output_path=tmp_path / name,
    )


@dataclass
class Recorder:
    """Records progress reports; cancels after ``cancel_after`` checks when set."""

    cancel_after: int | None = None
    reports: list[tuple[Phase, int, int]] = field(default_factory=list)
    checks: int = 0

    def progress(self, phase: Phase, step: int, total: int) -> None:
        self.reports.append((phase, step, total))

    def should_cancel(self) -> bool:
        self.checks += 1
        return self.cancel_after is not None and self.checks > self.cancel_after


def decode_rgb(path: Path) -> list[U8]:
    with av.open(str(path)) as container:
        return [
            np.asarray(f.to_ndarray(format="rgb24"), dtype=np.uint8)
            for f in container.decode(video=0)
        ]


def decode_gray(path: Path, indices: set[int] | None = None) -> dict[int, U8]:
    """Luma planes of the chosen frames (all when ``indices`` is None)."""
    frames: dict[int, U8] = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if indices is None or index in indices:
                frames[index] = np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8)
    return frames


def ssim(a: U8, b: U8) -> float:
    """Mean structural similarity of two grey images (Wang et al. 2004, 11x11 Gaussian window)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(image: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(cv2.GaussianBlur(image, (11, 11), 1.5), dtype=np.float64)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    index = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(index.mean())


def gray(rgb: U8) -> U8:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
