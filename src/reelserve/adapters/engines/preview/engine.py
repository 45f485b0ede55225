"""PreviewEngine: the CPU renderer behind every model name by default.

It synthesises no content from text. Text-only requests get a storyboard card (a stand-in scene
plus the prompt as a caption); image requests animate the given first frame along the camera
plan; first+last requests morph from one frame to the other. Frames are rendered in the
encoder's pixel format and streamed to an H.264 encoder that runs on its own thread, so memory
does not grow with the clip's duration and rendering overlaps encoding.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from reelserve.adapters.engines.preview.frames import planes_of
from reelserve.adapters.engines.preview.overlay import Overlay, watermark
from reelserve.adapters.engines.preview.scenes import Renderer, build_renderer
from reelserve.adapters.media.segments import Segment, SegmentedMp4Writer
from reelserve.adapters.media.video import DEFAULT_CRF, DEFAULT_PRESET, EncoderSettings
from reelserve.domain.errors import GenerationFailed, TaskCancelled
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase
from reelserve.ports import CancelCheck, ProgressCallback

AIGC_METADATA: Mapping[str, str] = {
    "comment": "AI generated: made by reelserve's preview engine (AIGC)",
    "aigc": "1",
}
PROGRESS_REPORTS = 50  # about this many RENDERING reports per clip, the last frame always
PROGRESS_SECONDS = 0.5  # and at least this often on slow clips


def check_inputs(job: GenerationJob) -> None:
    """Refuse jobs the renderer cannot honour, with messages that name the values."""
    problems: list[str] = []
    if job.width <= 0 or job.height <= 0 or job.width % 2 or job.height % 2:
        problems.append(
            f"width and height must be positive and even (yuv420p) but are {job.width} and "
            f"{job.height}"
        )
    if job.fps <= 0:
        problems.append(f"fps must be positive but is {job.fps}")
    if job.frame_count <= 0:
        problems.append(f"frame_count must be positive but is {job.frame_count}")
    needs_first = job.mode in (Mode.I2V, Mode.S2V)  # fl2v may end on a last frame alone
    if needs_first and (job.first_frame is None or not job.first_frame.is_file()):
        problems.append(f"mode {job.mode} needs first_frame but it is {job.first_frame}")
    if job.mode is Mode.FL2V and (job.last_frame is None or not job.last_frame.is_file()):
        problems.append(f"mode fl2v needs last_frame but it is {job.last_frame}")
    if problems:
        raise GenerationFailed("preview engine: " + "; ".join(problems))


class PreviewEngine:
    """Implements the ``Engine`` port on the CPU with numpy, OpenCV and PyAV."""

    name = "preview"

    def __init__(
        self,
        *,
        preset: str = DEFAULT_PRESET,
        crf: int = DEFAULT_CRF,
        threads: int = 0,
        segments: int = 0,
        stop_at_frame: int | None = None,
    ) -> None:
        self.settings = EncoderSettings(preset=preset, crf=crf, threads=threads)
        self.segments = segments  # 0: one per CPU, each at least two seconds long
        # A test hook for the crash drills: the first time a clip reaches this frame, the whole
        # process stops itself (SIGSTOP), as a paused worker would, at a point the drill knows.
        self._stop_at_frame = stop_at_frame
        self._stop_once = threading.Event()

    def supports(self, mode: Mode) -> bool:
        return mode in (Mode.T2V, Mode.I2V, Mode.FL2V, Mode.S2V)

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        check_inputs(job)
        try:
            renderer = build_renderer(job)
            overlays = [watermark(job.width, job.height)] if job.watermark else []
            job.output_path.parent.mkdir(parents=True, exist_ok=True)
            run = _Run(job, renderer, overlays, on_progress, should_cancel, self._stop_here)
            self._render(run)
        except (TaskCancelled, GenerationFailed):
            raise
        except Exception as error:  # any failure is the task's failure: say which and why
            raise GenerationFailed(
                f"preview engine could not render task {job.task_id} ({job.mode}, "
                f"{job.width}x{job.height}, {job.frame_count} frames): {error}"
            ) from error
        return RenderedVideo(
            path=job.output_path,
            width=job.width,
            height=job.height,
            fps=job.fps,
            frame_count=job.frame_count,
        )

    def _stop_here(self, index: int) -> None:
        if index == self._stop_at_frame and not self._stop_once.is_set():
            self._stop_once.set()
            os.kill(os.getpid(), signal.SIGSTOP)

    def _render(self, run: _Run) -> None:
        job, total = run.job, run.job.frame_count
        with SegmentedMp4Writer(
            Path(job.output_path),
            width=job.width,
            height=job.height,
            fps=job.fps,
            frame_count=total,
            settings=self.settings,
            segments=self.segments,
            metadata=AIGC_METADATA if job.watermark else None,
        ) as writer:
            first, *rest = writer.segments
            helpers = [
                threading.Thread(target=run.segment, args=(segment,), name=f"preview-{n + 1}")
                for n, segment in enumerate(rest)
            ]
            for thread in helpers:
                thread.start()
            run.segment(first)
            for thread in helpers:
                thread.join()
            if run.error is not None:
                raise run.error
            run.on_progress(Phase.ENCODING, total, total)


class _Run:
    """What the segment threads of one clip share: the frame count done, progress reports, the
    cancel check (called once per frame, between frames) and the first error, which stops all."""

    def __init__(
        self,
        job: GenerationJob,
        renderer: Renderer,
        overlays: list[Overlay],
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
        before_frame: Callable[[int], None] = lambda index: None,
    ) -> None:
        self.job = job
        self.before_frame = before_frame
        self.renderer = renderer
        self.overlays = overlays
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.done = 0
        self.error: BaseException | None = None
        self._every = max(1, job.frame_count // PROGRESS_REPORTS)
        self._last_report = time.monotonic()
        self._lock = threading.Lock()

    def segment(self, segment: Segment) -> None:
        try:
            for index in segment.frames:
                if not self._go_on(index):
                    return
                frame = segment.acquire()
                target = planes_of(frame)
                self.renderer.render(index, target)
                for overlay in self.overlays:
                    overlay.blend_into(target)
                segment.submit(frame)
                self._frame_done()
        except BaseException as error:
            with self._lock:
                self.error = self.error or error

    def _go_on(self, index: int) -> bool:
        with self._lock:  # held: no other segment thread is reporting progress meanwhile
            self.before_frame(index)
            if self.error is None and self.should_cancel():
                self.error = TaskCancelled(
                    f"task {self.job.task_id} cancelled at frame {index}/{self.job.frame_count}"
                )
            return self.error is None

    def _frame_done(self) -> None:
        total = self.job.frame_count
        with self._lock:
            self.done += 1
            now = time.monotonic()
            due = self.done % self._every == 0 or now - self._last_report >= PROGRESS_SECONDS
            if due or self.done == total:
                self.on_progress(Phase.RENDERING, self.done, total)
                self._last_report = now
