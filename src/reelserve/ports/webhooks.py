"""Callbacks: sending them, the outbox they wait in, and each dialect's body."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from reelserve.domain.deliveries import (
    AttemptRecord,
    CallbackEvent,
    ClaimedDelivery,
    DeliveryRecord,
)


class WebhookSender(Protocol):
    def challenge(self, url: str, value: str, timeout_s: float) -> bool:
        """POST {"challenge": value}; True when the answer echoes it in time."""
        ...

    def deliver(self, url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        """POST a status push; the HTTP status, or 0 when no answer came."""
        ...


class OutboxStore(Protocol):
    """The callback pushes waiting to be sent; an event is written with its task's status
    change (by the task store, in the same transaction)."""

    def claim(
        self,
        now: datetime,
        lease_for: timedelta,
        *,
        skip_urls: Collection[str] = (),
        skip_owners: Collection[str] = (),
    ) -> ClaimedDelivery | None:
        """Atomically take one due delivery (earlier events of its task first) under a lease,
        none to ``skip_urls`` or of ``skip_owners`` (the receivers and keys at their bound),
        and none of a revoked key (its pushes stop)."""
        ...

    def record(
        self, delivery: ClaimedDelivery, attempt: AttemptRecord, next_at: datetime | None
    ) -> bool:
        """Log the attempt; settle the delivery when the lease still holds (False otherwise)."""
        ...

    def deliveries(self, task_id: str) -> Sequence[DeliveryRecord]: ...

    def redeliver(
        self, task_id: str, delivery_id: str | None, now: datetime
    ) -> DeliveryRecord | None:
        """Make a delivery (default: the task's latest) due now with a fresh attempt budget."""
        ...


class CallbackRenderer(Protocol):
    """One dialect's callback body for an event; the same event always renders the same bytes."""

    def render(self, event: CallbackEvent) -> bytes: ...
