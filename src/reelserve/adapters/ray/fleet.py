"""RayFleet: N replica actors with their GPU (or any resource) share, grown and shrunk."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from reelserve.adapters.ray.replica import Replica

log = logging.getLogger("reelserve.ray")


def _ray() -> Any:
    try:
        import ray
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "Ray workers need the 'ray' extra: pip install 'reelserve[ray]'"
        ) from error
    return ray


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaShape:
    """What one replica holds: Ray schedules it only where these are free."""

    gpus: float = 1.0
    cpus: float = 1.0
    resources: dict[str, float] = field(default_factory=dict)  # custom Ray resources
    max_restarts: int = -1  # Ray restarts a dead actor (its task is taken over meanwhile)


class RayFleet:
    def __init__(self, *, entry: str, config: dict[str, Any], shape: ReplicaShape) -> None:
        """``entry`` names the factory each actor calls with ``config`` (plain values only)."""
        self._entry, self._config, self._shape = entry, config, shape
        self._replicas: dict[str, Any] = {}  # name → actor handle, oldest first
        self._names = (f"replica-{n}" for n in itertools.count(1))

    @staticmethod
    def connect(address: str | None, **options: Any) -> None:
        """Join a Ray cluster (``auto`` or ray://…), or start a local Ray without an address."""
        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=address, **options)

    @property
    def names(self) -> list[str]:
        return list(self._replicas)

    def _spawn(self) -> None:
        ray = _ray()
        actor = ray.remote(Replica).options(
            num_gpus=self._shape.gpus,
            num_cpus=self._shape.cpus,
            resources=self._shape.resources or None,
            max_restarts=self._shape.max_restarts,
            max_task_retries=0,
            max_concurrency=4,  # stats and stop answer while the worker threads run
        )
        name = next(self._names)
        self._replicas[name] = actor.remote(self._entry, self._config, name)

    def scale_to(self, count: int) -> None:
        """Add replicas, or stop the least busy ones (they give back what they run)."""
        while len(self._replicas) < count:
            self._spawn()
        if len(self._replicas) > count:
            stats = self.stats()
            idle_first = sorted(self._replicas, key=lambda n: stats.get(n, {}).get("busy", 0))
            for name in idle_first[: len(self._replicas) - count]:
                self._retire(name)

    def _retire(self, name: str) -> None:
        ray = _ray()
        handle = self._replicas.pop(name)
        try:
            ray.get(handle.stop.remote(), timeout=60)
        except Exception:  # dead or stuck: the lease runs out and the reaper requeues
            log.exception("replica %s did not stop cleanly", name)
        ray.kill(handle, no_restart=True)

    def wait_ready(self, timeout: float) -> None:
        """Block until every replica has built its worker (engines loaded, database reached)."""
        _ray().get([h.name.remote() for h in self._replicas.values()], timeout=timeout)

    def stats(self, timeout: float = 5.0) -> dict[str, dict[str, int]]:
        """Each answering replica's counters; one that is dead or restarting is left out."""
        ray = _ray()
        found: dict[str, dict[str, int]] = {}
        for name, handle in list(self._replicas.items()):
            try:
                found[name] = ray.get(handle.stats.remote(), timeout=timeout)
            except Exception:
                log.warning("replica %s did not report its stats", name)
        return found

    def handle(self, name: str) -> Any:
        return self._replicas[name]

    def stop(self) -> None:
        for name in list(self._replicas):
            self._retire(name)
