"""The keyword arguments of one pipeline call, per family and mode, and failure helpers.

- Wan T2V: ``WanPipeline(prompt, …)``; I2V: ``WanImageToVideoPipeline(image=first)``; first+last:
  the same with ``last_image=last`` (only checkpoints that use it reach here, see ``weights``).
- LTX: ``LTXConditionPipeline`` with ``conditions`` at frame 0 and, for first+last, at the last
  frame (``num_frames - 1``); no conditions for T2V.

The generator is a CPU ``torch.Generator`` seeded with the job's seed: diffusers draws the initial
noise on it and moves it to the device, so a seed gives the same video on any machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reelserve.adapters.engines.diffusers import frames
from reelserve.adapters.engines.diffusers.spec import Family, PipelineSpec
from reelserve.domain.errors import GenerationFailed
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode

if TYPE_CHECKING:
    from reelserve.adapters.engines.diffusers.engine import Plan


class Interrupted(Exception):
    """Raised from ``callback_on_step_end`` to leave the denoising loop before the VAE runs."""


def arguments(spec: PipelineSpec, plan: Plan, job: GenerationJob) -> dict[str, Any]:
    import torch

    kwargs: dict[str, Any] = {
        "prompt": plan.prompt,
        "negative_prompt": spec.negative_prompt or None,
        "height": plan.gen_height,
        "width": plan.gen_width,
        "num_frames": plan.num_frames,
        "num_inference_steps": spec.steps,
        "guidance_scale": spec.guidance,
        "generator": torch.Generator(device="cpu").manual_seed(job.seed),
        "output_type": "np",
    }
    if spec.max_sequence_length is not None:
        kwargs["max_sequence_length"] = spec.max_sequence_length
    if spec.family is Family.WAN:
        kwargs.update(_wan_images(plan, job))
        if spec.guidance_2 is not None:
            kwargs["guidance_scale_2"] = spec.guidance_2
    else:
        kwargs["frame_rate"] = spec.native_fps
        conditions = _ltx_conditions(plan, job)
        if conditions:
            kwargs["conditions"] = conditions
    return kwargs


def _images(plan: Plan, job: GenerationJob) -> tuple[Any, Any]:
    if job.mode is Mode.T2V:
        return None, None
    if job.first_frame is None:
        raise GenerationFailed(f"mode {job.mode.value} needs a first frame but the job has none")
    first = frames.load_condition(job.first_frame, plan.gen_width, plan.gen_height)
    if job.mode is not Mode.FL2V:
        return first, None
    if job.last_frame is None:
        raise GenerationFailed("mode fl2v needs a last frame but the job has none")
    return first, frames.load_condition(job.last_frame, plan.gen_width, plan.gen_height)


def _wan_images(plan: Plan, job: GenerationJob) -> dict[str, Any]:
    first, last = _images(plan, job)
    if first is None:
        return {}
    return {"image": first} if last is None else {"image": first, "last_image": last}


def _ltx_conditions(plan: Plan, job: GenerationJob) -> list[Any]:
    first, last = _images(plan, job)
    if first is None:
        return []
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    conditions = [LTXVideoCondition(image=first, frame_index=0)]
    if last is not None:
        conditions.append(LTXVideoCondition(image=last, frame_index=plan.num_frames - 1))
    return conditions


def is_out_of_memory(error: BaseException) -> bool:
    import torch

    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def oom_message(plan: Plan, device: str) -> str:
    return (
        f"out of memory: {plan.spec.name} could not generate {plan.num_frames} frames at "
        f"{plan.gen_width}x{plan.gen_height} on {device}; choose a lower resolution or a shorter "
        'duration, or set cpu_offload = "model" and vae_tiling = true for this pipeline in the '
        "engine registry"
    )
