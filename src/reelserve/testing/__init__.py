"""In-memory implementations of reelserve's ports, for tests and for embedding reelserve.

``memory_stores()`` gives every store over one shared in-memory database, with the same
attribute names as the SQL stores (``adapters.db.stores.sql_stores``): the same contract suites
run over both (tests/contract). ``FrozenClock``, ``ScriptedEngine``, ``RecordingWebhookSender``
and ``MemoryImageFetcher`` stand in for the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reelserve.testing.doubles import (
    FrozenClock,
    MemoryImageFetcher,
    RecordingWebhookSender,
    ScriptedEngine,
    SentPush,
)
from reelserve.testing.outbox import MemoryOutbox, MemoryRateLimiter
from reelserve.testing.reads import (
    MemoryFileCatalog,
    MemoryHealth,
    MemoryKeyStore,
    MemoryTaskStats,
)
from reelserve.testing.tasks import MemoryDatabase, MemoryTaskQueue, MemoryTaskRepository


@dataclass(frozen=True, slots=True)
class MemoryStores:
    queue: MemoryTaskQueue
    repository: MemoryTaskRepository
    catalog: MemoryFileCatalog
    stats: MemoryTaskStats
    health: MemoryHealth
    keys: MemoryKeyStore
    limiter: MemoryRateLimiter
    outbox: MemoryOutbox


def memory_stores() -> MemoryStores:
    db = MemoryDatabase()
    return MemoryStores(
        queue=MemoryTaskQueue(db),
        repository=MemoryTaskRepository(db),
        catalog=MemoryFileCatalog(db),
        stats=MemoryTaskStats(db),
        health=MemoryHealth(),
        keys=MemoryKeyStore(db),
        limiter=MemoryRateLimiter(),
        outbox=MemoryOutbox(db),
    )


if TYPE_CHECKING:  # mypy proves each fake implements its port

    def _conforms(stores: MemoryStores) -> None:
        from reelserve import ports

        _queue: ports.TaskQueue = stores.queue
        _repository: ports.TaskRepository = stores.repository
        _catalog: ports.FileCatalog = stores.catalog
        _stats: ports.TaskStats = stores.stats
        _health: ports.Health = stores.health
        _keys: ports.KeyStore = stores.keys
        _limiter: ports.RateLimiter = stores.limiter
        _outbox: ports.OutboxStore = stores.outbox
        _clock: ports.Clock = FrozenClock()
        _engine: ports.Engine = ScriptedEngine()
        _sender: ports.WebhookSender = RecordingWebhookSender()
        _fetcher: ports.ImageFetcher = MemoryImageFetcher()


__all__ = [
    "FrozenClock",
    "MemoryDatabase",
    "MemoryFileCatalog",
    "MemoryHealth",
    "MemoryImageFetcher",
    "MemoryKeyStore",
    "MemoryOutbox",
    "MemoryRateLimiter",
    "MemoryStores",
    "MemoryTaskQueue",
    "MemoryTaskRepository",
    "MemoryTaskStats",
    "RecordingWebhookSender",
    "ScriptedEngine",
    "SentPush",
    "memory_stores",
]
