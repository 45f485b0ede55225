"""Idempotency-Key semantics (Stripe / IETF draft): same key and body → the same task.

A key is scoped to the API key that sent it and kept for 24 hours. A request whose first try is
still running is refused (retry later), and a key reused with another body is refused for good.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from reelserve.domain.errors import InvalidParams

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyState(enum.StrEnum):
    STARTED = "started"  # this request owns the key now
    DONE = "done"  # an earlier request finished: replay its task
    IN_FLIGHT = "in_flight"  # an earlier request with this key is still running
    MISMATCH = "mismatch"  # the key was used with another body


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyClaim:
    owner_key_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyOutcome:
    state: IdempotencyState
    task_id: str | None = None


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidParams(
            f"Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} characters, got {len(key)}"
        )
    return key


class IdempotencyConflict(InvalidParams):
    """2013 with HTTP 409 (in flight) or 422 (another body): an extension, outside MiniMax's API."""

    def __init__(self, key: str, state: IdempotencyState) -> None:
        self.state = state
        if state is IdempotencyState.IN_FLIGHT:
            detail = (
                f"Idempotency-Key: {key!r} is in use by a request still in progress; retry later"
            )
        else:
            detail = f"Idempotency-Key: {key!r} was already used with a different request body"
        super().__init__(detail)
