"""The create-time challenge (MINIMAX_API.md §5): echo within 3 s or 2013 and no task."""

from __future__ import annotations

import httpx
import pytest

from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.asyncio

REFUSED = {"status_code": 2013, "status_msg": "invalid params, fail to check callback url"}


async def create(client: httpx.AsyncClient, url: str) -> dict[str, object]:
    body = {"model": "T2V-01", "prompt": "waves", "callback_url": url}
    answer: dict[str, object] = (await client.post("/v1/video_generation", json=body)).json()
    return answer


async def no_tasks(client: httpx.AsyncClient) -> bool:
    listed = (await client.get("/v1/tasks")).json()
    return bool(listed["tasks"] == [] and listed["base_resp"]["status_code"] == 0)


async def test_an_echoed_challenge_creates_the_task(client: httpx.AsyncClient) -> None:
    with Receiver() as receiver:
        created = await create(client, receiver.url)
    assert created["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert len(receiver.challenges) == 1 and len(receiver.challenges[0]) >= 16
    assert not await no_tasks(client)


@pytest.mark.parametrize("mode", ["wrong", "redirect", "500"])
async def test_a_wrong_answer_fails_the_create_with_2013_and_no_task(
    client: httpx.AsyncClient, mode: str
) -> None:
    with Receiver(challenge=mode) as receiver:
        created = await create(client, receiver.url)
    assert created == {"task_id": "", "base_resp": REFUSED}
    assert len(receiver.challenges) == 1  # a redirect is not followed
    assert await no_tasks(client)


async def test_an_answer_later_than_the_deadline_fails_the_create(
    client: httpx.AsyncClient,
) -> None:
    """The receiver answers only once the create is over: the create must have cut the wait
    at its deadline (3 s), not waited for the answer (which would then have arrived)."""
    with Receiver(challenge="late", late_s=60) as receiver:
        created = await create(client, receiver.url)
        assert not receiver.answered.is_set()  # the create ended while the receiver still held
        receiver.release.set()
    assert created == {"task_id": "", "base_resp": REFUSED}
    assert await no_tasks(client)


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3/hook", "http://127.0.0.1:9/hook", "ftp://127.0.0.1/hook"]
)
async def test_unreachable_or_refused_urls_fail_the_create(
    client: httpx.AsyncClient, url: str
) -> None:
    assert await create(client, url) == {"task_id": "", "base_resp": REFUSED}
    assert await no_tasks(client)
