"""In-memory task stores: the shared ``MemoryDatabase``, the queue and the repository (the read
side and keys are in ``reads.py``), as the SQL stores share one database.

Every status write goes through ``MemoryDatabase.move``, which calls ``Task.with_status``: the
domain's transition table decides, as it does for the SQL stores.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from reelserve.domain.deliveries import AttemptRecord
from reelserve.domain.files import FileRecord
from reelserve.domain.idempotency import (
    KEEP_FOR,
    IdempotencyClaim,
    IdempotencyConflict,
    IdempotencyOutcome,
    IdempotencyState,
)
from reelserve.domain.keys import ApiKey
from reelserve.domain.limits import KeyLimits, check_balance, check_in_flight
from reelserve.domain.tasks import (
    CANCELLED,
    LOST,
    Failure,
    Heartbeat,
    Lease,
    Phase,
    Progress,
    ReapResult,
    Success,
    Task,
    TaskPage,
    TaskStatus,
    can_transition,
    check_result,
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Key:
    fingerprint: str
    task_id: str
    created_at: datetime


class MemoryDatabase:
    """The rows every memory store shares, under one lock (one transaction at a time)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[str, Task] = {}
        self.files: dict[str, FileRecord] = {}
        self.keys: dict[str, ApiKey] = {}
        self.idempotency: dict[tuple[str, str], _Key] = {}
        self.attempts: list[AttemptRecord] = []
        self.on_moved: list[Any] = []  # callables (task, now): the outbox listens here

    def move(self, task: Task, target: TaskStatus, now: datetime, **changes: Any) -> Task:
        """The one status write: checked against the transition table by ``with_status``."""
        moved = task.with_status(target, now, **changes)
        self.tasks[task.id] = moved
        for listener in self.on_moved:
            listener(moved, now)
        return moved


def _ended(now: datetime, reason: Failure | None = None) -> dict[str, Any]:
    done = Progress(phase=Phase.DONE)
    changes: dict[str, Any] = {"finished_at": now, "lease": None, "progress": done}
    if reason is not None:
        changes.update(
            error_code=reason.code,
            error_message=reason.message,
            failure_kind=reason.kind,
            cost_usd=Decimal("0"),
        )
    return changes


