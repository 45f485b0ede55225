"""One renderer per mode: each fills the I420 planes of frame ``index``.

- I2V: the first frame, moved along the camera plan.
- T2V: the storyboard scene, moved along the camera plan, with the prompt as a fixed caption.
- S2V: the same storyboard with the subject image standing in it.
- FL2V: the morph from the first to the last frame. The camera plan is not applied: both end
  frames are pinned by the request, and any move would have to be undone before the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np

from reelserve.adapters.engines.preview.frames import (
    U8,
    Planes,
    Sampler,
    copy_into,
    cover,
    even_size,
    load_rgb,
    to_planes,
)
from reelserve.adapters.engines.preview.morph import Morph
from reelserve.adapters.engines.preview.motion import (
    CameraPath,
    Matrix,
    cover_zoom,
    ease,
    frame_cover,
    magnification,
)
from reelserve.adapters.engines.preview.overlay import Overlay
from reelserve.adapters.engines.preview.storyboard import caption, render_scene
from reelserve.domain.camera import describe
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode

MAX_DENSITY = 2.0  # the still is kept at most this many times sharper than the output


class Renderer(Protocol):
    def render(self, index: int, target: Planes) -> None: ...


class CameraRenderer:
    """A still seen through the camera path, magnified by ``zooms[index]`` on frame ``index``
    (one value: every frame); fixed overlays (captions) drawn on top. Where a frame's view
    leaves the still (a pull out from the whole picture), ``backdrop`` shows around it."""

    def __init__(
        self,
        path: CameraPath,
        source: Planes,
        zooms: Sequence[float],
        overlays: tuple[Overlay, ...] = (),
        *,
        density: float = 1.0,
        backdrop: Planes | None = None,
    ) -> None:
        self._path = path
        self._source = source
        self._sampler = Sampler(source, density)
        self._zooms = list(zooms) if len(zooms) > 1 else list(zooms) * path.frame_count
        self._overlays = overlays
        self._same_size = source.size == (path.width, path.height)
        self._backdrop = backdrop

    def view_to_content(self, index: int) -> Matrix:
        shrink = 1.0 / self._zooms[index]
        result: Matrix = np.diag([shrink, shrink, 1.0]) @ np.linalg.inv(self._path.forward(index))
        return result

    def render(self, index: int, target: Planes) -> None:
        matrix = self.view_to_content(index)
        if self._same_size and np.allclose(matrix, np.eye(3), atol=1e-9):
            copy_into(
                self._source, target
            )  # the picture itself, bit-exact (frame 0, a static shot)
        elif (
            self._backdrop is not None
            and frame_cover(self._path, index) > self._zooms[index] + 1e-9
        ):
            copy_into(self._backdrop, target)
            self._sampler.render_over(matrix, target)
        else:
            self._sampler.render(matrix, target)
        for overlay in self._overlays:
            overlay.blend_into(target)


class MorphRenderer:
    def __init__(self, morph: Morph, frame_count: int) -> None:
        self._morph = morph
        self._last = max(1, frame_count - 1)

    def render(self, index: int, target: Planes) -> None:
        self._morph.render(ease(index / self._last), target)


def _density(path: CameraPath, zooms: Sequence[float], native: tuple[int, int] | None) -> float:
    """How much sharper than the output the still should be: the largest magnification the path
    reaches, but no more than the original picture has, nor ``MAX_DENSITY``."""
    peak = max(zooms[i] * magnification(path.forward(i)) for i in range(path.frame_count))
    density = min(peak, MAX_DENSITY)
    if native is not None:
        native_w, native_h = native
        density = min(density, min(native_w / path.width, native_h / path.height))
    return max(1.0, density)


def _camera(job: GenerationJob, still: U8 | None) -> CameraRenderer:
    path = CameraPath(
        job.plan,
        width=job.width,
        height=job.height,
        frame_count=job.frame_count,
        fps=job.fps,
        seed=job.seed,
    )
    if job.mode is Mode.I2V:
        assert still is not None
        zooms = opening_zooms(path)
        density = _density(path, zooms, (still.shape[1], still.shape[0]))
        size = even_size(job.width * density, job.height * density)
        picture = cover(still, *size)
        return CameraRenderer(
            path, to_planes(picture), zooms, density=density, backdrop=_backdrop(picture, path)
        )
    zooms = [cover_zoom(path)]  # a storyboard has no first frame to keep: one steady scale
    density = _density(path, zooms * path.frame_count, None)
    size = even_size(job.width * density, job.height * density)
    scene = render_scene(job.prompt or job.raw_prompt, job.seed, *size, subject=still)
    words = caption(job.prompt or job.raw_prompt, describe(job.plan), job.width, job.height)
    return CameraRenderer(path, to_planes(scene), zooms, (words,), density=density)


def opening_zooms(path: CameraPath) -> list[float]:
    """Per frame, how much to magnify the still so that the clip opens on the picture as given
    (MiniMax's first_frame_image) and stays filled while the camera turns or slides: 1 on frame 0,
    then as much as that frame needs. A pull out or zoom out is not undone (it would leave the
    picture still): the shrinking picture shows the backdrop around it."""
    zooms = []
    for index in range(path.frame_count):
        shrink = magnification(path.forward(index))
        zooms.append(frame_cover(path, index) * min(1.0, shrink))
    return [max(1.0, zoom) for zoom in zooms]


def _backdrop(picture: U8, path: CameraPath) -> Planes:
    """The picture blurred and dimmed at the output size: what a pull out reveals around it."""
    small = cover(picture, path.width, path.height)
    sigma = max(path.width, path.height) / 40
    soft = cv2.GaussianBlur(small, (0, 0), sigma)
    return to_planes(np.asarray(soft * 0.6, dtype=np.uint8))


def build_renderer(job: GenerationJob) -> Renderer:
    if job.mode is Mode.FL2V:
        assert job.last_frame is not None
        end = cover(load_rgb(job.last_frame), job.width, job.height)
        last = to_planes(end)
        if job.first_frame is None:  # a last frame alone (V2): come up out of its own shadow
            first = to_planes(np.asarray(end * 0.25, dtype=np.uint8))
        else:
            first = to_planes(cover(load_rgb(job.first_frame), job.width, job.height))
        return MorphRenderer(Morph(first, last), job.frame_count)
    still = load_rgb(job.first_frame) if job.first_frame is not None else None
    return _camera(job, still)
