"""Webhook tests run the real container with the retry schedule compressed 2000×.

The schedule 5 s, 5 min, 30 min, … becomes 2.5 ms, 150 ms, 900 ms, 3.6 s, …; a push times out
after 0.5 s. The challenge keeps its real 3 s budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from reelserve.bootstrap import Container
from reelserve.settings import Settings

RETRY_SCALE = 0.0005


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_retry_scale": RETRY_SCALE,
            "webhook_timeout_s": 0.5,
            "webhook_max_attempts": 5,
            "webhook_poll_s": 0.02,
        }
    )


def drain(container: Container, done: Callable[[], bool], within_s: float = 15.0) -> None:
    """Run the delivery loop's step until ``done()`` holds (the retries wait in the outbox)."""
    deadline = time.monotonic() + within_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("deliveries did not settle in time")
        if not container.webhooks.deliver_due():
            time.sleep(0.01)