class MemoryTaskQueue:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def claim(
        self,
        worker_id: str,
        now: datetime,
        lease_for: timedelta,
        *,
        models: Collection[str] | None = None,
    ) -> Task | None:
        with self._db.lock:
            waiting = [
                t
                for t in self._db.tasks.values()
                if can_transition(t.status, TaskStatus.PREPARING)
                and (models is None or t.model in models)
            ]
            if not waiting:
                return None
            task = min(waiting, key=lambda t: (t.created_at, t.id))
            lease = Lease(owner=worker_id, token=secrets.token_hex(16), expires_at=now + lease_for)
            return self._db.move(
                task,
                TaskStatus.PREPARING,
                now,
                lease=lease,
                attempts=task.attempts + 1,
                progress=Progress(phase=Phase.PREPARING),
                started_at=task.started_at or now,
            )

    def _leased(self, task_id: str, token: str) -> Task | None:
        task = self._db.tasks.get(task_id)
        if task is None or task.lease is None or task.lease.token != token:
            return None
        return task if task.status.active else None

    def heartbeat(
        self,
        task_id: str,
        token: str,
        now: datetime,
        lease_for: timedelta,
        progress: Progress | None = None,
    ) -> Heartbeat:
        with self._db.lock:
            task = self._leased(task_id, token)
            if task is None or task.lease is None:
                return Heartbeat(alive=False, cancel_requested=False)
            lease = dataclasses.replace(task.lease, expires_at=now + lease_for)
            self._db.tasks[task_id] = dataclasses.replace(
                task, lease=lease, updated_at=now, progress=progress or task.progress
            )
            return Heartbeat(alive=True, cancel_requested=task.cancel_requested)

    def transition(
        self,
        task_id: str,
        token: str,
        now: datetime,
        to: TaskStatus,
        *,
        result: Success | Failure | None = None,
    ) -> bool:
        check_result(to, result)
        with self._db.lock:
            task = self._leased(task_id, token)
            if task is None or not can_transition(task.status, to):
                return isinstance(result, Success) and self._recorded(task_id, result.file.id)
            if isinstance(result, Failure):
                self._db.move(task, to, now, **_ended(now, result))
            elif isinstance(result, Success):
                self._succeed(task, result, now)
            else:
                self._db.move(task, to, now, progress=Progress(phase=Phase.RENDERING))
            return True

    def _recorded(self, task_id: str, file_id: str) -> bool:
        """A success sent again after its answer was lost reads as written (as in SQL)."""
        task = self._db.tasks.get(task_id)
        return task is not None and task.file_id == file_id

    def _succeed(self, task: Task, result: Success, now: datetime) -> None:
        video = result.video
        done = Progress(phase=Phase.DONE, step=video.frame_count, total=video.frame_count)
        self._db.files[result.file.id] = result.file
        key = self._db.keys.get(task.owner_key_id)
        if key is not None and key.balance_usd is not None and task.cost_usd:
            balance = key.balance_usd - task.cost_usd
            self._db.keys[key.id] = dataclasses.replace(key, balance_usd=balance)
        self._db.move(
            task,
            TaskStatus.SUCCEEDED,
            now,
            **{**_ended(now), "progress": done},
            file_id=result.file.id,
            width=video.width,
            height=video.height,
            fps=video.fps,
            frame_count=video.frame_count,
        )

    def reap(self, now: datetime) -> ReapResult:
        requeued: list[str] = []
        failed: list[str] = []
        cancelled: list[str] = []
        with self._db.lock:
            for task in list(self._db.tasks.values()):
                if not task.status.active or task.lease is None or task.lease.expires_at >= now:
                    continue
                if task.cancel_requested:
                    self._db.move(task, TaskStatus.CANCELLED, now, **_ended(now, CANCELLED))
                    cancelled.append(task.id)
                elif task.attempts >= task.max_attempts:
                    self._db.move(task, TaskStatus.FAILED, now, **_ended(now, LOST))
                    failed.append(task.id)
                else:
                    self._db.move(task, TaskStatus.QUEUED, now, lease=None, progress=Progress())
                    requeued.append(task.id)
        return ReapResult(
            requeued=tuple(sorted(requeued)),
            failed=tuple(sorted(failed)),
            cancelled=tuple(sorted(cancelled)),
        )


