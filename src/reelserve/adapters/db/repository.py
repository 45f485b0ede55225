"""SqlTaskRepository: the ``TaskRepository`` port (what the API does with tasks)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from reelserve.adapters.db import idempotency as idempotent
from reelserve.adapters.db.engine import reading, writing
from reelserve.adapters.db.lifecycle import ACTIVE, ending, failure, move
from reelserve.adapters.db.rows import row_to_task, task_to_row
from reelserve.adapters.db.tables import api_keys, files, tasks
from reelserve.domain.idempotency import IdempotencyClaim, IdempotencyOutcome
from reelserve.domain.limits import KeyLimits, check_balance, check_in_flight
from reelserve.domain.tasks import CANCELLED, Task, TaskPage, TaskStatus

_QUEUED = TaskStatus.QUEUED.value
_IN_FLIGHT = sorted(s.value for s in (*ACTIVE, TaskStatus.QUEUED))


class SqlTaskRepository:
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
                _check_limits(conn, task, limits)
            conn.execute(insert(tasks), task_to_row(task))  # one statement, compiled once
            if idempotency is not None:  # the key commits with its task, or neither does
                idempotent.finish(conn, idempotency, task.id, task.created_at)

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
        self,
        owner_key_id: str,
        *,
        status: TaskStatus | None,
        limit: int,
        cursor: str | None,
        ascending: bool = False,
    ) -> TaskPage:
        query = select(tasks).where(tasks.c.owner_key_id == owner_key_id)
        if status is not None:
            query = query.where(tasks.c.status == status.value)
        if cursor:
            query = query.where(tasks.c.id > cursor if ascending else tasks.c.id < cursor)
        order = tasks.c.id.asc() if ascending else tasks.c.id.desc()
        query = query.order_by(order).limit(limit + 1)
        with reading(self._engine) as conn:
            rows = conn.execute(query).mappings().all()
        page = tuple(row_to_task(r) for r in rows[:limit])
        return TaskPage(tasks=page, next_cursor=page[-1].id if len(rows) > limit else None)

    def count(self, owner_key_id: str) -> int:
        query = select(func.count()).select_from(tasks).where(tasks.c.owner_key_id == owner_key_id)
        with reading(self._engine) as conn:
            return int(conn.execute(query).scalar_one())

    def delete(self, task_id: str, owner_key_id: str) -> Sequence[str]:
        """Remove an ended task with its file records (its outbox log stays); the storage keys
        of its files and stored input frames."""
        mine = and_(tasks.c.id == task_id, tasks.c.owner_key_id == owner_key_id)
        ended = tasks.c.status.in_([s.value for s in TaskStatus if s.terminal])
        with writing(self._engine) as conn:
            row = conn.execute(
                tasks.delete()
                .where(mine, ended)
                .returning(tasks.c.first_frame_key, tasks.c.last_frame_key)
            ).first()
            if row is None:
                return []
            removed = (
                files.delete().where(files.c.task_id == task_id).returning(files.c.storage_key)
            )
            keys = conn.execute(removed).scalars().all()
        return [*keys, *(k for k in row if k)]

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

    def request_cancel(self, task_id: str, owner_key_id: str, now: datetime) -> Task | None:
        mine = [tasks.c.id == task_id, tasks.c.owner_key_id == owner_key_id]
        queued = frozenset({TaskStatus.QUEUED})
        with writing(self._engine) as conn:
            values = {**ending(now), **failure(CANCELLED)}
            move(conn, TaskStatus.CANCELLED, now, mine, values, among=queued)
            conn.execute(  # a flag, not a status: its worker (or the reaper) ends it
                update(tasks)
                .where(*mine, tasks.c.status.in_(sorted(s.value for s in ACTIVE)))
                .values(cancel_requested=True, updated_at=now)
            )
            row = conn.execute(select(tasks).where(*mine)).mappings().first()
        return row_to_task(row) if row else None

    def cancel_owned(self, owner_key_id: str, now: datetime, *, queued: bool = True) -> int:
        mine = [tasks.c.owner_key_id == owner_key_id]
        values = {**ending(now), **failure(CANCELLED)}
        with writing(self._engine) as conn:
            cancelled = 0
            if queued:
                among = frozenset({TaskStatus.QUEUED})
                cancelled = len(move(conn, TaskStatus.CANCELLED, now, mine, values, among=among))
            conn.execute(
                update(tasks)
                .where(*mine, tasks.c.status.in_(sorted(s.value for s in ACTIVE)))
                .values(cancel_requested=True, updated_at=now)
            )
        return cancelled


def _check_limits(conn: Connection, task: Task, limits: KeyLimits) -> None:
    """Under the write lock (BEGIN IMMEDIATE / row lock), so two creates cannot both pass."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            select(api_keys.c.id).where(api_keys.c.id == task.owner_key_id).with_for_update()
        )
    in_flight: builtins.list[str] = list(
        conn.execute(
            select(tasks.c.cost_usd).where(
                tasks.c.owner_key_id == task.owner_key_id, tasks.c.status.in_(_IN_FLIGHT)
            )
        ).scalars()
    )
    check_in_flight(len(in_flight), limits.max_in_flight)
    balance = conn.execute(
        select(api_keys.c.balance_usd).where(api_keys.c.id == task.owner_key_id)
    ).scalar_one_or_none()
    if balance is not None:
        reserved = sum((Decimal(c) for c in in_flight), Decimal("0"))
        check_balance(Decimal(balance), reserved, task.cost_usd)
