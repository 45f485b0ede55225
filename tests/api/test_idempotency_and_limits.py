"""Idempotency-Key (Stripe semantics) and per-key limits: RPM, tasks in flight, balance."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio
BODY = {"model": "MiniMax-Hailuo-02", "prompt": "A kite over a beach"}


def task_count(container: Container) -> int:
    return sum(container.stats.counts().values())


def as_key(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_same_key_and_body_returns_the_same_task(
    client: httpx.AsyncClient, container: Container
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    again = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    assert first["base_resp"]["status_code"] == 0
    assert again == first
    assert task_count(container) == 1


async def test_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, container: Container
) -> None:
    headers = {"Idempotency-Key": "k"}
    await client.post("/v1/video_generation", json=BODY, headers=headers)
    other = await client.post(
        "/v1/video_generation", json={**BODY, "prompt": "else"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["base_resp"]["status_code"] == 2013
    assert "different request body" in other.json()["base_resp"]["status_msg"]
    assert task_count(container) == 1


async def test_keys_are_scoped_per_api_key(
    client: httpx.AsyncClient, container: Container, other_key: str
) -> None:
    headers = {"Idempotency-Key": "shared"}
    mine = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    theirs = (
        await client.post(
            "/v1/video_generation", json=BODY, headers={**headers, **as_key(other_key)}
        )
    ).json()
    assert mine["task_id"] != theirs["task_id"]


async def test_concurrent_duplicates_create_one_task(
    client: httpx.AsyncClient, container: Container
) -> None:
    headers = {"Idempotency-Key": "burst"}
    answers = await asyncio.gather(
        *(client.post("/v1/video_generation", json=BODY, headers=headers) for _ in range(30))
    )
    assert task_count(container) == 1
    ids = {a.json()["task_id"] for a in answers if a.status_code == 200}
    assert len(ids) == 1
    assert all(a.status_code in (200, 409) for a in answers)


async def test_a_refused_request_does_not_keep_its_key(
    client: httpx.AsyncClient, container: Container
) -> None:
    headers = {"Idempotency-Key": "retry-me"}
    bad = (
        await client.post("/v1/video_generation", json={**BODY, "duration": 7}, headers=headers)
    ).json()
    assert bad["base_resp"]["status_code"] == 2013
    good = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    assert good["base_resp"]["status_code"] == 0


async def test_requests_per_minute_answer_1002_with_retry_after(
    client: httpx.AsyncClient, container: Container
) -> None:
    secret = container.keys.create("slow", rpm_limit=2).secret
    codes = []
    for _ in range(3):
        response = await client.post("/v1/video_generation", json=BODY, headers=as_key(secret))
        codes.append(response.json()["base_resp"]["status_code"])
    assert codes == [0, 0, 1002]
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["base_resp"]["status_msg"].startswith("rate limit")
    assert task_count(container) == 2


async def test_tasks_in_flight_are_capped(client: httpx.AsyncClient, container: Container) -> None:
    secret = container.keys.create("one-at-a-time", max_in_flight=1).secret
    first = (await client.post("/v1/video_generation", json=BODY, headers=as_key(secret))).json()
    second = (await client.post("/v1/video_generation", json=BODY, headers=as_key(secret))).json()
    assert (first["base_resp"]["status_code"], second["base_resp"]["status_code"]) == (0, 1002)
    await asyncio.to_thread(container.executor("w").run_next)
    third = (await client.post("/v1/video_generation", json=BODY, headers=as_key(secret))).json()
    assert third["base_resp"]["status_code"] == 0


async def test_balance_is_charged_on_success_only(
    client: httpx.AsyncClient, container: Container
) -> None:
    created = container.keys.create("prepaid", balance_usd=Decimal("0.60"))
    headers = as_key(created.secret)
    first = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    second = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    third = (await client.post("/v1/video_generation", json=BODY, headers=headers)).json()
    assert [b["base_resp"]["status_code"] for b in (first, second, third)] == [0, 0, 1008]
    assert "costs $0.28" in third["base_resp"]["status_msg"]
    cancelled = await client.post(f"/v1/tasks/{second['task_id']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    await asyncio.to_thread(container.executor("w").run_next)
    key = next(k for k in container.keys.all() if k.name == "prepaid")
    assert key.balance_usd == Decimal("0.32")
    done = container.repository.get(first["task_id"])
    assert done is not None and done.cost_usd == Decimal("0.28")
    gone = container.repository.get(second["task_id"])
    assert gone is not None and gone.cost_usd == Decimal("0")
