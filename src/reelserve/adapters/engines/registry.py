"""The engine registry: which engine serves each public model, read from a TOML file.

With no file every model stays on the preview engine. The file (``engines.example.toml`` is the
documented example; docs/diffusers.md is the reference) names pipelines (a local weights
directory plus how to run it) and maps catalog model names to them::

    [pipelines.wan21-t2v]
    family = "wan"
    weights = "/models/Wan2.1-T2V-1.3B-Diffusers"

    [models."MiniMax-Hailuo-02"]
    engine = "diffusers"
    t2v = "wan21-t2v"

Everything is checked at start-up: unknown keys, unknown model names, a weights directory that
is missing or incomplete, a mode mapped to a checkpoint that cannot serve it (e.g. first+last
frame on Wan2.2-TI2V-5B, which ignores the last frame). Importing this module imports no torch.
"""

from __future__ import annotations

import importlib.util
import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelserve.adapters.engines.diffusers import weights
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
from reelserve.domain import catalog
from reelserve.domain.requests import Mode
from reelserve.ports import Engine

log = logging.getLogger(__name__)

# Per family: native width, height, fps, steps, guidance (docs/diffusers.md cites each).
_FAMILY_DEFAULTS: Mapping[Family, tuple[int, int, int, int, float]] = {
    Family.WAN: (832, 480, 16, 50, 5.0),
    Family.LTX: (768, 512, 24, 50, 3.0),
}
_PIPELINE_KEYS = {
    "family", "weights", "native_width", "native_height", "native_fps", "steps", "guidance",
    "guidance_2", "flow_shift", "negative_prompt", "max_sequence_length", "dtype", "vae_dtype",
    "cpu_offload", "vae_tiling", "preload",
}  # fmt: skip
_MODE_KEYS = {"t2v": Mode.T2V, "i2v": Mode.I2V, "fl2v": Mode.FL2V}
_MODEL_KEYS = {"engine", "pipeline", "output_size", "fallback", *_MODE_KEYS}
_ENGINES = ("preview", "diffusers")
_RELAYED = "upstream"  # models and [upstreams.*] read by adapters/engines/upstream/config.py


class RegistryError(Exception):
    """The registry file cannot be used; the message names the file or directory and the fault."""


class EngineRouter:
    """Catalog model name → the engine that serves it (the preview engine unless mapped)."""

    def __init__(self, preview: Engine, by_model: Mapping[str, Engine]) -> None:
        self._preview = preview
        self._by_model = dict(by_model)

    def engine_for(self, model: str) -> Engine:
        spec = catalog.lookup(model)
        name = spec.name if spec is not None else model
        return self._by_model.get(name, self._preview)

    def engines(self) -> list[Engine]:
        unique: dict[int, Engine] = {id(self._preview): self._preview}
        for engine in self._by_model.values():
            unique.setdefault(id(engine), engine)
        return list(unique.values())


