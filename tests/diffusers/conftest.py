"""Fixtures for the diffusers engine: tiny pipelines saved to disk, a registry file, jobs.

The hub is switched off before anything imports huggingface_hub: every fixture is built from
configs in code (``tiny_models``), so these tests never download.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from reelserve.domain import camera
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode

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
        first_frame=images[0] if images and mode is not Mode.T2V else None,
        last_frame=images[1] if images and mode is Mode.FL2V else None,
        width=width,
        height=height,
        fps=25,
        frame_count=round(duration_s * 25),
        seed=seed,
        watermark=watermark,
        output_path=tmp_path / name,
    )
