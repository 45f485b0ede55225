"""The RateLimiter contract: requests per minute per key, a sliding window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.contract.helpers import T0

from reelserve.domain.errors import RateLimited


def test_the_limit_holds_per_key_within_a_minute_and_then_slides(stores: Any) -> None:
    limiter = stores.limiter
    for second in (0, 10, 20):
        limiter.hit("k1", 3, T0 + timedelta(seconds=second))
    with pytest.raises(RateLimited) as refused:
        limiter.hit("k1", 3, T0 + timedelta(seconds=30))
    assert refused.value.retry_after_s == pytest.approx(30.0)
    limiter.hit("k2", 3, T0 + timedelta(seconds=30))  # another key's minute
    limiter.hit("k1", 3, T0 + timedelta(seconds=60))  # the first request left the window
    with pytest.raises(RateLimited):
        limiter.hit("k1", 3, T0 + timedelta(seconds=61))


def test_a_refused_request_is_not_counted_and_no_limit_counts_nothing(stores: Any) -> None:
    limiter = stores.limiter
    limiter.hit("k1", 1, T0)
    for second in (1, 2, 3):
        with pytest.raises(RateLimited):
            limiter.hit("k1", 1, T0 + timedelta(seconds=second))
    limiter.hit("k1", 1, T0 + timedelta(seconds=60))
    for _ in range(100):
        limiter.hit("k3", 0, T0)
    limiter.hit("k3", 1, T0)  # nothing was counted without a limit
