"""The task extensions through the SDK and raw HTTP: list, detail, cancel, catalog, events."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from reelserve.bootstrap import Container
from reelserve.domain import catalog
from reelserve.domain.camera import CameraMove
from reelserve_client import AsyncClient, InvalidParams
from tests.client.conftest import run_worker


async def test_query_adds_progress_phase_and_queue_position(
    sdk: AsyncClient, container: Container
) -> None:
    first = await sdk.create_video(model="T2V-01", prompt="one")
    second = await sdk.create_video(model="T2V-01", prompt="two")
    queued = await sdk.get_task(second)
    assert (queued.progress, queued.phase, queued.queue_position) == (0, "queued", 1)
    await run_worker(container)
    done = await sdk.get_task(first)
    assert (done.status, done.progress, done.phase) == ("Success", 100, "done")
    assert "queue_position" not in done.raw
    assert (await sdk.get_task(second)).queue_position == 0


async def test_list_pages_filters_and_hides_other_keys(
    sdk: AsyncClient, container: Container, client: httpx.AsyncClient, other_key: str
) -> None:
    ids = [await sdk.create_video(model="T2V-01", prompt=f"clip {n}") for n in range(3)]
    page = await sdk.list_tasks(limit=2)
    assert [t["task_id"] for t in page.tasks] == ids[::-1][:2]
    assert page.next_cursor == ids[1]
    rest = await sdk.list_tasks(limit=2, cursor=page.next_cursor)
    assert [t["task_id"] for t in rest.tasks] == [ids[0]] and rest.next_cursor is None
    await run_worker(container)
    assert [t["task_id"] for t in (await sdk.list_tasks(status="succeeded")).tasks] == [ids[0]]
    assert len((await sdk.list_tasks(status="queued")).tasks) == 2
    foreign = await client.get("/v1/tasks", headers={"Authorization": f"Bearer {other_key}"})
    assert foreign.json()["tasks"] == []
    with pytest.raises(InvalidParams, match="status: 'Done' is not one of queued"):
        await sdk.list_tasks(status="Done")
    with pytest.raises(InvalidParams, match="limit"):
        await sdk.list_tasks(limit=500)


async def test_detail_has_queue_position_then_eta_from_recent_runs(
    sdk: AsyncClient, container: Container
) -> None:
    first = await sdk.create_video(model="T2V-01", prompt="first", resolution="720P")
    view = await sdk.task_details(first)
    assert view["queue_position"] == 0 and view["eta_s"] is None  # nothing learnt yet
    assert view["prompt"] == "first" and view["mode"] == "t2v" and view["error"] is None
    await run_worker(container)
    done = await sdk.task_details(first)
    assert done["status"] == "succeeded" and done["file_id"] and done["finished_at"]
    second = await sdk.create_video(model="T2V-01", prompt="second")
    third = await sdk.create_video(model="T2V-01", prompt="third")
    eta_second = (await sdk.task_details(second))["eta_s"]
    eta_third = (await sdk.task_details(third))["eta_s"]
    assert eta_second > 0 and eta_third == pytest.approx(2 * eta_second, rel=0.1)


async def test_cancel_queued_at_once_and_running_by_flag(
    sdk: AsyncClient, container: Container, other_key: str, client: httpx.AsyncClient
) -> None:
    queued = await sdk.create_video(model="T2V-01", prompt="x")
    foreign = await client.post(
        f"/v1/tasks/{queued}/cancel", headers={"Authorization": f"Bearer {other_key}"}
    )
    assert foreign.json()["base_resp"]["status_code"] == 2013
    view = await sdk.cancel(queued)
    assert view["status"] == "cancelled" and view["minimax_status"] == "Fail"
    assert view["error"]["kind"] == "cancelled"

    running = await sdk.create_video(model="T2V-01", prompt="y")
    claimed = container.queue.claim("w", container.clock.now(), timedelta(seconds=30))
    assert claimed is not None and claimed.id == running
    flagged = await sdk.cancel(running)
    assert flagged["status"] == "preparing" and flagged["cancel_requested"] is True
    with pytest.raises(InvalidParams, match="task not found: '999'"):
        await sdk.cancel("999")


async def test_models_serves_the_catalog(sdk: AsyncClient) -> None:
    body = await sdk.models()
    by_name = {m["name"]: m for m in body["models"]}
    assert set(by_name) == set(catalog.MODELS)
    assert by_name["MiniMax-Hailuo-02"]["modes"]["t2v"] == {"768P": [6, 10], "1080P": [6]}
    assert by_name["T2V-01"]["modes"] == {"t2v": {"720P": [6]}}
    assert body["camera_moves"] == [m.value for m in CameraMove] and len(body["camera_moves"]) == 15


async def test_events_stream_a_running_task_to_its_end(
    sdk: AsyncClient, container: Container
) -> None:
    task_id = await sdk.create_video(model="T2V-01", prompt="waves [Pan left]")
    events: list[dict[str, object]] = []

    async def listen() -> None:
        async for event in sdk.events(task_id):
            events.append(event)

    listener = asyncio.create_task(listen())
    for _ in range(500):  # the first event (queued) has arrived before the worker starts
        if events:
            break
        await asyncio.sleep(0.02)
    await run_worker(container)
    await asyncio.wait_for(listener, 10)
    ids = [int(str(e["id"])) for e in events]
    assert ids == sorted(set(ids))  # strictly increasing
    views = [e["data"] for e in events]
    assert views[0]["status"] == "queued" and views[0]["queue_position"] == 0  # type: ignore[index]
    assert events[-1]["event"] == "done" and views[-1]["status"] == "succeeded"  # type: ignore[index]
    percents = [v["progress"] for v in views]  # type: ignore[index]
    assert percents == sorted(percents) and percents[-1] == 100
    assert "rendering" in {v["phase"] for v in views}  # type: ignore[index]

    # Resuming after the last event sends nothing new; after the first, only what followed.
    assert [e async for e in sdk.events(task_id, last_event_id=str(ids[-1]))] == []
    resumed = [e async for e in sdk.events(task_id, last_event_id=str(ids[0]))]
    assert [int(str(e["id"])) for e in resumed] == [ids[-1]]


async def test_events_of_an_unknown_task_are_a_plain_error(sdk: AsyncClient) -> None:
    with pytest.raises(InvalidParams, match="task not found"):
        async for _ in sdk.events("123"):
            pass


async def test_raw_event_stream_format(client: httpx.AsyncClient, sdk: AsyncClient) -> None:
    task_id = await sdk.create_video(model="T2V-01", prompt="x")
    await sdk.cancel(task_id)
    response = await client.get(f"/v1/tasks/{task_id}/events")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    retry, event = response.text.split("\n\n")[:2]
    assert retry == "retry: 1000"
    lines = event.split("\n")
    assert lines[0] == "id: 999999999999999" and lines[1] == "event: done"
    assert json.loads(lines[2].removeprefix("data: "))["status"] == "cancelled"