class MemoryTaskRepository:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def add(
        self,
        task: Task,
        *,
        idempotency: IdempotencyClaim | None = None,
        limits: KeyLimits | None = None,
    ) -> None:
        with self._db.lock:
            if task.id in self._db.tasks:
                raise ValueError(f"task {task.id} already exists")
            if limits is not None:
                self._check_limits(task, limits)
            if idempotency is not None:
                self._finish(idempotency, task)
            self._db.tasks[task.id] = task

    def _check_limits(self, task: Task, limits: KeyLimits) -> None:
        mine = [
            t
            for t in self._db.tasks.values()
            if t.owner_key_id == task.owner_key_id and not t.status.terminal
        ]
        check_in_flight(len(mine), limits.max_in_flight)
        key = self._db.keys.get(task.owner_key_id)
        if key is not None and key.balance_usd is not None:
            reserved = sum((t.cost_usd for t in mine), Decimal("0"))
            check_balance(key.balance_usd, reserved, task.cost_usd)

    def _finish(self, claim: IdempotencyClaim, task: Task) -> None:
        found = self._db.idempotency.get((claim.owner_key_id, claim.key))
        if found is not None and found.created_at >= task.created_at - KEEP_FOR:
            raise IdempotencyConflict(claim.key, IdempotencyState.IN_FLIGHT)
        self._db.idempotency[(claim.owner_key_id, claim.key)] = _Key(
            fingerprint=claim.fingerprint, task_id=task.id, created_at=task.created_at
        )

    def begin_idempotent(self, claim: IdempotencyClaim, now: datetime) -> IdempotencyOutcome:
        with self._db.lock:
            found = self._db.idempotency.get((claim.owner_key_id, claim.key))
        if found is None or found.created_at < now - KEEP_FOR:
            return IdempotencyOutcome(state=IdempotencyState.STARTED)
        if found.fingerprint != claim.fingerprint:
            return IdempotencyOutcome(state=IdempotencyState.MISMATCH)
        return IdempotencyOutcome(state=IdempotencyState.DONE, task_id=found.task_id)

    def get(self, task_id: str, owner_key_id: str | None = None) -> Task | None:
        task = self._db.tasks.get(task_id)
        if task is None or owner_key_id not in (None, task.owner_key_id):
            return None
        return task

    def list(
        self,
        owner_key_id: str,
        *,
        status: TaskStatus | None,
        limit: int,
        cursor: str | None,
        ascending: bool = False,
    ) -> TaskPage:
        with self._db.lock:
            mine = sorted(
                (
                    t
                    for t in self._db.tasks.values()
                    if t.owner_key_id == owner_key_id
                    and (status is None or t.status is status)
                    and (not cursor or (t.id > cursor if ascending else t.id < cursor))
                ),
                key=lambda t: t.id,
                reverse=not ascending,
            )
        page = tuple(mine[:limit])
        return TaskPage(tasks=page, next_cursor=page[-1].id if len(mine) > limit else None)

    def count(self, owner_key_id: str) -> int:
        with self._db.lock:
            return sum(1 for t in self._db.tasks.values() if t.owner_key_id == owner_key_id)

    def delete(self, task_id: str, owner_key_id: str) -> tuple[str, ...]:
        with self._db.lock:
            task = self.get(task_id, owner_key_id)
            if task is None or not task.status.terminal:
                return ()
            del self._db.tasks[task_id]
            mine = [f for f in self._db.files.values() if f.task_id == task_id]
            for record in mine:
                del self._db.files[record.id]
        frames = [k for k in (task.first_frame_key, task.last_frame_key) if k]
        return (*(f.storage_key for f in mine), *frames)

    def queue_position(self, task_id: str) -> int | None:
        with self._db.lock:
            task = self._db.tasks.get(task_id)
            if task is None or task.status is not TaskStatus.QUEUED:
                return None
            place = (task.created_at, task.id)
            return sum(
                1
                for t in self._db.tasks.values()
                if t.status is TaskStatus.QUEUED and (t.created_at, t.id) < place
            )

    def cancel_owned(self, owner_key_id: str, now: datetime, *, queued: bool = True) -> int:
        with self._db.lock:
            mine = [t for t in self._db.tasks.values() if t.owner_key_id == owner_key_id]
            cancelled = 0
            for task in mine:
                if task.status is TaskStatus.QUEUED and not queued:
                    continue
                if task.status is TaskStatus.QUEUED or task.status.active:
                    self.request_cancel(task.id, owner_key_id, now)
                    cancelled += task.status is TaskStatus.QUEUED
            return cancelled

    def request_cancel(self, task_id: str, owner_key_id: str, now: datetime) -> Task | None:
        with self._db.lock:
            task = self.get(task_id, owner_key_id)
            if task is None:
                return None
            if task.status is TaskStatus.QUEUED:
                return self._db.move(task, TaskStatus.CANCELLED, now, **_ended(now, CANCELLED))
            if task.status.active:  # a flag, not a status: its worker (or the reaper) ends it
                task = dataclasses.replace(task, cancel_requested=True, updated_at=now)
                self._db.tasks[task_id] = task
            return task
