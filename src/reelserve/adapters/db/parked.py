"""SqlParkedStore: the ``upstream_tasks`` table, one row per relayed task (domain/relay.py).

Rows are kept after the end (state done/failed/cancelled): they are the audit of what went
upstream (its id, how many status calls, the checksum of the copied file). Pollers in several
processes share the rows: a claim moves ``next_check_at`` ahead in the same statement
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Engine,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)

from reelserve.adapters.db.engine import reading, writing
from reelserve.adapters.db.tables import UtcDateTime, metadata, tasks
from reelserve.adapters.engines.upstream.ports import RelayStats
from reelserve.domain.relay import OPEN, ParkedTask, ParkState

upstream_tasks = Table(
    "upstream_tasks",
    metadata,
    Column("task_id", String(32), primary_key=True),
    Column("upstream", String(100), nullable=False),
    Column("route", Text, nullable=False),  # the failover list, comma-separated
    Column("state", String(16), nullable=False),
    Column("idempotency_key", String(100), nullable=False),
    Column("upstream_task_id", String(200), nullable=True),
    Column("deadline_at", UtcDateTime, nullable=False),
    Column("next_check_at", UtcDateTime, nullable=False),
    Column("checks", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("resubmits", Integer, nullable=False, default=0),
    Column("upstream_status", String(64), nullable=False, default=""),
    Column("sha256", String(64), nullable=True),
    Column("upstream_cost", String(40), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_upstream_tasks_due", "upstream", "state", "next_check_at"),
)
_OPEN = [state.value for state in OPEN]
_BUSY = [ParkState.SUBMITTING.value, ParkState.PARKED.value, ParkState.COPYING.value]
_c = upstream_tasks.c


def _row(row: RowMapping) -> ParkedTask:
    return ParkedTask(
        task_id=row["task_id"],
        upstream=row["upstream"],
        route=tuple(row["route"].split(",")),
        state=ParkState(row["state"]),
        idempotency_key=row["idempotency_key"],
        upstream_task_id=row["upstream_task_id"],
        deadline_at=row["deadline_at"],
        next_check_at=row["next_check_at"],
        checks=row["checks"],
        errors=row["errors"],
        resubmits=row["resubmits"],
        upstream_status=row["upstream_status"],
        sha256=row["sha256"],
        upstream_cost=row["upstream_cost"],
    )


class SqlParkedStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, task_id: str) -> ParkedTask | None:
        with reading(self._engine) as conn:
            row = conn.execute(select(upstream_tasks).where(_c.task_id == task_id)).mappings()
            found = row.first()
        return _row(found) if found else None

    def begin(self, row: ParkedTask, now: datetime) -> None:
        values = {
            "task_id": row.task_id,
            "upstream": row.upstream,
            "route": ",".join(row.route),
            "state": row.state.value,
            "idempotency_key": row.idempotency_key,
            "upstream_task_id": None,
            "deadline_at": row.deadline_at,
            "next_check_at": row.next_check_at,
            "checks": row.checks,
            "errors": row.errors,
            "resubmits": row.resubmits,
            "upstream_status": "",
            "created_at": now,
            "updated_at": now,
        }
        with writing(self._engine) as conn:
            conn.execute(upstream_tasks.delete().where(_c.task_id == row.task_id))
            conn.execute(insert(upstream_tasks).values(values))

    def reserve(
        self, task_id: str, upstream: str, room: int | None, now: datetime, hold: timedelta
    ) -> bool:
        with writing(self._engine) as conn:  # SQLite: BEGIN IMMEDIATE serialises this
            if conn.dialect.name == "postgresql":
                key = zlib.crc32(f"reelserve-relay:{upstream}".encode())
                conn.execute(select(func.pg_advisory_xact_lock(key)))
            if room is not None:
                busy = select(func.count()).where(
                    _c.upstream == upstream, _c.state.in_(_BUSY), _c.task_id != task_id
                )
                if conn.execute(busy).scalar_one() >= room:
                    return False
            stmt = (
                update(upstream_tasks)
                .where(_c.task_id == task_id)
                .values(
                    state=ParkState.SUBMITTING.value,
                    upstream=upstream,
                    next_check_at=now + hold,
                    updated_at=now,
                )
            )
            return conn.execute(stmt).rowcount == 1

    def submitted(self, task_id: str, upstream: str, upstream_id: str, now: datetime) -> bool:
        stmt = (
            update(upstream_tasks)
            .where(_c.task_id == task_id, _c.state.in_(_OPEN))
            .values(
                state=ParkState.PARKED.value,
                upstream=upstream,
                upstream_task_id=upstream_id,
                next_check_at=now,
                errors=0,
                updated_at=now,
            )
        )
        with writing(self._engine) as conn:
            return conn.execute(stmt).rowcount == 1

    def resubmitting(self, task_id: str, now: datetime) -> None:
        stmt = (
            update(upstream_tasks)
            .where(_c.task_id == task_id)
            .values(resubmits=_c.resubmits + 1, updated_at=now)
        )
        with writing(self._engine) as conn:
            conn.execute(stmt)

    def claim_due(
        self, upstream: str, states: Sequence[ParkState], now: datetime, limit: int, hold: timedelta
    ) -> list[ParkedTask]:
        due = (
            select(_c.task_id)
            .where(
                _c.upstream == upstream,
                _c.state.in_([s.value for s in states]),
                _c.next_check_at <= now,
            )
            .order_by(_c.next_check_at, _c.task_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(upstream_tasks)
            .where(_c.task_id.in_(due.scalar_subquery()))
            .values(next_check_at=now + hold)
            .returning(*upstream_tasks.c)
        )
        with writing(self._engine) as conn:
            rows = conn.execute(stmt).mappings().all()
        return sorted((_row(r) for r in rows), key=lambda r: r.deadline_at)

    def checked(
        self, task_id: str, now: datetime, *, status: str, next_check_at: datetime, error: bool
    ) -> None:
        stmt = (
            update(upstream_tasks)
            .where(_c.task_id == task_id)
            .values(
                checks=_c.checks + 1,
                errors=_c.errors + 1 if error else 0,
                upstream_status=status[:64],
                next_check_at=next_check_at,
                updated_at=now,
            )
        )
        with writing(self._engine) as conn:
            conn.execute(stmt)

    def move(self, task_id: str, state: ParkState, now: datetime, **extra: object) -> None:
        stmt = (
            update(upstream_tasks)
            .where(_c.task_id == task_id)
            .values(state=state.value, updated_at=now, **extra)
        )
        with writing(self._engine) as conn:
            conn.execute(stmt)

    def open_count(self, upstream: str) -> int:
        query = select(func.count()).where(_c.upstream == upstream, _c.state.in_(_BUSY))
        with reading(self._engine) as conn:
            return int(conn.execute(query).scalar_one())

    def cancel_requested(self, upstream: str) -> list[ParkedTask]:
        query = (
            select(upstream_tasks)
            .join(tasks, tasks.c.id == _c.task_id)
            .where(_c.upstream == upstream, _c.state.in_(_OPEN), tasks.c.cancel_requested)
        )
        with reading(self._engine) as conn:
            return [_row(r) for r in conn.execute(query).mappings().all()]

    def hint(self, upstream: str, upstream_task_id: str, now: datetime) -> bool:
        stmt = (
            update(upstream_tasks)
            .where(
                _c.upstream == upstream,
                _c.upstream_task_id == upstream_task_id,
                _c.state == ParkState.PARKED.value,
            )
            .values(next_check_at=now)
        )
        with writing(self._engine) as conn:
            return conn.execute(stmt).rowcount == 1

    def stats(self) -> list[RelayStats]:
        query = select(
            _c.upstream, _c.state, func.count(), func.sum(_c.checks), func.sum(_c.resubmits)
        ).group_by(_c.upstream, _c.state)
        with reading(self._engine) as conn:
            rows = conn.execute(query).all()
        return [
            RelayStats(
                upstream=str(name),
                state=ParkState(state),
                tasks=int(count),
                checks=int(checks or 0),
                resubmits=int(resubmits or 0),
            )
            for name, state, count, checks, resubmits in rows
        ]
