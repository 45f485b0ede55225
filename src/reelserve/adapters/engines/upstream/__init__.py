"""The relay engine: models served by an upstream video API (docs/relay.md).

``build_relay`` is the one entry point the composition root calls; it returns None when the
registry relays nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine as DbEngine

from reelserve.adapters.db.parked import SqlParkedStore
from reelserve.adapters.engines.upstream.clients import client_for
from reelserve.adapters.engines.upstream.config import UpstreamConfigError, load
from reelserve.adapters.engines.upstream.engine import UpstreamEngine
from reelserve.adapters.engines.upstream.pacer import Pacer
from reelserve.adapters.engines.upstream.poller import UpstreamPoller
from reelserve.adapters.engines.upstream.ports import RelayStats
from reelserve.adapters.engines.upstream.relay import Relay, Upstream
from reelserve.ports import Clock, Engine, FileStore, TaskStore

__all__ = ["RelayRuntime", "UpstreamConfigError", "build_relay"]


class RelayRuntime:
    """The relay, its engines (one per relayed model) and its pollers (one per upstream)."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.engines: dict[str, Engine] = {m: UpstreamEngine(m, relay) for m in relay.models}
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

    def stats(self) -> list[RelayStats]:
        return self.relay.parked.stats()

    def problems(self) -> dict[str, str]:
        return self.relay.health.problems()

    def close(self) -> None:
        for upstream in self.relay.upstreams.values():
            upstream.client.close()


def build_relay(
    path: Path | None,
    *,
    environ: Mapping[str, str],
    database: DbEngine,
    tasks: TaskStore,
    files: FileStore,
    clock: Clock,
    public_url: str | None = None,
) -> RelayRuntime | None:
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return None  # the registry reports an unreadable file itself
    config = load(path, data, environ)
    if config is None:
        return None
    upstreams = {
        name: Upstream(config=c, client=client_for(c), pacer=Pacer(c.max_status_per_s))
        for name, c in config.upstreams.items()
    }
    relay = Relay(
        upstreams=upstreams,
        models=config.models,
        tasks=tasks,
        parked=SqlParkedStore(database),
        files=files,
        clock=clock,
        public_url=public_url,
    )
    return RelayRuntime(relay)
