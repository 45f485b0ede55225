"""Issue 16 item 3: creates whose image URL never answers do not take the threads that serve
other requests, nor another key's creates.

Sixty creates point their first frame at a loopback server that accepts and never answers.
Before the fix they ran on the request threads every sync route shares (40), so ``/healthz``
waited until the fetches timed out. The assertions are about order, not time: ``/healthz`` and
another key's create must finish while all sixty are still waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from reelserve.bootstrap import Container
from reelserve.settings import Settings
from tests.conftest import png_data_url
from tests.load.hang import HangingServer

HANGING_CREATES = 60


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"fetch_timeout_s": 8.0, "workers": 0})


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    with HangingServer() as server:
        yield server


@pytest.fixture
async def other(container: Container, other_key: str) -> AsyncIterator[httpx.AsyncClient]:
    from reelserve.api.app import create_app

    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {other_key}"},
        timeout=30,
    ) as http:
        yield http


async def test_hanging_creates_leave_health_and_other_keys_alone(
    client: httpx.AsyncClient, other: httpx.AsyncClient, hanging: HangingServer
) -> None:
    body = {"model": "I2V-01", "first_frame_image": f"{hanging.url}/frame.png"}
    creates = [
        asyncio.create_task(client.post("/v1/video_generation", json=body, timeout=30))
        for _ in range(HANGING_CREATES)
    ]
    while hanging.connections < 8:  # the key's share of create threads is waiting on the URL
        await asyncio.sleep(0.05)

    health = await other.get("/healthz")
    assert health.status_code == 200
    mine = await other.post(
        "/v1/video_generation",
        json={"model": "I2V-01", "first_frame_image": png_data_url(640, 360)},
    )
    assert mine.json()["base_resp"]["status_code"] == 0, mine.text
    assert not any(c.done() for c in creates), "a hanging create ended before /healthz answered"
    assert hanging.connections == 8  # one key holds at most its share of create threads

    hanging.close()  # the URL now fails at once: the creates end with 2013
    answers = await asyncio.gather(*creates)
    assert all(a.json()["base_resp"]["status_code"] == 2013 for a in answers)
