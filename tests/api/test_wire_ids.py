"""Task and file ids on the wire (issue 17 §3): at most 2^53 − 1, a taken id is retried, and
ids of the older 17-digit scheme keep working."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from tests.conftest import png_data_url

from reelserve.bootstrap import Container
from reelserve.domain import files, ids
from reelserve.services import tasks

pytestmark = pytest.mark.asyncio


def ids_from(*given: str) -> Callable[[datetime], str]:
    """``new_id`` that first hands out ``given`` (as another process might), then fresh ids."""
    queue = list(given)

    def make(now: datetime) -> str:
        return queue.pop(0) if queue else ids.new_id(now)

    return make


async def create(client: httpx.AsyncClient, **fields: object) -> str:
    body = (
        await client.post("/v1/video_generation", json={"model": "MiniMax-Hailuo-02", **fields})
    ).json()
    assert body["base_resp"]["status_code"] == 0, body
    return str(body["task_id"])


async def test_ids_on_the_wire_fit_a_javascript_number(
    client: httpx.AsyncClient, container: Container
) -> None:
    task_id = await create(client, prompt="A cat")
    container.executor("w").run_next()
    query = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    retrieved = (
        await client.get("/v1/files/retrieve", params={"file_id": query["file_id"]})
    ).json()
    for value in (int(task_id), int(query["file_id"]), retrieved["file"]["file_id"]):
        assert value <= 2**53 - 1 and len(str(value)) == 16


async def test_an_id_another_process_took_is_retried_under_a_fresh_one(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    red, blue = png_data_url(color=(200, 0, 0)), png_data_url(color=(0, 0, 200))
    first = await create(client, first_frame_image=red)
    monkeypatch.setattr(tasks, "new_id", ids_from(first))  # the same millisecond, same low bits
    second = await create(client, first_frame_image=blue)
    assert second != first
    store = container.repository
    a, b = store.get(first), store.get(second)
    assert a is not None and b is not None
    assert a.first_frame_key != b.first_frame_key  # neither overwrote the other's frame
    assert container.files.exists(a.first_frame_key or "") and container.files.exists(
        b.first_frame_key or ""
    )


async def test_tasks_and_files_with_17_digit_ids_keep_working(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_task, old_file = "17961616648098774", "17961616648098775"  # the scheme before 2^53
    monkeypatch.setattr(tasks, "new_id", ids_from(old_task))
    monkeypatch.setattr(files, "new_id", ids_from(old_file))
    assert await create(client, prompt="A cat") == old_task
    container.executor("w").run_next()
    query = (await client.get("/v1/query/video_generation", params={"task_id": old_task})).json()
    assert query["status"] == "Success" and query["file_id"] == old_file
    retrieved = (await client.get("/v1/files/retrieve", params={"file_id": old_file})).json()
    assert retrieved["file"]["file_id"] == int(old_file)
    content = await client.get("/v1/files/retrieve_content", params={"file_id": old_file})
    assert content.status_code == 200 and content.content[4:8] == b"ftyp"
