"""SqlTaskStore and SqlKeyStore: SQLite (WAL) or PostgreSQL through SQLAlchemy Core.

Claims are one atomic ``UPDATE … WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED])
RETURNING``; every write after a claim is a compare-and-set on the lease token, so a worker that
lost its lease can never overwrite a result.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, insert, select, update

from reelserve.adapters.db import idempotency as idempotent
from reelserve.adapters.db.engine import reading, writing
from reelserve.adapters.db.outbox import enqueue_pushes
from reelserve.adapters.db.rows import (
    file_to_row,
    row_to_file,
    row_to_task,
    task_to_row,
)
from reelserve.adapters.db.tables import api_keys, files, tasks
from reelserve.domain.files import FileRecord
from reelserve.domain.idempotency import (
    IdempotencyClaim,
    IdempotencyOutcome,
)
from reelserve.domain.limits import KeyLimits, check_balance, check_in_flight
from reelserve.domain.tasks import (
    CANCELLED_MESSAGE,
    FailureKind,
    Phase,
    Progress,
    Task,
    TaskStatus,
)
from reelserve.ports import Heartbeat, ReapResult, RenderedVideo, TaskPage

_ACTIVE = (TaskStatus.PREPARING.value, TaskStatus.PROCESSING.value)
_QUEUED = TaskStatus.QUEUED.value
_NO_LEASE = {"lease_token": None, "lease_owner": None, "lease_expires_at": None}
LOST_MESSAGE = "task failed: its worker stopped responding on every attempt"


def _ending(status: TaskStatus, now: datetime) -> dict[str, object]:
    """What every end of a task writes: the final status, phase done, the lease given up."""
    return {
        "status": status.value,
        "phase": Phase.DONE.value,
        "finished_at": now,
        "updated_at": now,
        **_NO_LEASE,
    }


def _failure(message: str, kind: FailureKind, code: int = 1000) -> dict[str, object]:
    """What a failed or cancelled task records; failures are never charged."""
    return {
        "error_code": code,
        "error_message": message,
        "failure_kind": kind.value,
        "cost_usd": "0",
    }


_CANCELLED = _failure(CANCELLED_MESSAGE, FailureKind.CANCELLED)


class SqlTaskStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        task: Task,
        *,
        idempotency: IdempotencyClaim | None = None,
        limits: KeyLimits | None = None,
    ) -> None:
        with writing(self._engine) as conn:
            if limits is not None and (limits.max_in_flight or limits.balance_usd is not None):
                self._check_limits(conn, task, limits)
            conn.execute(insert(tasks).values(task_to_row(task)))
            if idempotency is not None:  # the key commits with its task, or neither does
                idempotent.finish(conn, idempotency, task.id, task.created_at)

    def _check_limits(self, conn: Connection, task: Task, limits: KeyLimits) -> None:
        """Under the write lock (BEGIN IMMEDIATE / row lock), so two creates cannot both pass."""
        if conn.dialect.name == "postgresql":
            conn.execute(
                select(api_keys.c.id).where(api_keys.c.id == task.owner_key_id).with_for_update()
            )
        in_flight = (
            conn.execute(
                select(tasks.c.cost_usd).where(
                    tasks.c.owner_key_id == task.owner_key_id,
                    tasks.c.status.in_((_QUEUED, *_ACTIVE)),
                )
            )
            .scalars()
            .all()
        )
        check_in_flight(len(in_flight), limits.max_in_flight)
        balance = conn.execute(
            select(api_keys.c.balance_usd).where(api_keys.c.id == task.owner_key_id)
        ).scalar_one_or_none()
        if balance is not None:
            reserved = sum((Decimal(c) for c in in_flight), Decimal("0"))
            check_balance(Decimal(balance), reserved, task.cost_usd)

    def begin_idempotent(self, claim: IdempotencyClaim, now: datetime) -> IdempotencyOutcome:
        return idempotent.begin(self._engine, claim, now)

    def get(self, task_id: str, owner_key_id: str | None = None) -> Task | None:
        query = select(tasks).where(tasks.c.id == task_id)
        if owner_key_id is not None:
            query = query.where(tasks.c.owner_key_id == owner_key_id)
        with reading(self._engine) as conn:
            row = conn.execute(query).mappings().first()
        return row_to_task(row) if row else None

    def list(
        self, owner_key_id: str, *, status: TaskStatus | None, limit: int, cursor: str | None
    ) -> TaskPage:
        """Newest first; the cursor is the id of the last task of the previous page."""
        query = select(tasks).where(tasks.c.owner_key_id == owner_key_id)
        if status is not None:
            query = query.where(tasks.c.status == status.value)
        if cursor:
            query = query.where(tasks.c.id < cursor)
        query = query.order_by(tasks.c.id.desc()).limit(limit + 1)
        with reading(self._engine) as conn:
            rows = conn.execute(query).mappings().all()
        page = tuple(row_to_task(r) for r in rows[:limit])
        return TaskPage(tasks=page, next_cursor=page[-1].id if len(rows) > limit else None)

    def queue_position(self, task_id: str) -> int | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                select(tasks.c.status, tasks.c.created_at, tasks.c.id).where(tasks.c.id == task_id)
            ).first()
            if row is None or row.status != _QUEUED:
                return None
            ahead = conn.execute(
                select(func.count()).where(
                    tasks.c.status == _QUEUED,
                    (tasks.c.created_at < row.created_at)
                    | and_(tasks.c.created_at == row.created_at, tasks.c.id < row.id),
                )
            ).scalar_one()
        return int(ahead)

    def claim(
        self,
        worker_id: str,
        now: datetime,
        lease_for: timedelta,
        *,
        models: Collection[str] | None = None,
    ) -> Task | None:
        queued = [tasks.c.status == _QUEUED]
        if models is not None:
            queued.append(tasks.c.model.in_(sorted(models)))
        oldest = (
            select(tasks.c.id)
            .where(*queued)
            .order_by(tasks.c.created_at, tasks.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claim = (
            update(tasks)
            .where(tasks.c.id == oldest, tasks.c.status == _QUEUED)
            .values(
                status=TaskStatus.PREPARING.value,
                phase=Phase.PREPARING.value,
                attempts=tasks.c.attempts + 1,
                lease_owner=worker_id,
                lease_token=secrets.token_hex(16),
                lease_expires_at=now + lease_for,
                started_at=func.coalesce(tasks.c.started_at, now),
                updated_at=now,
            )
            .returning(*tasks.c)
        )
        with writing(self._engine) as conn:
            row = conn.execute(claim).mappings().first()
        return row_to_task(row) if row else None

    def _fenced(self, task_id: str, token: str) -> builtins.list[ColumnElement[bool]]:
        return [tasks.c.id == task_id, tasks.c.lease_token == token, tasks.c.status.in_(_ACTIVE)]

    def heartbeat(
        self,
        task_id: str,
        token: str,
        now: datetime,
        lease_for: timedelta,
        progress: Progress | None = None,
    ) -> Heartbeat:
        values: dict[str, object] = {"lease_expires_at": now + lease_for, "updated_at": now}
        if progress is not None:
            values.update(
                phase=progress.phase.value,
                progress_step=progress.step,
                progress_total=progress.total,
            )
        stmt = (
            update(tasks)
            .where(*self._fenced(task_id, token))
            .values(values)
            .returning(tasks.c.cancel_requested)
        )
        with writing(self._engine) as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return Heartbeat(alive=False, cancel_requested=False)
        return Heartbeat(alive=True, cancel_requested=bool(row.cancel_requested))

    def start_processing(self, task_id: str, token: str, now: datetime) -> bool:
        stmt = (
            update(tasks)
            .where(*self._fenced(task_id, token), tasks.c.status == TaskStatus.PREPARING.value)
            .values(status=TaskStatus.PROCESSING.value, phase=Phase.RENDERING.value, updated_at=now)
        )
        with writing(self._engine) as conn:
            if conn.execute(stmt).rowcount != 1:
                return False
            enqueue_pushes(conn, [task_id], now)  # the push commits with the status change
            return True

    def complete(
        self,
        task_id: str,
        token: str,
        now: datetime,
        *,
        file: FileRecord,
        cost: Decimal,
        video: RenderedVideo,
    ) -> bool:
        stmt = (
            update(tasks)
            .where(*self._fenced(task_id, token), tasks.c.status == TaskStatus.PROCESSING.value)
            .values(
                progress_step=video.frame_count,
                progress_total=video.frame_count,
                file_id=file.id,
                cost_usd=str(cost),
                width=video.width,
                height=video.height,
                fps=video.fps,
                frame_count=video.frame_count,
                **_ending(TaskStatus.SUCCEEDED, now),
            )
        )
        with writing(self._engine) as conn:
            if conn.execute(stmt).rowcount != 1:
                return False
            conn.execute(insert(files).values(file_to_row(file)))
            self._charge(conn, file.owner_key_id, cost)
            enqueue_pushes(conn, [task_id], now)
        return True

    def _charge(self, conn: Connection, key_id: str, cost: Decimal) -> None:
        """Charge a success (never a failure) to a key that keeps a balance; same transaction."""
        query = select(api_keys.c.balance_usd).where(api_keys.c.id == key_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        balance = conn.execute(query).scalar_one_or_none()
        if balance is not None and cost:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id)
                .values(balance_usd=str(Decimal(balance) - cost))
            )

    def fail(
        self,
        task_id: str,
        token: str,
        now: datetime,
        *,
        code: int,
        message: str,
        kind: FailureKind,
        cancelled: bool = False,
    ) -> bool:
        status = TaskStatus.CANCELLED if cancelled else TaskStatus.FAILED
        stmt = (
            update(tasks)
            .where(*self._fenced(task_id, token))
            .values(**_ending(status, now), **_failure(message, kind, code))
        )
        with writing(self._engine) as conn:
            if conn.execute(stmt).rowcount != 1:
                return False
            enqueue_pushes(conn, [task_id], now)
            return True

    def request_cancel(self, task_id: str, owner_key_id: str, now: datetime) -> Task | None:
        mine = [tasks.c.id == task_id, tasks.c.owner_key_id == owner_key_id]
        with writing(self._engine) as conn:
            cancelled = conn.execute(
                update(tasks)
                .where(*mine, tasks.c.status == _QUEUED)
                .values(**_ending(TaskStatus.CANCELLED, now), **_CANCELLED)
                .returning(tasks.c.id)
            ).scalars()
            enqueue_pushes(conn, cancelled, now)
            conn.execute(
                update(tasks)
                .where(*mine, tasks.c.status.in_(_ACTIVE))
                .values(cancel_requested=True, updated_at=now)
            )
            row = conn.execute(select(tasks).where(*mine)).mappings().first()
        return row_to_task(row) if row else None

    def reap(self, now: datetime) -> ReapResult:
        expired = [tasks.c.status.in_(_ACTIVE), tasks.c.lease_expires_at < now]
        lost = _failure(LOST_MESSAGE, FailureKind.LEASE)
        with writing(self._engine) as conn:
            # Its owner asked to stop it: running it again would only be cancelled later.
            cancelled = self._end_expired(
                conn,
                [*expired, tasks.c.cancel_requested.is_(True)],
                **_ending(TaskStatus.CANCELLED, now),
                **_CANCELLED,
            )
            failed = self._end_expired(
                conn,
                [*expired, tasks.c.attempts >= tasks.c.max_attempts],
                **_ending(TaskStatus.FAILED, now),
                **lost,
            )
            enqueue_pushes(conn, [*cancelled, *failed], now)
            requeued = (
                conn.execute(
                    update(tasks)
                    .where(*expired)
                    .values(
                        status=_QUEUED,
                        phase=Phase.QUEUED.value,
                        progress_step=0,
                        progress_total=0,
                        updated_at=now,
                        **_NO_LEASE,
                    )
                    .returning(tasks.c.id)
                )
                .scalars()
                .all()
            )
        return ReapResult(
            requeued=tuple(requeued), failed=tuple(failed), cancelled=tuple(cancelled)
        )

    def _end_expired(
        self, conn: Connection, where: builtins.list[ColumnElement[bool]], **values: object
    ) -> Sequence[str]:
        stmt = update(tasks).where(*where).values(values).returning(tasks.c.id)
        return conn.execute(stmt).scalars().all()

    def get_file(self, file_id: str, owner_key_id: str | None = None) -> FileRecord | None:
        query = select(files).where(files.c.id == file_id)
        if owner_key_id is not None:
            query = query.where(files.c.owner_key_id == owner_key_id)
        with reading(self._engine) as conn:
            row = conn.execute(query).mappings().first()
        return row_to_file(row) if row else None

    def recent_durations(self, model: str, limit: int) -> Sequence[float]:
        query = (
            select(tasks.c.started_at, tasks.c.finished_at)
            .where(tasks.c.model == model, tasks.c.status == TaskStatus.SUCCEEDED.value)
            .order_by(tasks.c.finished_at.desc())
            .limit(limit)
        )
        with reading(self._engine) as conn:
            rows = conn.execute(query).all()
        return [
            (r.finished_at - r.started_at).total_seconds()
            for r in rows
            if r.started_at and r.finished_at
        ]
