"""Tasks, by role: the queue workers use, the repository the API uses, the file catalog, and
the statistics operations read. One backing store usually implements them all over shared rows;
each is small enough to fake on its own (reelserve.testing).

Every status write goes through the lifecycle table (``domain.tasks.TRANSITIONS``); a status
change that has a callback commits with its outbox event.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from reelserve.domain.files import FileRecord
from reelserve.domain.idempotency import IdempotencyClaim, IdempotencyOutcome
from reelserve.domain.limits import KeyLimits
from reelserve.domain.stats import FinishedTask
from reelserve.domain.tasks import (
    Failure,
    Heartbeat,
    Progress,
    ReapResult,
    Success,
    Task,
    TaskPage,
    TaskStatus,
)


class TaskQueue(Protocol):
    """What workers do with tasks. Every write after a claim is fenced by the lease token."""

    def claim(
        self,
        worker_id: str,
        now: datetime,
        lease_for: timedelta,
        *,
        models: Collection[str] | None = None,
    ) -> Task | None:
        """Atomically take the oldest queued task (of one of ``models``; None: any model):
        status preparing, attempts + 1, a new lease. None when there is none."""
        ...

    def heartbeat(
        self,
        task_id: str,
        token: str,
        now: datetime,
        lease_for: timedelta,
        progress: Progress | None = None,
    ) -> Heartbeat: ...

    def transition(
        self,
        task_id: str,
        token: str,
        now: datetime,
        to: TaskStatus,
        *,
        result: Success | Failure | None = None,
    ) -> bool:
        """Move a leased task to ``to`` when the table allows it from its status, only by the
        lease holder: processing (no result), succeeded (a Success: the file is recorded and
        the task's price charged, in one transaction), failed or cancelled (a Failure). False
        when the lease is gone or the move is not allowed; nothing is written then."""
        ...

    def reap(self, now: datetime) -> ReapResult:
        """Tasks whose lease expired: cancelled when their owner asked to, failed (LOST) when out
        of attempts, requeued otherwise."""
        ...


class TaskRepository(Protocol):
    """What the API does with tasks."""

    def add(
        self,
        task: Task,
        *,
        idempotency: IdempotencyClaim | None = None,
        limits: KeyLimits | None = None,
    ) -> None:
        """Insert a queued task. In the same transaction: check the key's tasks in flight and
        balance (raising RateLimited / InsufficientBalance) and record the idempotency key
        (raising IdempotencyConflict when another request recorded it first)."""
        ...

    def begin_idempotent(self, claim: IdempotencyClaim, now: datetime) -> IdempotencyOutcome:
        """Look the key up: STARTED (no finished request used it), DONE (replay its task) or
        MISMATCH (another body). The key is recorded by ``add`` with the task, atomically."""
        ...

    def get(self, task_id: str, owner_key_id: str | None = None) -> Task | None: ...

    def list(
        self,
        owner_key_id: str,
        *,
        status: TaskStatus | None,
        limit: int,
        cursor: str | None,
        ascending: bool = False,
    ) -> TaskPage:
        """Newest first (oldest first when ``ascending``); the cursor is the id of the last task
        of the previous page."""
        ...

    def count(self, owner_key_id: str) -> int: ...

    def delete(self, task_id: str, owner_key_id: str) -> Sequence[str]:
        """Remove an ended task and its file records; the storage keys to delete (none when the
        task is unknown, another key's or still running)."""
        ...

    def queue_position(self, task_id: str) -> int | None:
        """0-based place among queued tasks, or None when the task is not queued."""
        ...

    def request_cancel(self, task_id: str, owner_key_id: str, now: datetime) -> Task | None:
        """Queued tasks are cancelled at once; running ones are flagged for their worker."""
        ...

    def cancel_owned(self, owner_key_id: str, now: datetime, *, queued: bool = True) -> int:
        """Every task of a key, as ``request_cancel`` does one (its key was revoked); with
        ``queued`` False, queued tasks are left to run. The number of queued tasks cancelled."""
        ...


class FileCatalog(Protocol):
    """The records of stored output files (written with their task's success)."""

    def get(self, file_id: str, owner_key_id: str | None = None) -> FileRecord | None: ...


class TaskStats(Protocol):
    """What ETAs and metrics read; whichever process ran the work."""

    def recent_durations(self, model: str, limit: int) -> Sequence[float]:
        """Seconds from start to finish of the latest successful tasks of a model."""
        ...

    def counts(self) -> Mapping[TaskStatus, int]:
        """Tasks by status (statuses with none may be missing)."""
        ...

    def finished_since(self, since: datetime | None) -> Sequence[FinishedTask]:
        """Tasks that ended after ``since`` (None: all), in the order they ended."""
        ...

    def delivery_outcomes(self) -> Mapping[str, int]:
        """Callback delivery attempts by outcome (delivered, retry, gave_up); only grows."""
        ...


class Health(Protocol):
    def problem(self) -> str | None:
        """None when the backing store answers; otherwise what went wrong, in words."""
        ...
