"""Delete and remix against running and image tasks, stills variants and caching."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from reelserve.bootstrap import Container
from tests.conftest import png_data_url

pytestmark = pytest.mark.asyncio


async def claim(container: Container) -> None:
    """Take the queued task as a worker would, and leave it running."""
    await asyncio.to_thread(
        container.queue.claim, "held", container.clock.now(), timedelta(seconds=60)
    )


async def test_deleting_a_running_task_asks_it_to_stop_and_keeps_it(
    client: httpx.AsyncClient, container: Container
) -> None:
    video = (await client.post("/v1/videos", json={"prompt": "x"})).json()
    await claim(container)
    deleted = (await client.delete(f"/v1/videos/{video['id']}")).json()
    assert deleted["deleted"] is False
    task_id = video["id"].removeprefix("video_")
    assert container.tasks.get(
        container.keys.authenticate(client.headers["authorization"]), task_id
    ).cancel_requested

    body = {"model": "MiniMax-H3", "content": [{"type": "text", "text": "x"}], "ratio": "1:1"}
    v2 = (await client.post("/v2/video_generation", json=body)).json()["task_id"]
    await claim(container)
    assert (await client.delete(f"/v2/video_generation/{v2}")).json() == {
        "task_id": v2,
        "status": "running",
    }


async def test_remix_of_an_image_task_reuses_its_stored_frame(
    client: httpx.AsyncClient, container: Container
) -> None:
    created = await client.post(
        "/v1/video_generation",
        json={
            "model": "MiniMax-Hailuo-02",
            "prompt": "go",
            "first_frame_image": png_data_url(900, 600),
        },
    )
    task_id = created.json()["task_id"]
    remix = (
        await client.post(f"/v1/videos/video_{task_id}/remix", json={"prompt": "again"})
    ).json()
    owner = container.keys.authenticate(client.headers["authorization"])
    source = container.tasks.get(owner, task_id)
    copy = container.tasks.get(owner, remix["id"].removeprefix("video_"))
    assert (copy.mode, copy.width, copy.height) == (source.mode, source.width, source.height)
    assert copy.first_frame_key and copy.first_frame_key != source.first_frame_key
    with (
        container.files.open(copy.first_frame_key) as a,
        container.files.open(source.first_frame_key or "") as b,
    ):
        assert a.read() == b.read()
    assert (copy.dialect, copy.remixed_from) == ("openai", task_id)
    assert (await client.post(f"/v1/videos/video_{task_id}/remix", json={})).json()["error"][
        "param"
    ] == "prompt"


async def test_thumbnail_as_jpeg_on_request_and_stills_are_kept(
    client: httpx.AsyncClient, container: Container
) -> None:
    video = (await client.post("/v1/videos", json={"prompt": "x", "size": "720x1280"})).json()
    await asyncio.to_thread(container.executor("stills").run_next)
    url = f"/v1/videos/{video['id']}/content"
    jpeg = await client.get(url, params={"variant": "thumbnail"}, headers={"accept": "image/jpeg"})
    assert jpeg.headers["content-type"] == "image/jpeg" and jpeg.content[:3] == b"\xff\xd8\xff"
    again = await client.get(url, params={"variant": "thumbnail"}, headers={"accept": "image/jpeg"})
    assert again.content == jpeg.content
    assert container.files.exists(f"stills/{_file_id(container, video)}/thumbnail.jpeg")


def _file_id(container: Container, video: dict[str, str]) -> str:
    task = container.repository.get(video["id"].removeprefix("video_"))
    assert task is not None and task.file_id
    return task.file_id
