"""The delivery log and redelivery through the API, and the whole path with real workers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from reelserve.bootstrap import Container
from reelserve.settings import Settings
from reelserve.worker import WorkerPool
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery_faults import run_and_fail

pytestmark = pytest.mark.asyncio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_max_attempts": 3})


async def create(client: httpx.AsyncClient, url: str) -> str:
    body = {"model": "T2V-01", "prompt": "waves", "callback_url": url}
    created = (await client.post("/v1/video_generation", json=body)).json()
    assert created["base_resp"]["status_code"] == 0, created
    task_id: str = created["task_id"]
    return task_id


async def deliveries(client: httpx.AsyncClient, task_id: str) -> list[dict[str, Any]]:
    answer = (await client.get(f"/v1/tasks/{task_id}/deliveries")).json()
    assert answer["base_resp"] == {"status_code": 0, "status_msg": "success"}
    found: list[dict[str, Any]] = answer["deliveries"]
    return found


async def wait_settled(
    client: httpx.AsyncClient, task_id: str, count: int = 2
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = await deliveries(client, task_id)
        if len(found) == count and all(d["state"] != "pending" for d in found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries of {task_id} did not settle: {found}")


async def test_workers_render_and_push_success_through_receiver_faults(
    client: httpx.AsyncClient, container: Container
) -> None:
    pool = WorkerPool(container, 1)
    with Receiver(["500", "timeout"], hang_s=0.8) as receiver:
        task_id = await create(client, receiver.url)
        pool.start()
        try:
            found = await wait_settled(client, task_id)
        finally:
            await asyncio.to_thread(pool.stop)
    query = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    assert query["status"] == "Success"
    acked = receiver.acknowledged()
    assert [p.json for p in acked] == [
        {"task_id": task_id, "status": "processing", "file_id": "", "base_resp": {"status_code": 0, "status_msg": "success"}},
        {"task_id": task_id, "status": "success", "file_id": query["file_id"], "base_resp": {"status_code": 0, "status_msg": "success"}},
    ]  # fmt: skip
    secret = (await client.get("/v1/webhooks/secret")).json()["secret"]
    for push in receiver.pushes:
        Webhook(secret).verify(push.body, push.headers)
    assert [(d["event"], d["state"], d["attempts"]) for d in found] == [
        ("processing", "delivered", 3),
        ("success", "delivered", 1),
    ]
    log = found[0]["log"]
    assert [(a["http_status"], a["outcome"]) for a in log] == [
        (500, "retry"),
        (0, "retry"),
        (200, "delivered"),
    ]


async def test_a_given_up_push_is_logged_and_redelivered_on_request(
    client: httpx.AsyncClient, container: Container
) -> None:
    with Receiver(["500", "502", "500"]) as receiver:
        task_id = await create(client, receiver.url)
        await asyncio.to_thread(run_and_fail, container)
        pusher = asyncio.create_task(asyncio.to_thread(drain_for, container, 2.0))
        found = await wait_settled(client, task_id)
        processing, failed = found
        assert (processing["state"], processing["attempts"]) == ("failed", 3)
        assert [a["outcome"] for a in processing["log"]] == ["retry", "retry", "gave_up"]
        assert failed["state"] == "delivered"  # the receiver recovered: the next event went on
        await pusher

        answer = (
            await client.post(
                f"/v1/tasks/{task_id}/deliveries/redeliver",
                json={"webhook_id": processing["webhook_id"]},
            )
        ).json()
        assert answer["base_resp"]["status_code"] == 0
        assert (answer["delivery"]["state"], answer["delivery"]["attempts"]) == ("pending", 0)
        await asyncio.to_thread(drain_for, container, 0.5)
        found = await deliveries(client, task_id)
    assert found[0]["state"] == "delivered"
    assert [p.json["status"] for p in receiver.acknowledged()] == ["failed", "processing"]


async def test_redeliver_defaults_to_the_latest_push(
    client: httpx.AsyncClient, container: Container
) -> None:
    with Receiver() as receiver:
        task_id = await create(client, receiver.url)
        await asyncio.to_thread(run_and_fail, container)
        await asyncio.to_thread(drain_for, container, 0.5)
        answer = (await client.post(f"/v1/tasks/{task_id}/deliveries/redeliver")).json()
        assert answer["delivery"]["event"] == "failed"
        await asyncio.to_thread(drain_for, container, 0.5)
    assert [p.json["status"] for p in receiver.acknowledged()] == ["processing", "failed", "failed"]
    assert len({p.headers["webhook-id"] for p in receiver.acknowledged()}) == 2  # same id again


async def test_410_gone_stops_retrying_at_once(
    client: httpx.AsyncClient, container: Container
) -> None:
    with Receiver(["410"]) as receiver:
        task_id = await create(client, receiver.url)
        await asyncio.to_thread(run_and_fail, container)
        await asyncio.to_thread(drain_for, container, 0.5)
        found = await deliveries(client, task_id)
    assert [(d["state"], d["attempts"], d["last_http_status"]) for d in found] == [
        ("failed", 1, 410),
        ("delivered", 1, 200),
    ]


async def test_log_and_redeliver_errors_use_the_minimax_shape(
    client: httpx.AsyncClient, container: Container, other_key: str
) -> None:
    with Receiver() as receiver:
        task_id = await create(client, receiver.url)
    other = {"Authorization": f"Bearer {other_key}"}
    for answer in (
        await client.get(f"/v1/tasks/{task_id}/deliveries", headers=other),
        await client.post(f"/v1/tasks/{task_id}/deliveries/redeliver", headers=other),
        await client.get("/v1/tasks/123/deliveries"),
    ):
        assert answer.status_code == 200
        assert answer.json()["base_resp"]["status_code"] == 2013
        assert "task not found" in answer.json()["base_resp"]["status_msg"]
    no_push = (await client.post(f"/v1/tasks/{task_id}/deliveries/redeliver")).json()
    assert no_push["base_resp"]["status_code"] == 2013  # queued: nothing pushed yet
    unknown = (
        await client.post(f"/v1/tasks/{task_id}/deliveries/redeliver", json={"webhook_id": "msg_x"})
    ).json()
    assert "delivery not found" in unknown["base_resp"]["status_msg"]
    bad = (await client.post(f"/v1/tasks/{task_id}/deliveries/redeliver", json={"nope": 1})).json()
    assert bad["base_resp"]["status_code"] == 2013
    assert (await client.get("/v1/tasks/123/deliveries", headers={"Authorization": ""})).json()[
        "base_resp"
    ]["status_code"] == 1004


def drain_for(container: Container, seconds: float) -> None:
    """The delivery loop's work for ``seconds`` (retries become due meanwhile)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not container.webhooks.deliver_due():
            time.sleep(0.01)
