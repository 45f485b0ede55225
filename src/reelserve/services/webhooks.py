"""Callbacks (MINIMAX_API.md §5): push bodies, Standard Webhooks signing, retries, delivery.

A status change writes a neutral outbox event in the same transaction (task, status, dialect);
the workers' delivery loop calls ``WebhookService.deliver_due()``, which claims due events under a
lease, renders each body in its task's dialect (``services/callbacks.py``), signs and POSTs it,
and records the attempt. A 2xx acknowledges a push; anything else (3xx
included: redirects are not followed) is retried on ``RetryPolicy``'s schedule until it gives up.

Signing follows Standard Webhooks 1.0 (research/reliability.md §B.1): ``webhook-id`` is stable
across retries of one event, ``webhook-timestamp`` is this attempt's Unix time, and
``webhook-signature`` is ``v1,`` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) under the
per-API-key secret ``whsec_<base64>``, computed by the ``standardwebhooks`` package, so that its
``Webhook(secret).verify(body, headers)`` accepts our pushes by construction.
"""

from __future__ import annotations

import base64
import logging
import random
import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from reelserve.domain.deliveries import AttemptRecord, ClaimedDelivery, DeliveryRecord, Outcome
from reelserve.domain.errors import InvalidParams, NotFound
from reelserve.domain.keys import ApiKey
from reelserve.domain.tenancy import acting_for
from reelserve.ports import (
    CallbackRenderer,
    Clock,
    OutboxStore,
    RateLimiter,
    TaskRepository,
    WebhookSender,
)
from reelserve.services.callbacks import RENDERERS, renderer_for

log = logging.getLogger("reelserve.webhooks")

SECRET_PREFIX = "whsec_"
REDELIVER_PREFIX = "redeliver:"  # redeliveries are counted apart from creates
# Svix's schedule (one of the Standard Webhooks authors): the wait after failed attempt n.
SCHEDULE_S: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)

# --- signature --------------------------------------------------------------------------


def new_webhook_secret() -> str:
    """``whsec_`` + 24 random bytes in standard base64 (the alphabet every SDK decodes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value, made by the ``standardwebhooks`` package itself (the one
    receivers verify with), so the two cannot disagree; an empty secret is refused there."""
    when = datetime.fromtimestamp(timestamp, UTC)
    return Webhook(secret).sign(msg_id, when, body.decode("utf-8"))


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


# --- retry policy ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When to try again. ``scale`` compresses the schedule (tests, demos); jitter is ±10 %."""

    delays_s: tuple[float, ...] = SCHEDULE_S
    scale: float = 1.0
    max_attempts: int = len(SCHEDULE_S) + 1
    jitter: float = 0.1

    def outcome(self, http_status: int, attempts: int) -> Outcome:
        """What ``attempts`` tries, the last answered with ``http_status`` (0: none), lead to."""
        if 200 <= http_status < 300:
            return "delivered"
        # 410 Gone: the receiver asks us to stop (Standard Webhooks).
        if http_status == 410 or attempts >= self.max_attempts:
            return "gave_up"
        return "retry"

    def delay_s(self, attempts: int, rand: float) -> float:
        """Seconds to wait after failed attempt ``attempts`` (1-based); ``rand`` in [0, 1)."""
        base = self.delays_s[min(max(attempts, 1), len(self.delays_s)) - 1]
        return base * self.scale * (1 + self.jitter * (2 * rand - 1))


# --- the use case ----------------------------------------------------------------------


class WebhookService:
    def __init__(
        self,
        *,
        outbox: OutboxStore,
        tasks: TaskRepository,
        sender: WebhookSender,
        clock: Clock,
        policy: RetryPolicy = RetryPolicy(),
        timeout_s: float = 10.0,
        rand: Callable[[], float] = random.random,
        renderers: Mapping[str, CallbackRenderer] = RENDERERS,
        rate: RateLimiter | None = None,
        redeliver_per_minute: int = 0,
    ) -> None:
        self._rate = rate
        self._redeliver_rpm = redeliver_per_minute
        self._renderers = renderers
        self._outbox = outbox
        self._tasks = tasks
        self._sender = sender
        self._clock = clock
        self._policy = policy
        self._timeout_s = timeout_s
        self._rand = rand
        # Long enough that a slow receiver never has its push taken over mid-request.
        self._lease = timedelta(seconds=timeout_s + 30)

    def deliver_due(self, limit: int = 100) -> int:
        """Send up to ``limit`` due pushes, one at a time; the number of attempts made.
        (The workers send concurrently through ``DeliveryPool``; this is its one-thread form.)"""
        done = 0
        while done < limit:
            claimed = self.claim()
            if claimed is None:
                break
            self.attempt(claimed)
            done += 1
        return done

    def claim(
        self, *, skip_urls: Collection[str] = (), skip_owners: Collection[str] = ()
    ) -> ClaimedDelivery | None:
        """One due push under a lease, none to ``skip_urls`` or of ``skip_owners``."""
        return self._outbox.claim(
            self._clock.now(), self._lease, skip_urls=skip_urls, skip_owners=skip_owners
        )

    def attempt(self, delivery: ClaimedDelivery) -> Outcome:
        with acting_for(delivery.owner_key_id):  # its DNS lookups count against its key
            return self._attempt(delivery)

    def _attempt(self, delivery: ClaimedDelivery) -> Outcome:
        started = self._clock.now()
        stamp = int(started.timestamp())
        body = renderer_for(self._renderers, delivery.event.dialect).render(delivery.event)
        headers = signed_headers(delivery.secret, delivery.id, stamp, body)
        began = time.monotonic()
        status = self._sender.deliver(delivery.url, body, headers, self._timeout_s)
        duration_ms = round((time.monotonic() - began) * 1000)
        outcome = self._policy.outcome(status, delivery.attempt)
        next_at = None
        if outcome == "retry":
            delay = self._policy.delay_s(delivery.attempt, self._rand())
            next_at = self._clock.now() + timedelta(seconds=delay)
        record = AttemptRecord(
            delivery_id=delivery.id,
            attempt=delivery.attempt,
            at=started,
            http_status=status,
            outcome=outcome,
            duration_ms=duration_ms,
            error="" if outcome == "delivered" else (f"HTTP {status}" if status else "no answer"),
        )
        if not self._outbox.record(delivery, record, next_at):
            log.warning("webhook %s: lease lost before the attempt was recorded", delivery.id)
        if outcome != "delivered":
            log.info("webhook %s attempt %d: %s", delivery.id, delivery.attempt, record.error)
        return outcome

    def log(self, owner: ApiKey, task_id: str) -> Sequence[DeliveryRecord]:
        self._own(owner, task_id)
        return self._outbox.deliveries(task_id)

    def redeliver(self, owner: ApiKey, task_id: str, delivery_id: str | None) -> DeliveryRecord:
        self._own(owner, task_id)
        if self._rate is not None:  # 1002 past the key's redeliveries per minute
            self._rate.hit(REDELIVER_PREFIX + owner.id, self._redeliver_rpm, self._clock.now())
        record = self._outbox.redeliver(task_id, delivery_id or None, self._clock.now())
        if record is None:
            if delivery_id:
                raise NotFound("delivery", delivery_id)
            raise InvalidParams(f"task_id: task {task_id!r} has no callback deliveries")
        return record

    def _own(self, owner: ApiKey, task_id: str) -> None:
        if not task_id or self._tasks.get(task_id, owner.id) is None:
            raise NotFound("task", task_id)
