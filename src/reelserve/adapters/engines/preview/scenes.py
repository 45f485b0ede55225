"""One renderer per mode: each fills the I420 planes of frame ``index``.

- I2V: the first frame, moved along the camera plan.
- T2V: the storyboard scene, moved along the camera plan, with the prompt as a fixed caption.
- S2V: the same storyboard with the subject image standing in it.
- FL2V: the morph from the first to the last frame. The camera plan is not applied: both end
  frames are pinned by the request, and any move would have to be undone before the end.
"""

from __future__ import annotations

from typing import Protocol

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
    """A still seen through the camera path; fixed overlays (captions) drawn on top."""

    def __init__(
        self,
        path: CameraPath,
        source: Planes,
        zoom: float,
        overlays: tuple[Overlay, ...] = (),
        *,
        density: float = 1.0,
    ) -> None:
        self._path = path
        self._source = source
        self._sampler = Sampler(source, density)
        self._scale = np.diag([1.0 / zoom, 1.0 / zoom, 1.0])
        self._overlays = overlays
        out = (path.width, path.height)
        self._still = zoom == 1.0 and source.size == out

    def view_to_content(self, index: int) -> Matrix:
        result: Matrix = self._scale @ np.linalg.inv(self._path.forward(index))
        return result

    def render(self, index: int, target: Planes) -> None:
        matrix = self.view_to_content(index)
        if self._still and np.allclose(matrix, np.eye(3), atol=1e-9):
            copy_into(self._source, target)  # a static shot is the picture itself, bit-exact
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


def _density(path: CameraPath, zoom: float, native: tuple[int, int] | None) -> float:
    """How much sharper than the output the still should be: the largest magnification the path
    reaches, but no more than the original picture has, nor ``MAX_DENSITY``."""
    peak = max(zoom * magnification(path.forward(i)) for i in range(path.frame_count))
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
    zoom = cover_zoom(path)
    if job.mode is Mode.I2V:
        assert still is not None
        density = _density(path, zoom, (still.shape[1], still.shape[0]))
        size = even_size(job.width * density, job.height * density)
        return CameraRenderer(path, to_planes(cover(still, *size)), zoom, density=density)
    density = _density(path, zoom, None)
    size = even_size(job.width * density, job.height * density)
    scene = render_scene(job.prompt or job.raw_prompt, job.seed, *size, subject=still)
    words = caption(job.prompt or job.raw_prompt, describe(job.plan), job.width, job.height)
    return CameraRenderer(path, to_planes(scene), zoom, (words,), density=density)


def build_renderer(job: GenerationJob) -> Renderer:
    if job.mode is Mode.FL2V:
        assert job.first_frame is not None and job.last_frame is not None
        first = to_planes(cover(load_rgb(job.first_frame), job.width, job.height))
        last = to_planes(cover(load_rgb(job.last_frame), job.width, job.height))
        return MorphRenderer(Morph(first, last), job.frame_count)
    still = load_rgb(job.first_frame) if job.first_frame is not None else None
    return _camera(job, still)
