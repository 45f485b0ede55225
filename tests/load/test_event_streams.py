"""Issue 16 item 5: live-event streams are capped per key and fed by one loop per process.

Before, every stream polled the database itself every 0.3 s, and a key could open any number.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from reelserve.api.event_hub import EventHub
from reelserve.bootstrap import Container
from reelserve.settings import Settings

CAP = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"events_max_streams_per_key": CAP, "workers": 0})


@pytest.fixture
def app(container: Container) -> FastAPI:
    from reelserve.api.app import create_app

    built = create_app(container)
    built.state.events_poll_s = 0.02
    return built


async def keyed(app: FastAPI, secret: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )


@pytest.fixture
async def mine(app: FastAPI, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with await keyed(app, api_key) as http:
        yield http


@pytest.fixture
async def theirs(app: FastAPI, other_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with await keyed(app, other_key) as http:
        yield http


async def queued_task(http: httpx.AsyncClient) -> str:
    answer = await http.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
    return str(answer.json()["task_id"])


def hub_of(app: FastAPI) -> EventHub:
    hub: EventHub = app.state.event_hub
    return hub


async def until(check: object, what: str) -> None:
    for _ in range(500):
        if callable(check) and check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


async def test_a_key_holds_at_most_its_cap_of_streams(
    app: FastAPI, mine: httpx.AsyncClient, theirs: httpx.AsyncClient, container: Container
) -> None:
    task_id = await queued_task(mine)
    streams = [asyncio.create_task(mine.get(f"/v1/tasks/{task_id}/events")) for _ in range(CAP)]
    await until(
        lambda: getattr(app.state, "event_hub", None) and hub_of(app).streams() == CAP,
        "the streams did not open",
    )

    refused = await mine.get(f"/v1/tasks/{task_id}/events")
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["base_resp"]["status_code"] == 1002
    assert f"the limit is {CAP}" in refused.json()["base_resp"]["status_msg"]

    their_task = await queued_task(theirs)  # another key's streams are its own business
    other = asyncio.create_task(theirs.get(f"/v1/tasks/{their_task}/events"))
    await until(lambda: hub_of(app).streams() == CAP + 1, "the other key's stream did not open")

    await mine.post(f"/v1/tasks/{task_id}/cancel")
    await theirs.post(f"/v1/tasks/{their_task}/cancel")
    for answer in await asyncio.gather(*streams, other):
        assert "event: done" in answer.text
    assert hub_of(app).streams() == 0
    again = await mine.get(f"/v1/tasks/{task_id}/events")  # closed streams free the slots
    assert "event: done" in again.text


async def test_many_streams_on_one_task_cost_one_read_per_poll(
    app: FastAPI, mine: httpx.AsyncClient, container: Container
) -> None:
    container.settings.events_max_streams_per_key = 0  # no cap for this one
    task_id = await queued_task(mine)
    streams = [asyncio.create_task(mine.get(f"/v1/tasks/{task_id}/events")) for _ in range(40)]
    await until(lambda: getattr(app.state, "event_hub", None) is not None, "no hub")
    hub = hub_of(app)
    await until(lambda: hub.streams() == 40 and hub.ticks >= 10, "the streams did not open")
    assert hub.polls <= hub.ticks  # one read of the task per poll, whatever the streams
    await mine.post(f"/v1/tasks/{task_id}/cancel")
    answers = await asyncio.gather(*streams)
    assert all("event: done" in a.text for a in answers)
