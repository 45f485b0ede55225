"""Per-key limits: requests per minute on create, tasks in flight, and a prepaid balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from reelserve.domain.errors import InsufficientBalance, RateLimited

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyLimits:
    """What a task insert checks in its transaction (the request rate is the RateLimiter's)."""

    max_in_flight: int | None  # None or 0: no limit
    balance_usd: Decimal | None  # None: no balance kept


def check_rate(limit: int, counted: int, oldest: datetime | None, now: datetime) -> None:
    """Refuse a request when ``limit`` were counted in the minute before ``now``; the oldest of
    them says when the next one is allowed (RateLimiter adapters count, this decides)."""
    if limit and counted >= limit:
        retry = (oldest + WINDOW - now).total_seconds() if oldest else WINDOW.total_seconds()
        raise RateLimited(f"{limit} requests per minute for this key", retry_after_s=retry)


def check_in_flight(in_flight: int, limit: int | None) -> None:
    if limit and in_flight >= limit:
        raise RateLimited(f"{in_flight} tasks in flight; this key allows {limit}")


def check_balance(balance: Decimal | None, reserved: Decimal, price: Decimal) -> None:
    if balance is not None and balance - reserved < price:
        raise InsufficientBalance(
            f"this task costs ${price}; the key has ${balance - reserved} available "
            f"(${balance} balance, ${reserved} reserved by tasks in flight)"
        )
