"""The relay's part of the engine registry: ``[upstreams.NAME]`` tables and the models with
``engine = "upstream"``. ``load(path, data, environ)`` is the one entry point; it checks
everything at start-up and never puts a key's value in a message (docs/relay.md)::

    [upstreams.minimax]
    dialect = "minimax"                  # minimax | minimax-v2 | openai
    base_url = "https://api.minimax.io"  # may carry a gateway prefix
    api_key_env = "MINIMAX_API_KEY"

    [models."MiniMax-Hailuo-02"]
    engine = "upstream"
    upstream = ["minimax", "backup"]     # failover order
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from reelserve.adapters.engines.upstream.http import Secret
from reelserve.domain import catalog

N = TypeVar("N", int, float)
DIALECTS = ("minimax", "minimax-v2", "openai")
_UPSTREAM_KEYS = {
    "dialect", "base_url", "api_key_env", "max_in_flight", "poll_interval_s",
    "max_status_per_s", "deadline_s", "timeout_s", "max_bytes",
}  # fmt: skip
MODEL_KEYS = {"upstream", "upstream_model"}


class UpstreamConfigError(Exception):
    """The message names the file, the table and the fault (never a key's value)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamConfig:
    name: str
    dialect: str
    base_url: str
    key: Secret | None
    key_env: str | None
    max_in_flight: int = 20
    poll_interval_s: float = 5.0
    max_status_per_s: float = 5.0
    deadline_s: float = 3600.0
    timeout_s: float = 30.0
    max_bytes: int = 2 * 1024**3


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayedModel:
    model: str  # catalog name
    route: tuple[str, ...]  # upstream names, failover order
    upstream_model: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayConfig:
    upstreams: Mapping[str, UpstreamConfig]
    models: Mapping[str, RelayedModel]


def load(path: Path, data: Mapping[str, Any], environ: Mapping[str, str]) -> RelayConfig | None:
    """The relay configuration in a parsed registry file (None when it relays nothing)."""
    upstreams = {
        name: _upstream(path, name, table, environ)
        for name, table in _table(path, "upstreams", data.get("upstreams", {})).items()
    }
    models: dict[str, RelayedModel] = {}
    for raw_name, table in _table(path, "models", data.get("models", {})).items():
        if isinstance(table, dict) and table.get("engine") == "upstream":
            relayed = _model(path, raw_name, table, upstreams)
            models[relayed.model] = relayed
        elif isinstance(table, dict) and MODEL_KEYS & set(table):
            keys = ", ".join(sorted(MODEL_KEYS & set(table)))
            raise UpstreamConfigError(
                f'{path}: [models."{raw_name}"] sets {keys} but its engine is not "upstream"'
            )
    if not upstreams and not models:
        return None
    return RelayConfig(upstreams=upstreams, models=models)


def _table(path: Path, where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UpstreamConfigError(f"{path}: [{where}] must be a table")
    return value


def _upstream(path: Path, name: str, value: object, environ: Mapping[str, str]) -> UpstreamConfig:
    where = f"[upstreams.{name}]"
    table = _table(path, f"upstreams.{name}", value)
    unknown = sorted(set(table) - _UPSTREAM_KEYS)
    if unknown:
        raise UpstreamConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)} in {where}; "
            f"allowed: {', '.join(sorted(_UPSTREAM_KEYS))}"
        )
    dialect = table.get("dialect", "minimax")
    if dialect not in DIALECTS:
        raise UpstreamConfigError(
            f"{path}: {where}.dialect is {dialect!r}; choose one of {DIALECTS}"
        )
    base_url = str(table.get("base_url", ""))
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
        raise UpstreamConfigError(f"{path}: {where}.base_url is {base_url!r}; give an http(s) URL")
    key_env = table.get("api_key_env")
    key = None
    if key_env is not None:
        if not environ.get(str(key_env)):
            raise UpstreamConfigError(
                f"{path}: {where}.api_key_env names {key_env!r}, which is not set or empty"
            )
        key = Secret(environ[str(key_env)])
    return UpstreamConfig(
        name=name,
        dialect=str(dialect),
        base_url=base_url,
        key=key,
        key_env=None if key_env is None else str(key_env),
        max_in_flight=_positive(path, where, table, "max_in_flight", 20),
        poll_interval_s=_positive(path, where, table, "poll_interval_s", 5.0),
        max_status_per_s=_positive(path, where, table, "max_status_per_s", 5.0),
        deadline_s=_positive(path, where, table, "deadline_s", 3600.0),
        timeout_s=_positive(path, where, table, "timeout_s", 30.0),
        max_bytes=_positive(path, where, table, "max_bytes", 2 * 1024**3),
    )


def _positive(path: Path, where: str, table: Mapping[str, Any], key: str, default: N) -> N:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise UpstreamConfigError(f"{path}: {where}.{key} is {value!r}; give a positive number")
    return type(default)(value)


def _model(
    path: Path, raw_name: str, table: dict[str, Any], upstreams: Mapping[str, UpstreamConfig]
) -> RelayedModel:
    where = f'[models."{raw_name}"]'
    unknown = sorted(set(table) - MODEL_KEYS - {"engine"})
    if unknown:
        raise UpstreamConfigError(
            f'{path}: unknown key(s) {", ".join(unknown)} in {where} (engine = "upstream"); '
            f"allowed: engine, {', '.join(sorted(MODEL_KEYS))}"
        )
    spec = catalog.lookup(raw_name)
    if spec is None:
        raise UpstreamConfigError(
            f"{path}: {where} is not a catalog model; known: {', '.join(catalog.MODELS)}"
        )
    route = table.get("upstream")
    names = (route,) if isinstance(route, str) else tuple(route or ())
    if not names or not all(isinstance(n, str) for n in names):
        raise UpstreamConfigError(f"{path}: {where}.upstream must name an upstream or a list")
    for name in names:
        if name not in upstreams:
            raise UpstreamConfigError(
                f"{path}: {where}.upstream names {name!r}, but there is no [upstreams.{name}]"
            )
    return RelayedModel(
        model=spec.name, route=names, upstream_model=str(table.get("upstream_model", spec.name))
    )
