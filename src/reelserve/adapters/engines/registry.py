"""The engine registry: which engine serves each public model, read from a TOML file.

With no file every model stays on the preview engine. The file maps catalog model names to an
engine *kind* and that kind's options; a kind may also read top-level tables of its own (the
diffusers kind reads ``[runtime]`` and ``[pipelines.*]``, docs/diffusers.md)::

    [models."MiniMax-Hailuo-02"]
    engine = "diffusers"          # the kind; default "diffusers"
    t2v = "wan21-t2v"             # the rest of the table is the kind's options

An engine kind is a factory registered under a name (docs/engines.md)::

    def make(request: EngineRequest) -> Engine: ...

Built-in kinds (``preview``, ``diffusers``) are registered in code and as entry points of the
group ``reelserve.engines``; other distributions add kinds with one line in their metadata::

    [project.entry-points."reelserve.engines"]
    upstream = "reelserve.adapters.engines.upstream:make"

Factories must be cheap: check the options, build the engine object, load no weights and import
no heavy dependency (that happens on first use, or in an engine's optional ``warm()`` that the
worker calls at start). So the API can read the registry for its capability check without a GPU.
Importing this module imports no torch.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reelserve.domain import catalog
from reelserve.domain.requests import Mode
from reelserve.ports import Engine

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "reelserve.engines"
DEFAULT_KIND = "diffusers"
_T = TypeVar("_T")


class RegistryError(Exception):
    """The registry file cannot be used; the message names the file or directory and the fault."""


@dataclass(slots=True)
class RegistryFile:
    """The parsed file: kinds read their own top-level tables and share state through it."""

    path: Path
    data: Mapping[str, Any]
    read: set[str] = field(default_factory=set)
    _shared: dict[str, Any] = field(default_factory=dict)

    def error(self, message: str) -> RegistryError:
        return RegistryError(f"{self.path}: {message}")

    def table(self, name: str) -> dict[str, Any]:
        """The top-level table ``[name]`` ({} when absent), marked as read."""
        self.read.add(name)
        return as_table(self, name, self.data.get(name, {}))

    def shared(self, key: str, make: Callable[[], _T]) -> _T:
        """One object per file and key, e.g. the diffusers kind's device runtime."""
        if key not in self._shared:
            self._shared[key] = make()
        value: _T = self._shared[key]
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineRequest:
    """What a factory gets for one ``[models."<name>"]`` table whose engine is its kind."""

    model: catalog.ModelSpec  # the catalog entry (name, modes) the engine will serve
    options: Mapping[str, Any]  # the table without ``engine``; the kind checks its own keys
    where: str  # '[models."<name>"]' as written, for messages
    file: RegistryFile
    preview: Engine  # the default engine, e.g. to serve the modes a kind leaves out
    device: str  # the ``engine_device`` setting (auto, cuda, cuda:N, cpu)

    def check_keys(self, allowed: set[str]) -> None:
        check_keys(self.file, self.where, self.options, allowed)


EngineFactory = Callable[[EngineRequest], Engine]


# Built-in kinds, registered in code so that they do not depend on the installed metadata;
# imported only when a registry file is read.
_BUILT_IN_PATHS = {
    "preview": "reelserve.adapters.engines.preview.kind",
    "diffusers": "reelserve.adapters.engines.diffusers.kind",
    "upstream": "reelserve.adapters.engines.upstream.kind",
}
_BUILT_IN: dict[str, EngineFactory] = {}


def register(name: str, factory: EngineFactory) -> None:
    """Register an engine kind in code (built-ins, tests, applications embedding reelserve)."""
    _BUILT_IN[name] = factory


def unregister(name: str) -> None:
    _BUILT_IN.pop(name, None)


