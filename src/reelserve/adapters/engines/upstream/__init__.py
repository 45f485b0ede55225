"""The relay engine: models served by an upstream video API (docs/relay.md).

``kind.make`` builds the engines wherever the registry is read; ``bind_relay`` is the one entry
point the composition root calls where tasks run: it binds them to the database and files and
returns the runtime (pollers), or None when the registry relays nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine as DbEngine

from reelserve.adapters.db.parked import SqlParkedStore
from reelserve.adapters.engines.upstream.clients import client_for
from reelserve.adapters.engines.upstream.engine import RelayBinding
from reelserve.adapters.engines.upstream.pacer import Pacer
from reelserve.adapters.engines.upstream.poller import UpstreamPoller
from reelserve.adapters.engines.upstream.ports import RelayStats
from reelserve.adapters.engines.upstream.relay import Relay, Upstream
from reelserve.domain.relay import UpstreamCost
from reelserve.ports import Clock, Engine, FileStore, TaskQueue, TaskRepository

__all__ = ["RelayRuntime", "bind_relay"]


class RelayRuntime:
    """The relay, its engines (one per relayed model) and its pollers (one per upstream)."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._pollers = [UpstreamPoller(relay, name) for name in relay.upstreams]

    def start(self) -> None:
        for poller in self._pollers:
            poller.start()

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stop()

    def hint(self, upstream: str, upstream_task_id: str) -> bool:
        """An upstream pushed news of a task: check it now (the status call decides)."""
        if upstream not in self.relay.upstreams:
            return False
        return self.relay.parked.hint(upstream, upstream_task_id, self.relay.clock.now())

    def upstream_cost(self, task_id: str) -> UpstreamCost | None:
        """What the upstream charged for a relayed task (None: not relayed, or not done yet)."""
        row = self.relay.parked.get(task_id)
        return UpstreamCost.parse(row.upstream_cost) if row is not None else None

    def stats(self) -> list[RelayStats]:
        return self.relay.parked.stats()

    def problems(self) -> dict[str, str]:
        return self.relay.health.problems()

    def close(self) -> None:
        for upstream in self.relay.upstreams.values():
            upstream.client.close()


def bind_relay(
    engines: Iterable[Engine],
    *,
    database: DbEngine,
    queue: TaskQueue,
    repository: TaskRepository,
    files: FileStore,
    clock: Clock,
    public_url: str | None = None,
) -> RelayRuntime | None:
    bindings = {
        id(b): b
        for e in engines
        if isinstance(b := getattr(e, "relay_binding", None), RelayBinding)
    }
    if not bindings:
        return None
    (binding,) = bindings.values()  # one registry file, one binding
    config = binding.config
    upstreams = {
        name: Upstream(config=c, client=client_for(c), pacer=Pacer(c.max_status_per_s))
        for name, c in config.upstreams.items()
    }
    binding.relay = Relay(
        upstreams=upstreams,
        models=config.models,
        queue=queue,
        repository=repository,
        parked=SqlParkedStore(database),
        files=files,
        clock=clock,
        public_url=public_url,
    )
    return RelayRuntime(binding.relay)
