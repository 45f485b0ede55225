"""Callback deliveries: the neutral event a status change leaves in the outbox, and its log.

The outbox stores *which* task reached *which* status and the dialect that created the task; the
body is rendered only when it is sent, by that dialect's renderer (services/callbacks.py). A
task's end fields (file, error) never change once it has ended, so every retry renders the same
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from reelserve.domain.tasks import TaskStatus

# Where an attempt leaves a push: acknowledged, to be tried again, or abandoned.
Outcome = Literal["delivered", "retry", "gave_up"]

# The statuses a callback is pushed for, and the event each one is (one push per event).
EVENTS: dict[TaskStatus, str] = {
    TaskStatus.PROCESSING: "processing",
    TaskStatus.SUCCEEDED: "success",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "failed",
}
SEQUENCE = {"processing": 1, "success": 2, "failed": 2}  # a receiver sees them in this order


def message_id(task_id: str, event: str) -> str:
    """The ``webhook-id``: one per task and event, so retries and redeliveries deduplicate."""
    return f"msg_{task_id}_{event}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackEvent:
    """A task's status change as the outbox keeps it, with the task's end fields read at send."""

    task_id: str
    status: TaskStatus
    dialect: str  # the wire dialect that created the task; it shapes the body
    file_id: str | None = None
    error_code: int = 0
    error_message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedDelivery:
    id: str  # the webhook-id
    task_id: str
    event: CallbackEvent
    url: str
    attempt: int  # this attempt's number, counted from the last (re)delivery
    secret: str  # the owner key's webhook secret
    lease_token: str
    owner_key_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    delivery_id: str
    attempt: int
    at: datetime
    http_status: int  # 0: no answer (timeout, refused, connection failure)
    outcome: Outcome
    duration_ms: int
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    id: str
    task_id: str
    event: str
    url: str
    state: str  # pending | delivered | failed
    attempts: int
    next_at: datetime | None
    last_http_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    log: tuple[AttemptRecord, ...] = ()
