"""SqlTaskQueue: the ``TaskQueue`` port. The tasks table is the queue.

A claim is one atomic ``UPDATE … WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED])
RETURNING``; every write after it is a compare-and-set on the lease token, so a worker that lost
its lease can never overwrite a result. Status writes go through ``lifecycle.move``.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from reelserve.adapters.db.engine import one_statement, writing
from reelserve.adapters.db.lifecycle import ACTIVE, NO_LEASE, ending, failure, move
from reelserve.adapters.db.rows import file_to_row, row_to_task
from reelserve.adapters.db.tables import api_keys, files, tasks
from reelserve.domain.tasks import (
    CANCELLED,
    LOST,
    Failure,
    Heartbeat,
    Phase,
    Progress,
    ReapResult,
    Success,
    Task,
    TaskStatus,
    check_result,
    sources,
)

_ACTIVE = sorted(s.value for s in ACTIVE)


class SqlTaskQueue:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(
        self,
        worker_id: str,
        now: datetime,
        lease_for: timedelta,
        *,
        models: Collection[str] | None = None,
    ) -> Task | None:
        if models is not None and not models:
            return None
        claimable = [s.value for s in sources(TaskStatus.PREPARING)]
        oldest = select(tasks.c.id).where(tasks.c.status.in_(claimable))
        if models is not None:
            oldest = oldest.where(tasks.c.model.in_(sorted(models)))
        oldest_id = (
            oldest.order_by(tasks.c.created_at, tasks.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        values = {
            "phase": Phase.PREPARING.value,
            "attempts": tasks.c.attempts + 1,
            "lease_owner": worker_id,
            "lease_token": secrets.token_hex(16),
            "lease_expires_at": now + lease_for,
            "started_at": func.coalesce(tasks.c.started_at, now),
        }
        # One statement (a claim queues no callback: PREPARING has no event), so no BEGIN/COMMIT.
        with one_statement(self._engine) as conn:
            rows = move(
                conn, TaskStatus.PREPARING, now, [tasks.c.id == oldest_id], values,
                returning=tuple(tasks.c),
            )  # fmt: skip
        return row_to_task(rows[0]) if rows else None

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
            .where(tasks.c.id == task_id, tasks.c.lease_token == token, tasks.c.status.in_(_ACTIVE))
            .values(values)
            .returning(tasks.c.cancel_requested)
        )
        with one_statement(self._engine) as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return Heartbeat(alive=False, cancel_requested=False)
        return Heartbeat(alive=True, cancel_requested=bool(row.cancel_requested))

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
        fenced = [tasks.c.id == task_id, tasks.c.lease_token == token]
        keeps_balance = (
            select(api_keys.c.balance_usd.is_not(None))
            .where(api_keys.c.id == tasks.c.owner_key_id)
            .scalar_subquery()
            .label("keeps_balance")
        )  # known with the update: no round trip to charge a key without a balance
        returning = (tasks.c.id, tasks.c.owner_key_id, tasks.c.cost_usd, keeps_balance)
        with writing(self._engine) as conn:
            rows = move(conn, to, now, fenced, _values(to, now, result), returning=returning)
            if rows and isinstance(result, Success):
                conn.execute(insert(files), file_to_row(result.file))
                if rows[0]["keeps_balance"]:
                    _charge(conn, rows[0]["owner_key_id"], Decimal(rows[0]["cost_usd"]))
            elif isinstance(result, Success):  # a retry after a lost answer: was it this one?
                return _recorded(conn, task_id, result.file.id)
        return bool(rows)

    def reap(self, now: datetime) -> ReapResult:
        expired = [tasks.c.lease_expires_at < now]
        with writing(self._engine) as conn:
            # Its owner asked to stop it: running it again would only be cancelled later.
            cancelled = _ids(
                move(
                    conn, TaskStatus.CANCELLED, now,
                    [*expired, tasks.c.cancel_requested.is_(True)],
                    {**ending(now), **failure(CANCELLED)}, among=ACTIVE,
                )
            )  # fmt: skip
            failed = _ids(
                move(
                    conn, TaskStatus.FAILED, now,
                    [*expired, tasks.c.attempts >= tasks.c.max_attempts],
                    {**ending(now), **failure(LOST)}, among=ACTIVE,
                )
            )  # fmt: skip
            requeue = {"phase": Phase.QUEUED.value, "progress_step": 0, "progress_total": 0}
            requeued = _ids(move(conn, TaskStatus.QUEUED, now, expired, {**requeue, **NO_LEASE}))
        return ReapResult(requeued=requeued, failed=failed, cancelled=cancelled)


def _recorded(conn: Connection, task_id: str, file_id: str) -> bool:
    query = select(tasks.c.id).where(tasks.c.id == task_id, tasks.c.file_id == file_id)
    return conn.execute(query).first() is not None


def _ids(rows: Any) -> tuple[str, ...]:
    return tuple(row["id"] for row in rows)


def _values(to: TaskStatus, now: datetime, result: Success | Failure | None) -> dict[str, Any]:
    if isinstance(result, Failure):
        return {**ending(now), **failure(result)}
    if isinstance(result, Success):
        video = result.video
        return {
            **ending(now),
            "progress_step": video.frame_count,
            "progress_total": video.frame_count,
            "file_id": result.file.id,
            "width": video.width,
            "height": video.height,
            "fps": video.fps,
            "frame_count": video.frame_count,
        }
    return {"phase": Phase.RENDERING.value} if to is TaskStatus.PROCESSING else {}


def _charge(conn: Connection, key_id: str, cost: Decimal) -> None:
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
