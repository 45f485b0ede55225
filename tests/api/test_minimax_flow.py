"""The MiniMax v1 dialect end to end through the real app (ASGI), SQLite and the preview engine."""

from __future__ import annotations

import asyncio
import io

import av
import httpx
import pytest
from tests.conftest import png_data_url

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio


async def run_worker(container: Container) -> None:
    await asyncio.to_thread(container.executor("test-worker").run_next)


def probe(data: bytes) -> tuple[int, int, int, float]:
    with av.open(io.BytesIO(data)) as media:
        stream = media.streams.video[0]
        frames = sum(1 for _ in media.decode(stream))
        return (
            stream.codec_context.width,
            stream.codec_context.height,
            frames,
            float(stream.average_rate or 0),
        )


async def test_default_t2v_request_ends_in_a_1366x768_150_frame_mp4(
    client: httpx.AsyncClient, container: Container
) -> None:
    created = (
        await client.post(
            "/v1/video_generation",
            json={"model": "MiniMax-Hailuo-02", "prompt": "A lighthouse at dusk"},
        )
    ).json()
    assert created["base_resp"] == {"status_code": 0, "status_msg": "success"}
    task_id = created["task_id"]
    assert isinstance(task_id, str) and task_id.isdigit()

    queued = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    minimax_fields = {"task_id", "status", "file_id", "video_width", "video_height", "base_resp"}
    assert {k: v for k, v in queued.items() if k in minimax_fields} == {
        "task_id": task_id,
        "status": "Queueing",
        "file_id": "",
        "video_width": 0,
        "video_height": 0,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }

    await run_worker(container)
    done = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    assert done["status"] == "Success"
    assert (done["video_width"], done["video_height"]) == (1366, 768)
    assert isinstance(done["file_id"], str) and done["file_id"].isdigit()

    retrieved = (await client.get("/v1/files/retrieve", params={"file_id": done["file_id"]})).json()
    file = retrieved["file"]
    assert retrieved["base_resp"]["status_code"] == 0
    assert file["file_id"] == int(done["file_id"])
    assert file["purpose"] == "video_generation"
    assert file["filename"] == "output.mp4"
    assert isinstance(file["created_at"], int)

    download = await client.get(file["download_url"], headers={"Authorization": ""})
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert probe(download.content) == (1366, 768, 150, 25.0)

    content = await client.get("/v1/files/retrieve_content", params={"file_id": done["file_id"]})
    assert content.content == download.content


@pytest.mark.parametrize("prefix", ["/minimax", "/task/minimax", "/minimaxi"])
async def test_gateway_prefixes_serve_the_same_api(
    client: httpx.AsyncClient, container: Container, prefix: str
) -> None:
    created = (
        await client.post(
            f"{prefix}/v1/video_generation", json={"model": "T2V-01", "prompt": "waves"}
        )
    ).json()
    assert created["base_resp"]["status_code"] == 0
    query = (
        await client.get(
            f"{prefix}/v1/query/video_generation", params={"task_id": created["task_id"]}
        )
    ).json()
    assert query["status"] == "Queueing"


async def test_image_to_video_keeps_the_first_frame_aspect(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = {
        "model": "MiniMax-Hailuo-02",
        "prompt": "A red square [Push in]",
        "first_frame_image": png_data_url(900, 800),
        "resolution": "512P",
        "duration": 6,
    }
    created = (await client.post("/v1/video_generation", json=body)).json()
    assert created["base_resp"]["status_code"] == 0, created
    await run_worker(container)
    done = (
        await client.get("/v1/query/video_generation", params={"task_id": created["task_id"]})
    ).json()
    assert done["status"] == "Success"
    assert (done["video_width"], done["video_height"]) == (576, 512)


async def test_first_and_last_frame_video_crops_the_last_frame(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = {
        "model": "MiniMax-Hailuo-02",
        "prompt": "A little girl grows up as the camera slowly pushes in.",
        "first_frame_image": png_data_url(1280, 720, (10, 120, 200)),
        "last_frame_image": png_data_url(800, 800, (240, 200, 20)),
    }
    created = (await client.post("/v1/video_generation", json=body)).json()
    assert created["base_resp"]["status_code"] == 0, created
    await run_worker(container)
    done = (
        await client.get("/v1/query/video_generation", params={"task_id": created["task_id"]})
    ).json()
    assert (done["status"], done["video_width"], done["video_height"]) == ("Success", 1366, 768)


async def test_range_requests_on_downloads(client: httpx.AsyncClient, container: Container) -> None:
    created = (
        await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "rain"})
    ).json()
    await run_worker(container)
    done = (
        await client.get("/v1/query/video_generation", params={"task_id": created["task_id"]})
    ).json()
    url = (await client.get("/v1/files/retrieve", params={"file_id": done["file_id"]})).json()[
        "file"
    ]["download_url"]
    part = await client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert len(part.content) == 100
    assert part.content[4:8] == b"ftyp"


async def test_tampered_and_expired_download_urls_are_refused(
    client: httpx.AsyncClient, container: Container
) -> None:
    created = (
        await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "snow"})
    ).json()
    await run_worker(container)
    done = (
        await client.get("/v1/query/video_generation", params={"task_id": created["task_id"]})
    ).json()
    url = (await client.get("/v1/files/retrieve", params={"file_id": done["file_id"]})).json()[
        "file"
    ]["download_url"]
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert (await client.get(tampered)).status_code == 403
    expired = url.replace("expires=", "expires=1")  # a different expiry breaks the signature
    assert (await client.get(expired)).status_code == 403
    past = httpx.URL(url).copy_set_param("expires", "1000")
    assert (await client.get(str(past))).status_code == 403