def load_router(
    path: Path | None,
    *,
    preview: Engine,
    device: str = "auto",
    relayed: Mapping[str, Engine] | None = None,
) -> EngineRouter:
    """Read and check the registry at ``path`` (None: every model on ``preview``).

    ``relayed``: the engines of the models with ``engine = "upstream"`` (built by the relay)."""
    if path is None:
        return EngineRouter(preview, {})
    data = _read(path)
    _check_keys(path, "the file", data, {"runtime", "pipelines", "models", "upstreams"})
    runtime_table = _table(path, "runtime", data.get("runtime", {}))
    _check_keys(path, "[runtime]", runtime_table, {"max_loaded"})
    runtime = Runtime(device, max_loaded=int(runtime_table.get("max_loaded", 1)))
    pipelines = {
        name: _pipeline(path, name, _table(path, f"pipelines.{name}", table))
        for name, table in _table(path, "pipelines", data.get("pipelines", {})).items()
    }
    by_model: dict[str, Engine] = {}
    for raw_name, table in _table(path, "models", data.get("models", {})).items():
        table = _table(path, f"models.{raw_name}", table)
        if table.get("engine") == _RELAYED:
            continue
        name, engine = _model(path, raw_name, table, pipelines, runtime)
        if engine is not None:
            by_model[name] = _with_fallback(engine, preview, table, path, raw_name)
    if by_model:
        _require_extra(path)
        _preload(path, by_model, runtime)
    return EngineRouter(preview, {**by_model, **(relayed or {})})


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RegistryError(f"engine registry {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RegistryError(f"engine registry {path} cannot be read: {error}") from error


def _table(path: Path, where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RegistryError(f"{path}: [{where}] must be a table")
    return value


def _check_keys(path: Path, where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RegistryError(
            f"{path}: unknown key(s) {', '.join(unknown)} in {where}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _choice(path: Path, where: str, key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise RegistryError(f"{path}: {where}.{key} is {value!r}; choose one of {allowed}")
    return str(value)


def _pipeline(path: Path, name: str, table: dict[str, Any]) -> PipelineSpec:
    where = f"[pipelines.{name}]"
    _check_keys(path, where, table, _PIPELINE_KEYS)
    for key in ("family", "weights"):
        if key not in table:
            raise RegistryError(f"{path}: {where} needs {key!r}")
    family = Family(_choice(path, where, "family", table["family"], tuple(Family)))
    directory = Path(str(table["weights"])).expanduser()
    if not directory.is_absolute():
        directory = (path.parent / directory).resolve()
    try:
        info = weights.inspect(directory, family)
    except weights.WeightsError as error:
        raise RegistryError(f"{path}: {where}: {error}") from error
    width, height, fps, steps, guidance = _FAMILY_DEFAULTS[family]
    vae_dtype = table.get("vae_dtype")
    return PipelineSpec(
        name=name,
        family=family,
        weights=directory,
        modes=info.modes,
        native_width=int(table.get("native_width", width)),
        native_height=int(table.get("native_height", height)),
        native_fps=int(table.get("native_fps", fps)),
        steps=int(table.get("steps", steps)),
        guidance=float(table.get("guidance", guidance)),
        guidance_2=_optional_float(table.get("guidance_2")),
        flow_shift=_optional_float(table.get("flow_shift")),
        negative_prompt=str(table.get("negative_prompt", "")),
        max_sequence_length=_optional_int(table.get("max_sequence_length")),
        frame_step=info.frame_step,
        size_multiple=info.size_multiple,
        dtype=_choice(path, where, "dtype", table.get("dtype", "auto"), DTYPES),
        vae_dtype=None
        if vae_dtype is None
        else _choice(path, where, "vae_dtype", vae_dtype, DTYPES),
        cpu_offload=Offload(
            _choice(path, where, "cpu_offload", table.get("cpu_offload", "none"), tuple(Offload))
        ),
        vae_tiling=bool(table.get("vae_tiling", False)),
        preload=bool(table.get("preload", False)),
    )


def _optional_float(value: object) -> float | None:
    return None if value is None else float(str(value))


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _model(
    path: Path,
    raw_name: str,
    table: dict[str, Any],
    pipelines: Mapping[str, PipelineSpec],
    runtime: Runtime,
) -> tuple[str, DiffusersEngine | None]:
    where = f'[models."{raw_name}"]'
    _check_keys(path, where, table, _MODEL_KEYS)
    model = catalog.lookup(raw_name)
    if model is None:
        raise RegistryError(
            f"{path}: {where} is not a catalog model; known: {', '.join(catalog.MODELS)}"
        )
    engine = _choice(path, where, "engine", table.get("engine", "diffusers"), _ENGINES)
    if engine == "preview":
        return model.name, None
    by_mode: dict[Mode, PipelineSpec] = {}
    default = table.get("pipeline")
    for key, mode in _MODE_KEYS.items():
        explicit = table.get(key)
        chosen = explicit if explicit is not None else default
        if chosen is None or not model.supports(mode):
            if explicit is not None:
                raise RegistryError(f"{path}: {where}: {model.name} does not offer mode {key}")
            continue
        spec = pipelines.get(str(chosen))
        if spec is None:
            raise RegistryError(f"{path}: {where}.{key}: no [pipelines.{chosen}] in the file")
        if mode in spec.modes:
            by_mode[mode] = spec
        elif explicit is not None:
            reason = weights.inspect(spec.weights, spec.family).refusals.get(mode, "unsupported")
            raise RegistryError(
                f"{path}: {where}.{key}: pipeline {chosen!r} ({spec.weights}) cannot serve "
                f"{key}: {reason}"
            )
    if not by_mode:
        raise RegistryError(f"{path}: {where} maps no mode to a pipeline ('pipeline' or t2v/…)")
    size = _choice(
        path, where, "output_size", table.get("output_size", "resize"), tuple(OutputSize)
    )
    return model.name, DiffusersEngine(model.name, by_mode, runtime, output_size=OutputSize(size))


def _with_fallback(
    engine: DiffusersEngine,
    preview: Engine,
    table: Mapping[str, Any],
    path: Path,
    raw_name: str,
) -> Engine:
    where = f'[models."{raw_name}"]'
    fallback = _choice(
        path, where, "fallback", table.get("fallback", "preview"), ("preview", "fail")
    )
    model = catalog.lookup(raw_name)
    missing = [m for m in (model.modes if model else ()) if not engine.supports(m)]
    if not missing or fallback == "fail":
        return engine
    log.warning(
        "%s: %s modes %s have no diffusers pipeline; the preview engine serves them",
        path,
        engine.model,
        ", ".join(m.value for m in missing),
    )
    return ModeFallbackEngine(engine, preview)


def _require_extra(path: Path) -> None:
    for module in ("torch", "diffusers", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise RegistryError(
                f"{path} maps models to the diffusers engine but {module!r} is not installed; "
                "install the extra: pip install 'reelserve[diffusion]'"
            )


def _preload(path: Path, by_model: Mapping[str, Engine], runtime: Runtime) -> None:
    wanted = {
        (spec.name, mode): spec
        for engine in by_model.values()
        for mode, spec in _diffusers_of(engine).pipelines.items()
        if spec.preload
    }
    names = {name for name, _ in wanted}
    if len(names) > runtime.max_loaded:
        raise RegistryError(
            f"{path}: {len(names)} pipelines have preload = true ({', '.join(sorted(names))}) "
            f"but [runtime] max_loaded is {runtime.max_loaded}"
        )
    for (_, mode), spec in wanted.items():
        try:
            with runtime.lock:
                runtime.pipeline(spec, mode)
        except Exception as error:
            raise RegistryError(f"{path}: preloading {spec.weights} failed: {error}") from error


def _diffusers_of(engine: Engine) -> DiffusersEngine:
    if isinstance(engine, ModeFallbackEngine):
        return engine.primary
    assert isinstance(engine, DiffusersEngine)
    return engine
