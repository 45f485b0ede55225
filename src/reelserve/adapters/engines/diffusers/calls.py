"""The keyword arguments of one pipeline call, per family and mode, and failure helpers.

- Wan T2V: ``WanPipeline(prompt, …)``; I2V: ``WanImageToVideoPipeline(image=first)``; first+last:
  the same with ``last_image=last`` (only checkpoints that use it reach here, see ``weights``).
- LTX: ``LTXConditionPipeline`` with ``conditions`` at frame 0 and, for first+last, at the last
  frame (``num_frames - 1``); no conditions for T2V.
- SkyReels-V2: ``SkyReelsV2ImageToVideoPipeline(image=first)``, plus ``last_image=last``.
- HunyuanVideo 1.5: ``HunyuanVideo15Pipeline`` (text) and ``HunyuanVideo15ImageToVideoPipeline``
  (``image=first``); no ``guidance_scale`` argument (the ``guider`` component holds it).
- Helios: ``HeliosPipeline``, with ``image=first`` for a first frame.
- LTX-2: ``LTX2Pipeline`` (text), ``LTX2ImageToVideoPipeline(image=first)``, and
  ``LTX2ConditionPipeline`` with ``LTX2VideoCondition`` at latent index 0 and -1 (its ``index`` is a
  latent index; -1 is the last one) for first+last.
- MiniMax-H3: the modular pipeline takes ``image`` / ``last_image`` (``fl2va``) or ``references``
  (``ref2va``, the subject image as a ``MiniMaxH3ImageReference``); it is guidance-distilled, so
  there is no ``negative_prompt`` and no ``guidance_scale``.

The generator is a CPU ``torch.Generator`` seeded with the job's seed: diffusers draws the initial
noise on it and moves it to the device, so a seed gives the same video on any machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from reelserve.adapters.engines.diffusers import frames
from reelserve.adapters.engines.diffusers.spec import Family, PipelineSpec
from reelserve.adapters.media.video import AudioTrack
from reelserve.domain.errors import GenerationFailed
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode

if TYPE_CHECKING:
    from reelserve.adapters.engines.diffusers.engine import Plan


class Interrupted(Exception):
    """Raised from ``callback_on_step_end`` to leave the denoising loop before the VAE runs."""


def arguments(spec: PipelineSpec, plan: Plan, job: GenerationJob) -> dict[str, Any]:
    if spec.family is Family.MINIMAX_H3:
        return _h3_arguments(spec, plan, job)
    if spec.family is Family.HUNYUANVIDEO15:
        return _hunyuan15_arguments(spec, plan, job)
    kwargs: dict[str, Any] = {
        "prompt": plan.prompt,
        "negative_prompt": spec.negative_prompt or None,
        "height": plan.gen_height,
        "width": plan.gen_width,
        "num_frames": plan.num_frames,
        "num_inference_steps": spec.steps,
        "guidance_scale": spec.guidance,
        "generator": _generator(job),
        "output_type": "np",
    }
    if spec.max_sequence_length is not None:
        kwargs["max_sequence_length"] = spec.max_sequence_length
    if spec.family in (Family.WAN, Family.SKYREELS_V2, Family.HELIOS):
        kwargs.update(_wan_images(plan, job))
        if spec.guidance_2 is not None:
            kwargs["guidance_scale_2"] = spec.guidance_2
    elif spec.family is Family.LTX2:
        kwargs["frame_rate"] = float(spec.native_fps)
        kwargs.update(_ltx2_images(plan, job))
    else:
        kwargs["frame_rate"] = spec.native_fps
        conditions = _ltx_conditions(plan, job)
        if conditions:
            kwargs["conditions"] = conditions
    return kwargs


def _generator(job: GenerationJob) -> Any:
    import torch

    return torch.Generator(device="cpu").manual_seed(job.seed)


def _h3_arguments(spec: PipelineSpec, plan: Plan, job: GenerationJob) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "prompt": plan.prompt,
        "height": plan.gen_height,
        "width": plan.gen_width,
        "num_frames": plan.num_frames,
        "num_inference_steps": spec.steps,
        "generator": _generator(job),
        "output_type": "np",
    }
    if job.mode is Mode.S2V:
        if job.first_frame is None:
            raise GenerationFailed("mode s2v needs a subject image but the job has none")
        from diffusers.modular_pipelines.minimax_h3.references import MiniMaxH3ImageReference

        with Image.open(job.first_frame) as image:
            subject = image.convert("RGB")
        kwargs["references"] = [MiniMaxH3ImageReference(image=subject)]
        return kwargs
    first, last = _images(plan, job, last_alone=True)  # V2 allows a last frame alone
    if first is not None:
        kwargs["image"] = first
    if last is not None:
        kwargs["last_image"] = last
    return kwargs


def _hunyuan15_arguments(spec: PipelineSpec, plan: Plan, job: GenerationJob) -> dict[str, Any]:
    """HunyuanVideo 1.5: guidance comes from the checkpoint's guider; the image-to-video pipeline
    derives its size from the image (already fitted to the generation size) and ``target_size``."""
    kwargs: dict[str, Any] = {
        "prompt": plan.prompt,
        "negative_prompt": spec.negative_prompt or None,
        "num_frames": plan.num_frames,
        "num_inference_steps": spec.steps,
        "generator": _generator(job),
        "output_type": "np",
    }
    first, _ = _images(plan, job)
    if first is None:
        kwargs.update(height=plan.gen_height, width=plan.gen_width)
    else:
        kwargs["image"] = first
    return kwargs


def _images(plan: Plan, job: GenerationJob, *, last_alone: bool = False) -> tuple[Any, Any]:
    if job.mode is Mode.T2V:
        return None, None
    if job.first_frame is None and last_alone and job.mode is Mode.FL2V and job.last_frame:
        return None, frames.load_condition(job.last_frame, plan.gen_width, plan.gen_height)
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


def _ltx2_images(plan: Plan, job: GenerationJob) -> dict[str, Any]:
    first, last = _images(plan, job)
    if first is None:
        return {}
    if last is None:
        return {"image": first}
    from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

    return {
        "conditions": [
            LTX2VideoCondition(frames=first, index=0),
            LTX2VideoCondition(frames=last, index=-1),
        ]
    }


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


def outputs(pipe: Any, result: Any) -> tuple[Any, AudioTrack | None]:
    """Frames and soundtrack of a pipeline's output.

    A ``DiffusionPipeline`` returns an output object with ``frames`` (LTX-2 also ``audio``,
    ``(1, channels, samples)`` at its vocoder's ``output_sampling_rate``); a modular pipeline
    (MiniMax-H3) its final state, with ``videos``, ``audio`` (``(1, 2, samples)``) and
    ``sampling_rate``.
    """
    if hasattr(result, "frames"):
        audio = getattr(result, "audio", None)
        vocoder = getattr(pipe, "vocoder", None)
        rate = vocoder.config.output_sampling_rate if vocoder is not None else None
        return result.frames, _track(audio, rate)
    return result.get("videos"), _track(result.get("audio"), result.get("sampling_rate"))


def _track(audio: Any, rate: Any) -> AudioTrack | None:
    if audio is None or not rate:
        return None
    samples = np.asarray(audio[0].detach().float().cpu().numpy(), dtype=np.float32)
    return AudioTrack(samples=samples, sample_rate=int(rate))


@contextlib.contextmanager
def watching_steps(scheduler: Any, after_step: Callable[[int], None]) -> Iterator[None]:
    """Call ``after_step(i)`` after each ``scheduler.step`` of one pipeline call, for pipelines
    without ``callback_on_step_end`` (MiniMax-H3's modular loop): progress and cancellation then
    work the same way. The wrapper lives on the instance and is removed afterwards."""
    original = scheduler.step
    count = 0

    def step(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        result = original(*args, **kwargs)
        count += 1
        after_step(count - 1)
        return result

    scheduler.step = step
    try:
        yield
    finally:
        del scheduler.step
