"""``DiffusersEngine``: one public model served by open diffusion pipelines (Wan, LTX-Video,
SkyReels-V2, LTX-2, HunyuanVideo 1.5, Helios, MiniMax-H3).

Per task: pick the pipeline for the job's mode, derive the frame count from the clip's duration at
the model's native fps (rounded to the pipeline's 4k+1 / 8k+1 / 17k+5 rule) and a generation size
with the job's aspect at the model's native pixel count, run the pipeline under the device lock
with progress and cancellation wired to ``callback_on_step_end`` (or, for pipelines without it, to
the scheduler's ``step``), then resize to the promised size (or keep the native one) and encode
H.264, with the generated soundtrack as AAC when the family makes one and the job wants it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reelserve.adapters.engines.diffusers import calls, families, frames
from reelserve.adapters.engines.diffusers.runtime import Runtime
from reelserve.adapters.engines.diffusers.spec import (
    OutputSize,
    PipelineSpec,
    frames_for,
    generation_size,
)
from reelserve.adapters.media.video import AudioTrack
from reelserve.domain.camera import describe
from reelserve.domain.errors import GenerationFailed, TaskCancelled
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase
from reelserve.ports import CancelCheck, ProgressCallback

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What one job turns into for its pipeline."""

    spec: PipelineSpec
    prompt: str
    num_frames: int
    gen_width: int
    gen_height: int
    out_width: int
    out_height: int


def _frame_count(spec: PipelineSpec, duration: float) -> int:
    count = frames_for(
        duration, spec.native_fps, spec.frame_step, spec.frame_offset, minimum=spec.min_frames
    )
    if spec.max_frames is not None and count > spec.max_frames:  # MiniMax-H3: 15 s at most
        count -= spec.frame_step * -(-(count - spec.max_frames) // spec.frame_step)
    return count


def build_prompt(job: GenerationJob) -> str:
    """No served family documents ``[camera]`` directives (Wan, LTX, SkyReels-V2 and MiniMax-H3's
    diffusers docstrings describe plain-language prompts; H3 encodes the prompt verbatim with
    Qwen3-VL): with the prompt optimizer on, the parsed plan is appended in plain words
    ("..., the camera slowly pushes in, then pans left")."""
    if not job.prompt_optimizer or job.plan.is_empty:
        return job.prompt
    words = describe(job.plan)
    return f"{job.prompt.rstrip(' ,.')}, {words}" if job.prompt.strip() else words


class DiffusersEngine:
    """The ``Engine`` for one public model; ``pipelines`` maps each mode it serves to a spec."""

    name = "diffusers"

    def __init__(
        self,
        model: str,
        pipelines: Mapping[Mode, PipelineSpec],
        runtime: Runtime,
        *,
        output_size: OutputSize = OutputSize.RESIZE,
    ) -> None:
        self.model = model
        self.pipelines = dict(pipelines)
        self.runtime = runtime
        self.output_size = output_size
        self.device_slot: object = runtime  # engines on one runtime run one task at a time

    def warm(self) -> None:
        """Load the pipelines marked ``preload`` (a worker calls this at start, the API never)."""
        for mode, spec in self.pipelines.items():
            if not spec.preload:
                continue
            with self.runtime.lock:
                try:
                    self.runtime.pipeline(spec, mode)
                except Exception as error:
                    raise GenerationFailed(f"preloading {spec.weights} failed: {error}") from error

    def supports(self, mode: Mode) -> bool:
        return mode in self.pipelines

    def plan(self, job: GenerationJob) -> Plan:
        spec = self.pipelines.get(job.mode)
        if spec is None:
            served = ", ".join(sorted(m.value for m in self.pipelines)) or "none"
            raise GenerationFailed(
                f"model {self.model} has no diffusers pipeline for mode {job.mode.value} "
                f"(the engine registry maps: {served})"
            )
        duration = job.frame_count / job.fps if job.fps > 0 else 0.0
        width, height = generation_size(
            job.width,
            job.height,
            native=(spec.native_width, spec.native_height),
            multiple=spec.size_multiple,
        )
        native = self.output_size is OutputSize.NATIVE
        return Plan(
            spec=spec,
            prompt=build_prompt(job),
            num_frames=_frame_count(spec, duration),
            gen_width=width,
            gen_height=height,
            out_width=width if native else job.width,
            out_height=height if native else job.height,
        )

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        plan = self.plan(job)
        spec = plan.spec
        if should_cancel():
            raise TaskCancelled()
        on_progress(Phase.PREPARING, 0, 1)
        with self.runtime.lock:
            started = time.monotonic()
            try:
                pipe = self.runtime.pipeline(spec, job.mode)
            except Exception as error:
                raise GenerationFailed(f"loading {spec.weights} failed: {error}") from error
            kwargs = calls.arguments(spec, plan, job)
            video, audio = self._run(pipe, kwargs, plan, on_progress, should_cancel)
            log.info(
                "diffusers %s: %d frames at %dx%d in %.1fs",
                spec.name,
                plan.num_frames,
                plan.gen_width,
                plan.gen_height,
                time.monotonic() - started,
            )
        return self._encode(video, audio if job.audio else None, plan, job, on_progress)

    def _run(
        self,
        pipe: Any,
        kwargs: dict[str, Any],
        plan: Plan,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> tuple[Any, AudioTrack | None]:
        family = families.info(plan.spec.family)
        total = family.evaluations(plan.spec.steps, plan.num_frames, plan.spec.frame_step)
        on_progress(Phase.RENDERING, 0, total)

        def after_step(step: int) -> None:
            on_progress(Phase.RENDERING, min(step + 1, total), total)
            if should_cancel():
                # Raising beats pipe._interrupt: Wan's loop would still run the VAE decode.
                raise calls.Interrupted()

        def on_step_end(_pipe: Any, step: int, _t: Any, _tensors: dict[str, Any]) -> dict[str, Any]:
            after_step(step)
            return {}

        try:
            if family.step_callback:
                return calls.outputs(pipe, pipe(**kwargs, callback_on_step_end=on_step_end))
            with calls.watching_steps(pipe.scheduler, after_step):
                return calls.outputs(pipe, pipe(**kwargs))
        except calls.Interrupted:
            self.runtime.free_memory()
            raise TaskCancelled() from None
        except Exception as error:
            if calls.is_out_of_memory(error):
                self.runtime.free_memory()
                raise GenerationFailed(calls.oom_message(plan, self.runtime.device)) from error
            raise GenerationFailed(f"{plan.spec.name} failed: {error}") from error

    def _encode(
        self,
        video: Any,
        audio: AudioTrack | None,
        plan: Plan,
        job: GenerationJob,
        on_progress: ProgressCallback,
    ) -> RenderedVideo:
        array = frames.to_uint8(video)
        count = int(array.shape[0])
        # Native output keeps what came out (HunyuanVideo 1.5 I2V picks its own size).
        if self.output_size is OutputSize.NATIVE:
            plan = replace(plan, out_width=int(array.shape[2]), out_height=int(array.shape[1]))
        on_progress(Phase.ENCODING, 0, count)
        written = frames.write_mp4(
            frames.resized(array, plan.out_width, plan.out_height),
            job.output_path,
            width=plan.out_width,
            height=plan.out_height,
            fps=plan.spec.native_fps,
            watermark=job.watermark,
            audio=audio,
        )
        on_progress(Phase.ENCODING, written, count)
        return RenderedVideo(
            path=job.output_path,
            width=plan.out_width,
            height=plan.out_height,
            fps=plan.spec.native_fps,
            frame_count=written,
            has_audio=audio is not None,
        )
