"""Issue 16 item 7: revoking a key stops its work.

Before, a revoked key's 1,502 queued tasks stayed queued and were rendered, its pushes were
still signed and sent, and its event streams stayed open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from reelserve.bootstrap import Container
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import TaskStatus
from reelserve.settings import Settings
from tests.webhooks.receiver import Receiver

QUEUED = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"workers": 0})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as hooks:
        yield hooks


def submit(container: Container, owner: ApiKey, url: str | None = None) -> str:
    request = GenerationRequest(model="T2V-01", prompt="x", callback_url=url)
    return container.tasks.submit(owner, request).id


def test_revoking_cancels_queued_work_asks_running_to_stop_and_stops_pushes(
    container: Container, receiver: Receiver
) -> None:
    owner = container.keys.create("leaving").key
    running = submit(container, owner, receiver.url)
    queued = [submit(container, owner, receiver.url) for _ in range(QUEUED)]
    claimed = container.queue.claim("w", container.clock.now(), timedelta(seconds=30))
    assert claimed is not None and claimed.id == running
    assert claimed.lease is not None
    now = container.clock.now()
    assert container.queue.transition(running, claimed.lease.token, now, TaskStatus.PROCESSING)

    revoked = container.keys.revoke("leaving")

    assert revoked.cancelled == QUEUED
    for task_id in queued:
        assert container.repository.get(task_id).status is TaskStatus.CANCELLED  # type: ignore[union-attr]
    still = container.repository.get(running)
    assert still is not None and still.cancel_requested
    assert container.webhooks.deliver_due() == 0  # processing + 5 cancels, none sent
    assert receiver.pushes == []


def test_keep_queued_leaves_the_queue_but_closes_the_streams(container: Container) -> None:
    owner = container.keys.create("leaving").key
    task_id = submit(container, owner)
    revoked = container.keys.revoke(owner.id, keep_queued=True)
    assert revoked.cancelled == 0
    assert container.repository.get(task_id).status is TaskStatus.QUEUED  # type: ignore[union-attr]


async def test_revoking_closes_the_keys_open_event_streams(
    container: Container, api_key: str
) -> None:
    from reelserve.api.app import create_app

    app: FastAPI = create_app(container)
    app.state.events_poll_s = 0.02
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    ) as http:
        created = await http.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
        task_id = created.json()["task_id"]
        stream = asyncio.create_task(http.get(f"/v1/tasks/{task_id}/events"))
        for _ in range(500):
            hub = getattr(app.state, "event_hub", None)
            if hub is not None and hub.streams() == 1 and hub.ticks > 1:
                break
            await asyncio.sleep(0.01)
        await asyncio.to_thread(container.keys.revoke, "test", keep_queued=True)
        answer = await asyncio.wait_for(stream, 10)
    assert "event: progress" in answer.text and "event: done" not in answer.text
    assert app.state.event_hub.streams() == 0
