"""Issue 16 item 4: one key's hanging receiver does not delay another key's pushes, and
redelivery is rate-limited.

Before, the delivery loop sent one push at a time: four pushes to a receiver that hangs for the
whole timeout held every other key's push behind them. The assertion is about order: key B's
push arrives while key A's receiver is still hanging on every push sent to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from reelserve.bootstrap import Container
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import GenerationRequest
from reelserve.services.delivery_pool import DeliveryPool
from reelserve.settings import Settings
from tests.webhooks.receiver import Receiver

HANG_S = 2.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"webhook_timeout_s": 5.0, "webhook_redeliver_per_minute": 2, "workers": 0}
    )


@pytest.fixture
def hanging() -> Iterator[Receiver]:
    with Receiver(["timeout"] * 4, hang_s=HANG_S) as receiver:
        yield receiver


@pytest.fixture
def quick() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def cancelled_task(container: Container, owner: ApiKey, url: str) -> str:
    """A task whose cancel leaves one push ("failed") due in the outbox."""
    request = GenerationRequest(model="T2V-01", prompt="x", callback_url=url)
    task = container.tasks.submit(owner, request)
    container.tasks.cancel(owner, task.id)
    return task.id


def test_a_hanging_receiver_does_not_delay_another_keys_push(
    container: Container, hanging: Receiver, quick: Receiver
) -> None:
    a = container.keys.create("a").key
    b = container.keys.create("b").key
    for _ in range(4):
        cancelled_task(container, a, hanging.url)
    cancelled_task(container, b, quick.url)  # due last
    pool = DeliveryPool(container.webhooks, threads=8, per_receiver=2, per_key=4)
    try:
        started = pool.dispatch()
        assert started == 3  # two to A's receiver (its bound), then B's
        deadline = time.monotonic() + 30
        while not quick.pushes and time.monotonic() < deadline:
            time.sleep(0.01)
        assert quick.pushes and quick.pushes[0].acknowledged
        assert hanging.pushes == []  # A's receiver has answered nothing yet
        while pool.busy:
            time.sleep(0.05)
        assert pool.dispatch() == 2  # A's other two, now that its receiver has a free slot
        while pool.busy:
            time.sleep(0.05)
        assert len(hanging.pushes) == 4
    finally:
        pool.close()


async def test_redelivery_is_rate_limited_per_key(
    client: httpx.AsyncClient, container: Container, api_key: str, quick: Receiver
) -> None:
    owner = container.keys.authenticate(f"Bearer {api_key}")
    task_id = cancelled_task(container, owner, quick.url)
    container.webhooks.deliver_due()
    path = f"/v1/tasks/{task_id}/deliveries/redeliver"
    for _ in range(2):
        assert (await client.post(path)).json()["base_resp"]["status_code"] == 0
    refused = (await client.post(path)).json()["base_resp"]
    assert refused["status_code"] == 1002, refused
    assert "2 requests per minute" in refused["status_msg"]
