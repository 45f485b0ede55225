"""Queue depth straight from the tasks table, for the replica autoscaler."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from reelserve.adapters.db.tables import tasks
from reelserve.domain.tasks import TaskStatus

_RUNNING = (TaskStatus.PREPARING.value, TaskStatus.PROCESSING.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDepth:
    queued: int
    running: int


def queue_depth(engine: Engine) -> QueueDepth:
    wanted = (TaskStatus.QUEUED.value, *_RUNNING)
    query = (
        select(tasks.c.status, func.count())
        .where(tasks.c.status.in_(wanted))
        .group_by(tasks.c.status)
    )
    with engine.connect() as conn:
        counts = {str(status): int(n) for status, n in conn.execute(query)}
    return QueueDepth(
        queued=counts.get(TaskStatus.QUEUED.value, 0),
        running=sum(counts.get(status, 0) for status in _RUNNING),
    )
