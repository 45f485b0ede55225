"""MemoryOutbox and MemoryRateLimiter over a ``MemoryDatabase``.

The outbox listens to the database's status moves, so an event exists exactly when its status
change happened, as the SQL outbox's row commits with it.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections import deque
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from reelserve.domain.deliveries import (
    EVENTS,
    SEQUENCE,
    AttemptRecord,
    CallbackEvent,
    ClaimedDelivery,
    DeliveryRecord,
    message_id,
)
from reelserve.domain.limits import WINDOW, check_rate
from reelserve.domain.tasks import Task
from reelserve.testing.tasks import MemoryDatabase

_STATE_AFTER = {"delivered": "delivered", "retry": "pending", "gave_up": "failed"}


@dataclasses.dataclass(kw_only=True)
class _Row:
    record: DeliveryRecord
    owner_key_id: str
    seq: int
    event: CallbackEvent
    lease_token: str | None = None
    lease_expires_at: datetime | None = None
    due_at: datetime


class MemoryOutbox:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._rows: dict[str, _Row] = {}
        db.on_moved.append(self._enqueue)

    def _enqueue(self, task: Task, now: datetime) -> None:
        event = EVENTS.get(task.status)
        if event is None or not task.callback_url:
            return
        delivery_id = message_id(task.id, event)
        if delivery_id in self._rows:  # a requeued task keeps its first push
            return
        record = DeliveryRecord(
            id=delivery_id,
            task_id=task.id,
            event=event,
            url=task.callback_url,
            state="pending",
            attempts=0,
            next_at=now,
            last_http_status=None,
            last_error="",
            created_at=now,
            delivered_at=None,
        )
        self._rows[delivery_id] = _Row(
            record=record,
            owner_key_id=task.owner_key_id,
            seq=SEQUENCE[event],
            event=CallbackEvent(task_id=task.id, status=task.status, dialect=task.dialect),
            due_at=now,
        )

    def _claimable(self, row: _Row, now: datetime) -> bool:
        if row.record.state != "pending" or row.due_at > now:
            return False
        if row.lease_expires_at is not None and row.lease_expires_at >= now:
            return False
        return not any(
            other.record.task_id == row.record.task_id
            and other.seq < row.seq
            and other.record.state == "pending"
            for other in self._rows.values()
        )

    def _key_active(self, key_id: str) -> bool:
        key = self._db.keys.get(key_id)
        return key is None or key.active

    def claim(
        self,
        now: datetime,
        lease_for: timedelta,
        *,
        skip_urls: Collection[str] = (),
        skip_owners: Collection[str] = (),
    ) -> ClaimedDelivery | None:
        with self._db.lock:
            due = [
                row
                for row in self._rows.values()
                if self._claimable(row, now)
                and row.record.url not in skip_urls
                and row.owner_key_id not in skip_owners
                and self._key_active(row.owner_key_id)
            ]
            if not due:
                return None
            row = min(due, key=lambda r: (r.due_at, r.seq))
            row.record = dataclasses.replace(row.record, attempts=row.record.attempts + 1)
            row.lease_token, row.lease_expires_at = secrets.token_hex(16), now + lease_for
            task = self._db.tasks[row.record.task_id]
            key = self._db.keys.get(row.owner_key_id)
            event = row.event
            if event.status.terminal:  # a task's end fields never change
                event = dataclasses.replace(
                    event,
                    file_id=task.file_id,
                    error_code=task.error_code,
                    error_message=task.error_message,
                )
            return ClaimedDelivery(
                id=row.record.id,
                task_id=row.record.task_id,
                event=event,
                url=row.record.url,
                attempt=row.record.attempts,
                secret=key.webhook_secret if key else "",
                lease_token=row.lease_token,
                owner_key_id=row.owner_key_id,
            )

    def record(
        self, delivery: ClaimedDelivery, attempt: AttemptRecord, next_at: datetime | None
    ) -> bool:
        with self._db.lock:
            self._db.attempts.append(attempt)
            row = self._rows.get(delivery.id)
            if row is None or row.lease_token != delivery.lease_token:
                return False
            delivered = attempt.outcome == "delivered"
            row.lease_token = row.lease_expires_at = None
            row.due_at = next_at or attempt.at
            row.record = dataclasses.replace(
                row.record,
                state=_STATE_AFTER[attempt.outcome],
                last_http_status=attempt.http_status,
                last_error=attempt.error,
                delivered_at=attempt.at if delivered else row.record.delivered_at,
            )
            return True

    def _view(self, row: _Row) -> DeliveryRecord:
        pending = row.record.state == "pending"
        log = tuple(a for a in self._db.attempts if a.delivery_id == row.record.id)
        return dataclasses.replace(row.record, next_at=row.due_at if pending else None, log=log)

    def deliveries(self, task_id: str) -> Sequence[DeliveryRecord]:
        with self._db.lock:
            mine = [row for row in self._rows.values() if row.record.task_id == task_id]
            mine.sort(key=lambda r: (r.seq, r.record.created_at))
            return [self._view(row) for row in mine]

    def redeliver(
        self, task_id: str, delivery_id: str | None, now: datetime
    ) -> DeliveryRecord | None:
        with self._db.lock:
            mine = [row for row in self._rows.values() if row.record.task_id == task_id]
            if delivery_id is None and mine:
                delivery_id = max(mine, key=lambda r: r.seq).record.id
            row = next((r for r in mine if r.record.id == delivery_id), None)
            if row is None:
                return None
            row.due_at = now
            row.record = dataclasses.replace(row.record, state="pending", attempts=0)
            return dataclasses.replace(self._view(row), log=())


class MemoryRateLimiter:
    """Requests per minute per key in this process: a sliding window of request times."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, limit: int, now: datetime) -> None:
        if not limit:
            return
        with self._lock:
            seen = self._seen.setdefault(key_id, deque())
            while seen and seen[0] <= now - WINDOW:
                seen.popleft()
            check_rate(limit, len(seen), seen[0] if seen else None, now)
            seen.append(now)
