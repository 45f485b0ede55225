"""Every SQL store over one database, as the composition root wires them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from reelserve.adapters.db.keys import SqlKeyStore
from reelserve.adapters.db.limits import SqlRateLimiter
from reelserve.adapters.db.outbox import SqlOutbox
from reelserve.adapters.db.queue import SqlTaskQueue
from reelserve.adapters.db.repository import SqlTaskRepository
from reelserve.adapters.db.stats import SqlFileCatalog, SqlHealth, SqlTaskStats
from reelserve.adapters.db.uploads import SqlUploadStore


@dataclass(frozen=True, slots=True)
class SqlStores:
    queue: SqlTaskQueue
    repository: SqlTaskRepository
    catalog: SqlFileCatalog
    stats: SqlTaskStats
    health: SqlHealth
    keys: SqlKeyStore
    limiter: SqlRateLimiter
    outbox: SqlOutbox
    uploads: SqlUploadStore


def sql_stores(engine: Engine) -> SqlStores:
    return SqlStores(
        queue=SqlTaskQueue(engine),
        repository=SqlTaskRepository(engine),
        catalog=SqlFileCatalog(engine),
        stats=SqlTaskStats(engine),
        health=SqlHealth(engine),
        keys=SqlKeyStore(engine),
        limiter=SqlRateLimiter(engine),
        outbox=SqlOutbox(engine),
        uploads=SqlUploadStore(engine),
    )


if TYPE_CHECKING:  # mypy proves each store implements its port

    def _conforms(stores: SqlStores) -> None:
        from reelserve import ports

        _queue: ports.TaskQueue = stores.queue
        _repository: ports.TaskRepository = stores.repository
        _catalog: ports.FileCatalog = stores.catalog
        _stats: ports.TaskStats = stores.stats
        _health: ports.Health = stores.health
        _keys: ports.KeyStore = stores.keys
        _limiter: ports.RateLimiter = stores.limiter
        _outbox: ports.OutboxStore = stores.outbox
        _uploads: ports.UploadStore = stores.uploads
