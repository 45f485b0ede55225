"""Per-key limits: requests per minute on create, tasks in flight, and a prepaid balance."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from threading import Lock

from reelserve.domain.errors import InsufficientBalance, RateLimited

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyLimits:
    rpm: int | None  # None or 0: no limit
    max_in_flight: int | None
    balance_usd: Decimal | None  # None: no balance kept


class RequestsPerMinute:
    """A sliding one-minute window per key, in this process (see docs: per API process)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = Lock()

    def hit(self, key_id: str, limit: int | None, now: datetime) -> None:
        if not limit:
            return
        with self._lock:
            seen = self._seen.setdefault(key_id, deque())
            while seen and seen[0] <= now - WINDOW:
                seen.popleft()
            if len(seen) >= limit:
                retry = (seen[0] + WINDOW - now).total_seconds()
                raise RateLimited(f"{limit} requests per minute for this key", retry_after_s=retry)
            seen.append(now)


def check_in_flight(in_flight: int, limit: int | None) -> None:
    if limit and in_flight >= limit:
        raise RateLimited(f"{in_flight} tasks in flight; this key allows {limit}")


def check_balance(balance: Decimal | None, reserved: Decimal, price: Decimal) -> None:
    if balance is not None and balance - reserved < price:
        raise InsufficientBalance(
            f"this task costs ${price}; the key has ${balance - reserved} available "
            f"(${balance} balance, ${reserved} reserved by tasks in flight)"
        )