def kinds() -> dict[str, EngineFactory]:
    """Every known kind: entry points of ``reelserve.engines``, then those registered in code
    (which win, so an installed distribution cannot replace a built-in by accident)."""
    for name, module in _BUILT_IN_PATHS.items():
        if name not in _BUILT_IN:
            _BUILT_IN[name] = importlib.import_module(module).make
    found: dict[str, EngineFactory] = {}
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in _BUILT_IN:
            continue
        try:
            found[entry.name] = entry.load()
        except Exception as error:  # a broken plug-in must not take the server down
            log.warning("engine kind %r (%s) cannot be loaded: %s", entry.name, entry.value, error)
    return found | _BUILT_IN


class EngineRouter:
    """Catalog model name → the engine that serves it (the preview engine unless mapped)."""

    def __init__(self, preview: Engine, by_model: Mapping[str, Engine]) -> None:
        self._preview = preview
        self._by_model = dict(by_model)

    def engine_for(self, model: str) -> Engine:
        spec = catalog.lookup(model)
        name = spec.name if spec is not None else model
        return self._by_model.get(name, self._preview)

    def supports(self, model: str, mode: Mode) -> bool:
        return self.engine_for(model).supports(mode)

    def engines(self) -> list[Engine]:
        unique: dict[int, Engine] = {id(self._preview): self._preview}
        for engine in self._by_model.values():
            unique.setdefault(id(engine), engine)
        return list(unique.values())

    def device_groups(self) -> list[tuple[frozenset[str], object]]:
        """Models grouped by the device they share (engines with the same ``device_slot``
        run one task at a time), as (models, slot); models on no shared device are left out."""
        groups: dict[int, tuple[set[str], object]] = {}
        for model, engine in self._by_model.items():
            slot = getattr(engine, "device_slot", None)
            if slot is not None:
                groups.setdefault(id(slot), (set(), slot))[0].add(model)
        return [(frozenset(models), slot) for models, slot in groups.values()]

    def warm(self) -> None:
        """Load what engines asked to preload; workers call this at start, the API never."""
        for engine in self.engines():
            warm = getattr(engine, "warm", None)
            if callable(warm):
                warm()


def load_router(path: Path | None, *, preview: Engine, device: str = "auto") -> EngineRouter:
    """Read and check the registry at ``path`` (None: every model on ``preview``)."""
    if path is None:
        return EngineRouter(preview, {})
    file = RegistryFile(path=path, data=_read(path))
    known = kinds()
    by_model: dict[str, Engine] = {}
    for raw_name, value in file.table("models").items():
        table = as_table(file, f'models."{raw_name}"', value)
        model = catalog.lookup(raw_name)
        where = f'[models."{raw_name}"]'
        if model is None:
            raise file.error(f"{where} is not a catalog model; known: {', '.join(catalog.MODELS)}")
        kind = table.get("engine", DEFAULT_KIND)
        if kind not in known:
            raise file.error(f"{where}.engine is {kind!r}; choose one of {tuple(sorted(known))}")
        options = {k: v for k, v in table.items() if k != "engine"}
        request = EngineRequest(
            model=model, options=options, where=where, file=file, preview=preview, device=device
        )
        by_model[model.name] = known[kind](request)
    unread = sorted(set(file.data) - file.read)
    if unread:
        log.warning("%s: table(s) %s are read by no engine kind in use", path, ", ".join(unread))
    return EngineRouter(preview, by_model)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RegistryError(f"engine registry {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RegistryError(f"engine registry {path} cannot be read: {error}") from error


def as_table(file: RegistryFile, where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise file.error(f"[{where}] must be a table")
    return value


def check_keys(file: RegistryFile, where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise file.error(
            f"unknown key(s) {', '.join(unknown)} in {where}; allowed: {', '.join(sorted(allowed))}"
        )


def choice(
    file: RegistryFile, where: str, key: str, value: object, allowed: tuple[str, ...]
) -> str:
    if value not in allowed:
        raise file.error(f"{where}.{key} is {value!r}; choose one of {allowed}")
    return str(value)
