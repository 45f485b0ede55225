"""Registry checks, weights checks and frame/size rules: pure Python, no torch needed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reelserve.adapters.engines.diffusers import weights
from reelserve.adapters.engines.diffusers.engine import build_prompt
from reelserve.adapters.engines.diffusers.spec import Family, frames_for, generation_size
from reelserve.adapters.engines.preview.engine import PreviewEngine
from reelserve.adapters.engines.registry import RegistryError, load_router
from reelserve.domain.requests import Mode
from tests.diffusers.conftest import make_job, pipeline_table, write_registry

pytestmark = pytest.mark.diffusers


@pytest.mark.parametrize(
    ("duration", "fps", "step", "frames"),
    [(6, 16, 4, 97), (10, 16, 4, 161), (5.0625, 16, 4, 81), (6, 24, 8, 145), (10, 24, 8, 241)],
)
def test_frame_count_follows_the_pipeline_rule(
    duration: float, fps: int, step: int, frames: int
) -> None:
    assert frames_for(duration, fps, step) == frames


@pytest.mark.parametrize(
    ("size", "native", "multiple", "expected"),
    [
        ((1366, 768), (1280, 720), 16, (1280, 720)),
        ((768, 1366), (1280, 720), 16, (720, 1280)),
        ((1280, 720), (832, 480), 16, (848, 480)),
        ((1920, 1080), (1216, 704), 32, (1248, 704)),
        ((64, 36), (32, 32), 16, (48, 32)),
    ],
)
def test_generation_size_keeps_aspect_and_native_area(
    size: tuple[int, int], native: tuple[int, int], multiple: int, expected: tuple[int, int]
) -> None:
    assert generation_size(*size, native=native, multiple=multiple) == expected


def test_camera_plan_becomes_plain_words_with_the_prompt_optimizer(tmp_path: Path) -> None:
    job = make_job(tmp_path, prompt="a red fox runs [Push in], [Pan left]")
    assert build_prompt(job) == "a red fox runs, the camera slowly pushes in, then pans left"
    raw = make_job(tmp_path, prompt="a red fox runs [Push in]", prompt_optimizer=False)
    assert build_prompt(raw) == "a red fox runs"


# --- weights directories, written by hand -------------------------------------------------


def _fake_pipeline(root: Path, *, expand: bool = False, in_channels: int = 16) -> Path:
    """A directory shaped like a saved Wan pipeline (configs real, weights files tiny)."""
    root.mkdir(parents=True)
    index = {
        "_class_name": "WanPipeline",
        "expand_timesteps": expand,
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "UMT5EncoderModel"],
        "tokenizer": ["transformers", "TokenizersBackend"],
        "transformer": ["diffusers", "WanTransformer3DModel"],
        "transformer_2": [None, None],
        "vae": ["diffusers", "AutoencoderKLWan"],
    }
    (root / "model_index.json").write_text(json.dumps(index))
    for name, config in {
        "text_encoder": {},
        "transformer": {"in_channels": in_channels, "patch_size": [1, 2, 2]},
        "vae": {"z_dim": 48 if expand else 16, "scale_factor_spatial": 16 if expand else 8},
    }.items():
        (root / name).mkdir()
        (root / name / "config.json").write_text(json.dumps(config))
        (root / name / "model.safetensors").write_bytes(b"\0")
    (root / "scheduler").mkdir()
    (root / "scheduler" / "scheduler_config.json").write_text("{}")
    (root / "tokenizer").mkdir()
    (root / "tokenizer" / "tokenizer.json").write_text("{}")
    return root


def test_missing_weights_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        weights.WeightsError, match=re.escape(f"{tmp_path / 'nope'} does not exist")
    ):
        weights.inspect(tmp_path / "nope", Family.WAN)


def test_directory_without_model_index_is_refused(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    with pytest.raises(weights.WeightsError, match=re.escape("has no model_index.json")):
        weights.inspect(tmp_path / "w", Family.WAN)


def test_missing_component_and_weights_are_listed(tmp_path: Path) -> None:
    root = _fake_pipeline(tmp_path / "w")
    (root / "vae" / "model.safetensors").unlink()
    for item in (root / "tokenizer").iterdir():
        item.unlink()
    (root / "tokenizer").rmdir()
    with pytest.raises(weights.WeightsError) as caught:
        weights.inspect(root, Family.WAN)
    message = str(caught.value)
    assert str(root) in message
    assert "tokenizer/ (TokenizersBackend) is missing" in message
    assert "vae/ has no weights file" in message


def test_missing_shard_is_named(tmp_path: Path) -> None:
    root = _fake_pipeline(tmp_path / "w")
    (root / "transformer" / "model.safetensors").unlink()
    shard_map = {"weight_map": {"a": "part-1.safetensors", "b": "part-2.safetensors"}}
    (root / "transformer" / "model.safetensors.index.json").write_text(json.dumps(shard_map))
    (root / "transformer" / "part-1.safetensors").write_bytes(b"\0")
    with pytest.raises(weights.WeightsError, match=r"transformer/part-2\.safetensors"):
        weights.inspect(root, Family.WAN)


@pytest.mark.parametrize(
    ("expand", "in_channels", "modes"),
    [
        (False, 16, {Mode.T2V}),  # Wan2.1 T2V
        (True, 48, {Mode.T2V, Mode.I2V}),  # Wan2.2-TI2V-5B: no last frame
        (False, 36, {Mode.I2V, Mode.FL2V}),  # Wan2.2-I2V-A14B (no CLIP encoder)
    ],
)
def test_modes_are_read_from_the_configs(
    tmp_path: Path, expand: bool, in_channels: int, modes: set[Mode]
) -> None:
    root = _fake_pipeline(tmp_path / "w", expand=expand, in_channels=in_channels)
    assert weights.inspect(root, Family.WAN).modes == modes


# --- the registry file --------------------------------------------------------------------


def test_no_registry_keeps_every_model_on_preview() -> None:
    preview = PreviewEngine()
    router = load_router(None, preview=preview)
    assert router.engine_for("MiniMax-Hailuo-02") is preview
    assert router.engines() == [preview]


def test_registry_load_fails_naming_an_incomplete_weights_dir(tmp_path: Path) -> None:
    root = _fake_pipeline(tmp_path / "w")
    (root / "transformer" / "config.json").unlink()
    path = write_registry(
        tmp_path,
        pipeline_table("wan", "wan", root)
        + '[models."MiniMax-Hailuo-02"]\nengine = "diffusers"\nt2v = "wan"\n',
    )
    with pytest.raises(RegistryError) as caught:
        load_router(path, preview=PreviewEngine())
    assert str(path) in str(caught.value)
    assert f"weights directory {root} is incomplete: transformer/config.json" in str(caught.value)


def test_fl2v_on_a_checkpoint_that_ignores_the_last_frame_is_refused(tmp_path: Path) -> None:
    root = _fake_pipeline(tmp_path / "w", expand=True, in_channels=48)
    path = write_registry(
        tmp_path,
        pipeline_table("ti2v", "wan", root)
        + '[models."MiniMax-Hailuo-02"]\nengine = "diffusers"\nfl2v = "ti2v"\n',
    )
    with pytest.raises(RegistryError, match="silently ignore last_image"):
        load_router(path, preview=PreviewEngine())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[models."Nope-01"]\nengine = "diffusers"\n', r'"Nope-01"\] is not a catalog model'),
        ('[models."T2V-01"]\nengien = "preview"\n', "unknown key.*engien"),
        ('[models."T2V-01"]\nengine = "diffusers"\nt2v = "ghost"\n', r"no \[pipelines.ghost\]"),
        ('[models."T2V-01"]\nengine = "diffusers"\ni2v = "ghost"\n', "does not offer mode i2v"),
        ('[models."T2V-01"]\nengine = "gpu"\n', "engine is 'gpu'"),
        ("[models\n", "cannot be read"),
    ],
)
def test_registry_mistakes_name_the_file_and_the_fault(
    tmp_path: Path, body: str, message: str
) -> None:
    path = write_registry(tmp_path, body)
    with pytest.raises(RegistryError, match=message) as caught:
        load_router(path, preview=PreviewEngine())
    assert str(path) in str(caught.value)


def test_missing_registry_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=re.escape("engines.toml does not exist")):
        load_router(tmp_path / "engines.toml", preview=PreviewEngine())


def test_models_mapped_to_preview_and_aliases_resolve(tmp_path: Path) -> None:
    preview = PreviewEngine()
    path = write_registry(tmp_path, '[models."minimax_t2v_01"]\nengine = "preview"\n')
    router = load_router(path, preview=preview)
    assert router.engine_for("T2V-01") is preview


def test_example_registry_parses_up_to_the_weights_check() -> None:
    """The shipped example is valid TOML whose first fault is only the absent weights."""
    example = Path(__file__).parents[2] / "src" / "reelserve" / "engines.example.toml"
    with pytest.raises(RegistryError, match="does not exist"):
        load_router(example, preview=PreviewEngine())


def test_importing_the_registry_does_not_import_torch() -> None:
    code = (
        "import sys, reelserve.adapters.engines.registry, reelserve.adapters.engines.diffusers\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("model", ["MiniMax-H3", "sora-2", "sora-2-pro"])
def test_dialect_models_can_be_mapped_to_a_pipeline(tmp_path: Path, model: str) -> None:
    root = _fake_pipeline(tmp_path / "w", expand=True, in_channels=48)
    path = write_registry(
        tmp_path,
        pipeline_table("ti2v", "wan", root)
        + f'[models."{model}"]\nengine = "diffusers"\nt2v = "ti2v"\ni2v = "ti2v"\n',
    )
    preview = PreviewEngine()
    router = load_router(path, preview=preview)
    assert router.engine_for(model) is not preview
    assert router.engine_for("MiniMax-Hailuo-02") is preview
