"""The ``diffusers`` engine kind: ``[runtime]``, ``[pipelines.*]`` and a model's mode mapping.

::

    [pipelines.wan21-t2v]
    family = "wan"
    weights = "/models/Wan2.1-T2V-1.3B-Diffusers"

    [models."MiniMax-Hailuo-02"]
    engine = "diffusers"
    t2v = "wan21-t2v"

Everything is checked when the registry is read: unknown keys, a weights directory that is
missing or incomplete, a mode mapped to a checkpoint that cannot serve it (e.g. first+last frame
on Wan2.2-TI2V-5B, which ignores the last frame). Nothing is loaded and torch is not imported;
``preload = true`` pipelines are loaded by ``DiffusersEngine.warm`` when a worker starts.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelserve.adapters.engines.diffusers import families, weights
from reelserve.adapters.engines.diffusers.engine import DiffusersEngine
from reelserve.adapters.engines.diffusers.fallback import ModeFallbackEngine
from reelserve.adapters.engines.diffusers.runtime import Runtime
from reelserve.adapters.engines.diffusers.spec import (
    DTYPES,
    Family,
    Offload,
    OutputSize,
    PipelineSpec,
)
from reelserve.adapters.engines.registry import (
    EngineRequest,
    RegistryError,
    RegistryFile,
    as_table,
    check_keys,
    choice,
)
from reelserve.domain.requests import Mode
from reelserve.ports import Engine

log = logging.getLogger(__name__)

_PIPELINE_KEYS = {
    "family", "weights", "native_width", "native_height", "native_fps", "steps", "guidance",
    "guidance_2", "flow_shift", "negative_prompt", "max_sequence_length", "dtype", "vae_dtype",
    "cpu_offload", "vae_tiling", "preload",
}  # fmt: skip
_MODE_KEYS = {"t2v": Mode.T2V, "i2v": Mode.I2V, "fl2v": Mode.FL2V, "s2v": Mode.S2V}
_MODEL_KEYS = {"pipeline", "output_size", "fallback", *_MODE_KEYS}


@dataclass(frozen=True, slots=True)
class _Setup:
    """What every diffusers model of one file shares: the device runtime and the pipelines."""

    runtime: Runtime
    pipelines: Mapping[str, PipelineSpec]


def make(request: EngineRequest) -> Engine:
    """The engine factory of the ``diffusers`` kind (entry point ``reelserve.engines``)."""
    file = request.file
    setup = file.shared("diffusers", lambda: _setup(file, request.device))
    request.check_keys(_MODEL_KEYS)
    engine = _engine(request, setup)
    return _with_fallback(engine, request)


def _setup(file: RegistryFile, device: str) -> _Setup:
    _require_extra(file.path)
    runtime_table = file.table("runtime")
    check_keys(file, "[runtime]", runtime_table, {"max_loaded"})
    runtime = Runtime(device, max_loaded=int(runtime_table.get("max_loaded", 1)))
    pipelines = {
        name: _pipeline(file, name, as_table(file, f"pipelines.{name}", table))
        for name, table in file.table("pipelines").items()
    }
    preloaded = sorted(name for name, spec in pipelines.items() if spec.preload)
    if len(preloaded) > runtime.max_loaded:
        raise file.error(
            f"{len(preloaded)} pipelines have preload = true ({', '.join(preloaded)}) "
            f"but [runtime] max_loaded is {runtime.max_loaded}"
        )
    return _Setup(runtime=runtime, pipelines=pipelines)


def _pipeline(file: RegistryFile, name: str, table: dict[str, Any]) -> PipelineSpec:
    where = f"[pipelines.{name}]"
    check_keys(file, where, table, _PIPELINE_KEYS)
    for key in ("family", "weights"):
        if key not in table:
            raise file.error(f"{where} needs {key!r}")
    family = Family(choice(file, where, "family", table["family"], tuple(Family)))
    directory = Path(str(table["weights"])).expanduser()
    if not directory.is_absolute():
        directory = (file.path.parent / directory).resolve()
    try:
        info = weights.inspect(directory, family)
    except weights.WeightsError as error:
        raise file.error(f"{where}: {error}") from error
    default = families.info(family).defaults  # docs/diffusers.md cites each
    vae_dtype = table.get("vae_dtype")
    return PipelineSpec(
        name=name,
        family=family,
        weights=directory,
        modes=info.modes,
        native_width=int(table.get("native_width", default.width)),
        native_height=int(table.get("native_height", default.height)),
        native_fps=int(table.get("native_fps", default.fps)),
        steps=int(table.get("steps", default.steps)),
        guidance=float(table.get("guidance", default.guidance)),
        guidance_2=_optional_float(table.get("guidance_2")),
        flow_shift=_optional_float(table.get("flow_shift", default.flow_shift)),
        negative_prompt=str(table.get("negative_prompt", default.negative_prompt)),
        max_sequence_length=_optional_int(table.get("max_sequence_length")),
        frame_step=info.frame_step,
        frame_offset=info.frame_offset,
        min_frames=info.min_frames,
        max_frames=info.max_frames,
        size_multiple=info.size_multiple,
        dtype=choice(file, where, "dtype", table.get("dtype", "auto"), DTYPES),
        vae_dtype=None
        if vae_dtype is None
        else choice(file, where, "vae_dtype", vae_dtype, DTYPES),
        cpu_offload=Offload(
            choice(file, where, "cpu_offload", table.get("cpu_offload", "none"), tuple(Offload))
        ),
        vae_tiling=bool(table.get("vae_tiling", False)),
        preload=bool(table.get("preload", False)),
    )


def _optional_float(value: object) -> float | None:
    return None if value is None else float(str(value))


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _engine(request: EngineRequest, setup: _Setup) -> DiffusersEngine:
    file, where, model, table = request.file, request.where, request.model, request.options
    by_mode: dict[Mode, PipelineSpec] = {}
    default = table.get("pipeline")
    for key, mode in _MODE_KEYS.items():
        explicit = table.get(key)
        chosen = explicit if explicit is not None else default
        if chosen is None or not model.supports(mode):
            if explicit is not None:
                raise file.error(f"{where}: {model.name} does not offer mode {key}")
            continue
        spec = setup.pipelines.get(str(chosen))
        if spec is None:
            raise file.error(f"{where}.{key}: no [pipelines.{chosen}] in the file")
        if mode in spec.modes:
            by_mode[mode] = spec
        elif explicit is not None:
            reason = weights.inspect(spec.weights, spec.family).refusals.get(mode, "unsupported")
            raise file.error(
                f"{where}.{key}: pipeline {chosen!r} ({spec.weights}) cannot serve {key}: {reason}"
            )
    if not by_mode:
        raise file.error(f"{where} maps no mode to a pipeline ('pipeline' or t2v/…)")
    size = choice(file, where, "output_size", table.get("output_size", "resize"), tuple(OutputSize))
    return DiffusersEngine(model.name, by_mode, setup.runtime, output_size=OutputSize(size))


def _with_fallback(engine: DiffusersEngine, request: EngineRequest) -> Engine:
    fallback = choice(
        request.file,
        request.where,
        "fallback",
        request.options.get("fallback", "preview"),
        ("preview", "fail"),
    )
    missing = [m for m in request.model.modes if not engine.supports(m)]
    if not missing or fallback == "fail":
        return engine
    log.warning(
        "%s: %s modes %s have no diffusers pipeline; the preview engine serves them",
        request.file.path,
        engine.model,
        ", ".join(m.value for m in missing),
    )
    return ModeFallbackEngine(engine, request.preview)


def _require_extra(path: Path) -> None:
    for module in ("torch", "diffusers", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise RegistryError(
                f"{path} maps models to the diffusers engine but {module!r} is not installed; "
                "install the extra: pip install 'reelserve[diffusion]'"
            )
