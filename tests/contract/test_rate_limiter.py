"""The RateLimiter contract: requests per minute per key, a sliding window."""

from __future__ import annotations

import threading
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


def test_concurrent_requests_never_pass_more_than_the_limit(stores: Any) -> None:
    """As two API processes would: each hit checks and counts under the key's lock."""
    passed: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        for attempt in range(5):
            try:
                stores.limiter.hit("k1", 10, T0 + timedelta(milliseconds=index * 5 + attempt))
            except RateLimited:
                continue
            with lock:
                passed.append(index)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 10
