"""SqlOutbox: the webhook outbox (the ``OutboxStore`` port) on SQLite or PostgreSQL.

``enqueue_events`` is called by ``lifecycle.move`` inside the transaction that changes a task's
status, so a push exists exactly when its status change committed. A row is a neutral event
(task, status, dialect); the claim reads the task's end fields with it, and the service renders
the body in the task's dialect. Claims are one atomic ``UPDATE …
WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING`` that takes a lease; a push is
not claimable while an earlier event of its task is still pending, so a receiver sees
``processing`` acknowledged before ``success``/``failed``.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, RowMapping, exists, insert, or_, select, update

from reelserve.adapters.db.engine import reading, writing
from reelserve.adapters.db.tables import api_keys, tasks, webhook_attempts, webhook_deliveries
from reelserve.domain.deliveries import (
    EVENTS,
    SEQUENCE,
    AttemptRecord,
    CallbackEvent,
    ClaimedDelivery,
    DeliveryRecord,
    message_id,
)
from reelserve.domain.tasks import TaskStatus

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_STATE_AFTER = {"delivered": DELIVERED, "retry": PENDING, "gave_up": FAILED}

_d = webhook_deliveries


def enqueue_events(conn: Connection, task_ids: Iterable[str], now: datetime) -> None:
    """Add the push for each task's current status, when it has a callback URL and none yet.

    A task that is requeued and reaches ``processing`` again keeps its first push: the webhook-id
    is per task and event, and the client already knows the task is processing.
    """
    ids = list(task_ids)
    if not ids:
        return
    rows = conn.execute(
        select(tasks).where(tasks.c.id.in_(ids), tasks.c.callback_url.is_not(None))
    ).mappings()
    for row in rows:
        status = TaskStatus(row["status"])
        event = EVENTS.get(status)
        if event is None or not row["callback_url"]:
            continue
        delivery_id = message_id(row["id"], event)
        if conn.execute(select(_d.c.id).where(_d.c.id == delivery_id)).first() is not None:
            continue
        conn.execute(
            insert(_d).values(
                id=delivery_id,
                task_id=row["id"],
                owner_key_id=row["owner_key_id"],
                event=event,
                seq=SEQUENCE[event],
                url=row["callback_url"],
                status=status.value,
                dialect=row["dialect"],
                state=PENDING,
                attempts=0,
                next_at=now,
                last_error="",
                created_at=now,
                updated_at=now,
            )
        )


class SqlOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(
        self,
        now: datetime,
        lease_for: timedelta,
        *,
        skip_urls: Collection[str] = (),
        skip_owners: Collection[str] = (),
    ) -> ClaimedDelivery | None:
        earlier = _d.alias("earlier")
        blocked = exists().where(
            earlier.c.task_id == _d.c.task_id,
            earlier.c.seq < _d.c.seq,
            earlier.c.state == PENDING,
        )
        revoked = exists().where(  # a revoked key's pushes are never sent
            api_keys.c.id == _d.c.owner_key_id, api_keys.c.revoked_at.is_not(None)
        )
        due = (
            select(_d.c.id)
            .where(
                _d.c.state == PENDING,
                _d.c.next_at <= now,
                or_(_d.c.lease_expires_at.is_(None), _d.c.lease_expires_at < now),
                ~blocked,
                ~revoked,
                *([_d.c.url.not_in(sorted(skip_urls))] if skip_urls else []),
                *([_d.c.owner_key_id.not_in(sorted(skip_owners))] if skip_owners else []),
            )
            .order_by(_d.c.next_at, _d.c.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        token = secrets.token_hex(16)
        stmt = (
            update(_d)
            .where(_d.c.id == due, _d.c.state == PENDING)
            .values(
                attempts=_d.c.attempts + 1,  # counted at claim: a crash mid-send still counts
                lease_token=token,
                lease_expires_at=now + lease_for,
                updated_at=now,
            )
            .returning(*_d.c)
        )
        with writing(self._engine) as conn:
            row = conn.execute(stmt).mappings().first()
            if row is None:
                return None
            secret = conn.execute(
                select(api_keys.c.webhook_secret).where(api_keys.c.id == row["owner_key_id"])
            ).scalar_one_or_none()
            ended = conn.execute(
                select(tasks.c.file_id, tasks.c.error_code, tasks.c.error_message).where(
                    tasks.c.id == row["task_id"]
                )
            ).first()
        status = TaskStatus(row["status"])
        event = CallbackEvent(task_id=row["task_id"], status=status, dialect=row["dialect"])
        if ended is not None and status.terminal:  # a task's end fields never change
            event = replace(
                event,
                file_id=ended.file_id,
                error_code=ended.error_code,
                error_message=ended.error_message,
            )
        return ClaimedDelivery(
            id=row["id"],
            task_id=row["task_id"],
            event=event,
            url=row["url"],
            attempt=row["attempts"],
            secret=secret or "",
            lease_token=token,
            owner_key_id=row["owner_key_id"],
        )

    def record(
        self, delivery: ClaimedDelivery, attempt: AttemptRecord, next_at: datetime | None
    ) -> bool:
        delivered = attempt.outcome == "delivered"
        settle = (
            update(_d)
            .where(_d.c.id == delivery.id, _d.c.lease_token == delivery.lease_token)
            .values(
                state=_STATE_AFTER[attempt.outcome],
                next_at=next_at or attempt.at,
                lease_token=None,
                lease_expires_at=None,
                last_http_status=attempt.http_status,
                last_error=attempt.error,
                updated_at=attempt.at,
                **({"delivered_at": attempt.at} if delivered else {}),
            )
        )
        with writing(self._engine) as conn:
            conn.execute(
                insert(webhook_attempts).values(
                    delivery_id=attempt.delivery_id,
                    task_id=delivery.task_id,
                    attempt=attempt.attempt,
                    at=attempt.at,
                    http_status=attempt.http_status,
                    outcome=attempt.outcome,
                    duration_ms=attempt.duration_ms,
                    error=attempt.error,
                )
            )
            return conn.execute(settle).rowcount == 1

    def deliveries(self, task_id: str) -> Sequence[DeliveryRecord]:
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(_d).where(_d.c.task_id == task_id).order_by(_d.c.seq, _d.c.created_at)
            ).mappings()
            found = list(rows)
            attempts = conn.execute(
                select(webhook_attempts)
                .where(webhook_attempts.c.task_id == task_id)
                .order_by(webhook_attempts.c.id)
            ).mappings()
            log = [_attempt(a) for a in attempts]
        return [_record(r, tuple(a for a in log if a.delivery_id == r["id"])) for r in found]

    def redeliver(
        self, task_id: str, delivery_id: str | None, now: datetime
    ) -> DeliveryRecord | None:
        mine = _d.c.task_id == task_id
        with writing(self._engine) as conn:
            if delivery_id is None:
                latest = select(_d.c.id).where(mine).order_by(_d.c.seq.desc()).limit(1)
                delivery_id = conn.execute(latest).scalar_one_or_none()
                if delivery_id is None:
                    return None
            row = (
                conn.execute(
                    update(_d)
                    .where(mine, _d.c.id == delivery_id)
                    .values(state=PENDING, attempts=0, next_at=now, updated_at=now)
                    .returning(*_d.c)
                )
                .mappings()
                .first()
            )
        return _record(row, ()) if row else None


def _attempt(row: RowMapping) -> AttemptRecord:
    return AttemptRecord(
        delivery_id=row["delivery_id"],
        attempt=row["attempt"],
        at=row["at"],
        http_status=row["http_status"],
        outcome=row["outcome"],
        duration_ms=row["duration_ms"],
        error=row["error"],
    )


def _record(row: RowMapping, log: tuple[AttemptRecord, ...]) -> DeliveryRecord:
    return DeliveryRecord(
        id=row["id"],
        task_id=row["task_id"],
        event=row["event"],
        url=row["url"],
        state=row["state"],
        attempts=row["attempts"],
        next_at=row["next_at"] if row["state"] == PENDING else None,
        last_http_status=row["last_http_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        log=log,
    )
