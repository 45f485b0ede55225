"""Fixtures for the diffusers engine: tiny pipelines saved to disk, a registry file, jobs.

The hub is switched off before anything imports huggingface_hub: every fixture is built from
configs in code (``tiny_models``), so these tests never download.
"""

from __future__ import annotations

import functools
import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reelserve.domain import camera
from reelserve.domain.errors import TaskCancelled
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase
from reelserve.ports import Engine

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def weights_root(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """name → directory of that tiny pipeline, saved once per session with save_pretrained."""
    pytest.importorskip("torch", reason="needs the diffusion extra: pip install torch")
    pytest.importorskip("diffusers", reason="needs the diffusion extra (diffusers)")
    pytest.importorskip("transformers", reason="needs the diffusion extra (transformers)")
    from tests.diffusers import tiny_models

    root = tmp_path_factory.mktemp("weights")
    saved: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in saved:
            saved[name] = tiny_models.save(name, root / name)
        return saved[name]

    return get


def pipeline_table(name: str, family: str, weights: Path, **extra: object) -> str:
    """A [pipelines.NAME] table for tiny models: 32×32 native, 16 fps, 2 steps."""
    lines = [
        f"[pipelines.{name}]",
        f'family = "{family}"',
        f'weights = "{weights}"',
        "native_width = 32",
        "native_height = 32",
        "native_fps = 16",
        "steps = 2",
        "max_sequence_length = 16",
    ]
    for key, value in extra.items():
        lines.append(f"{key} = {json.dumps(value)}")  # JSON scalars are valid TOML values
    return "\n".join(lines) + "\n"


def write_registry(directory: Path, body: str) -> Path:
    path = directory / "engines.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, Path]:
    """A red first frame and a blue last frame, 16:9."""
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    Image.new("RGB", (160, 90), (220, 30, 30)).save(first)
    Image.new("RGB", (160, 90), (30, 30, 220)).save(last)
    return first, last


def make_job(
    tmp_path: Path,
    *,
    model: str = "MiniMax-Hailuo-02",
    mode: Mode = Mode.T2V,
    prompt: str = "a red fox runs [Push in], [Pan left]",
    images: tuple[Path, Path] | None = None,
    width: int = 64,
    height: int = 36,
    duration_s: float = 0.5,
    seed: int = 7,
    prompt_optimizer: bool = True,
    watermark: bool = False,
    audio: bool = True,
    name: str = "out.mp4",
) -> GenerationJob:
    plan = camera.parse(prompt)
    return GenerationJob(
        task_id="1",
        model=model,
        mode=mode,
        prompt=plan.prompt,
        raw_prompt=prompt,
        prompt_optimizer=prompt_optimizer,
        plan=plan,
        first_frame=images[0] if images and mode is not Mode.T2V else None,  # s2v: the subject
        last_frame=images[1] if images and mode is Mode.FL2V else None,
        width=width,
        height=height,
        fps=25,
        frame_count=round(duration_s * 25),
        seed=seed,
        watermark=watermark,
        audio=audio,
        output_path=tmp_path / name,
    )


@pytest.fixture
def h3_weights(weights_root: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny MiniMax-H3 directory; without torchvision its Qwen3-VL processor is loaded by
    ``tiny_h3.processor_loader`` (see there: no video processor on a CPU-only torch)."""
    from tests.diffusers import tiny_h3

    if not tiny_h3.HAS_TORCHVISION:
        import transformers

        loader = tiny_h3.processor_loader(transformers.Qwen3VLProcessor.from_pretrained)
        monkeypatch.setattr(transformers.Qwen3VLProcessor, "from_pretrained", loader)
    return weights_root("minimax-h3")


def cancel_after_first_step(engine: Engine, job: GenerationJob) -> list[int]:
    """Run ``job`` asking to cancel once the first step is done; the RENDERING steps reported."""
    steps: list[int] = []

    def progress(phase: Phase, step: int, total: int) -> None:
        if phase is Phase.RENDERING:
            steps.append(step)

    with pytest.raises(TaskCancelled):
        engine.generate(job, on_progress=progress, should_cancel=lambda: bool(steps[1:]))
    return steps


def out_of_memory_once(monkeypatch: pytest.MonkeyPatch, model_class: Any) -> None:
    """The next forward of ``model_class`` raises CUDA's out-of-memory error; later ones run."""
    import torch

    real_forward = model_class.forward
    failures = iter([True])

    @functools.wraps(real_forward)  # modular blocks pass what forward's signature names
    def forward(self: Any, *args: object, **kwargs: object) -> object:
        if next(failures, False):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_forward(self, *args, **kwargs)

    monkeypatch.setattr(model_class, "forward", forward)
