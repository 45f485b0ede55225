"""What operations read about the queue: counts, finished tasks, delivery outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reelserve.domain.tasks import TaskStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedTask:
    """A task that ended, reduced to what its duration metrics need."""

    model: str
    status: TaskStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime
