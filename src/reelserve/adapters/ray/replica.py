"""The body of one Ray actor: it builds its own worker (engines, database pool, file store)
inside the actor's process from a factory named by a string and plain settings, so nothing
unpicklable crosses from the driver."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol


class ReplicaRunner(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None:
        """Stop claiming, give back a running task (its lease released), close connections."""
        ...

    def snapshot(self) -> dict[str, int]:
        """Counters for metrics: slots, claims, busy, lease_losses, given_back."""
        ...


RunnerFactory = Callable[[dict[str, Any], str], ReplicaRunner]


def load_factory(entry: str) -> RunnerFactory:
    """``package.module:function`` → the function."""
    module, _, name = entry.partition(":")
    factory: RunnerFactory = getattr(importlib.import_module(module), name)
    return factory


class Replica:
    """Decorated with ``ray.remote`` by the fleet (so this module imports without Ray)."""

    def __init__(self, entry: str, config: dict[str, Any], name: str) -> None:
        self._name = name
        self._runner = load_factory(entry)(config, name)
        self._runner.start()

    def name(self) -> str:
        return self._name

    def stats(self) -> dict[str, int]:
        return self._runner.snapshot()

    def stop(self) -> None:
        self._runner.stop()
