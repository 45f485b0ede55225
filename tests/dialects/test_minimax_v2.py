"""MiniMax V2 (/v2/video_generation, MiniMax-H3) through the app: create, query, list, delete,
content rules, media sources (URL, data URL, mm_file://ID) and the callback challenge."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import av
import httpx
import pytest

from reelserve.bootstrap import Container
from tests.conftest import png_data_url
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.asyncio


def text(prompt: str = "The subject walks forward") -> dict[str, Any]:
    return {"type": "text", "text": prompt}


def image(url: str, role: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if role:
        item["role"] = role
    return item


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/v2/video_generation", json={"model": "MiniMax-H3", **body})


async def run_worker(container: Container) -> None:
    await asyncio.to_thread(container.executor("v2-test").run_next)


async def test_text_only_h3_renders_24_fps_at_the_ratio_and_queries_a_fresh_url(
    client: httpx.AsyncClient, container: Container
) -> None:
    answer = await create(client, content=[text()], resolution="768P", duration=4, ratio="1:1")
    assert answer.status_code == 200, answer.text
    task_id = answer.json()["task_id"]
    assert task_id.isdigit()

    queued = (await client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    assert (queued["status"], queued["content"]["url"], queued["ratio"]) == ("queued", None, "1:1")

    await run_worker(container)
    first = (await client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    assert first["status"] == "succeeded", first
    assert (first["model"], first["duration"], first["resolution"]) == ("MiniMax-H3", 4, "768P")
    assert first["usage"]["duration"] == 4
    video = await client.get(first["content"]["url"])
    with av.open(io.BytesIO(video.content)) as media:
        stream = media.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (768, 768)
        assert sum(1 for _ in media.decode(stream)) == 4 * 24
        assert float(stream.average_rate or 0) == 24.0

    await asyncio.sleep(1.1)  # expiries are whole seconds
    again = (await client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    assert again["content"]["url"] != first["content"]["url"]  # signed anew on each query
    assert (await client.get(again["content"]["url"])).content == video.content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": [text()], "duration": 3, "ratio": "16:9"}, "duration"),
        ({"content": [text()], "duration": 16, "ratio": "16:9"}, "duration"),
        ({"content": [text()], "resolution": "1080P", "ratio": "16:9"}, "resolution"),
        ({"content": [text()], "ratio": "2:1"}, "ratio"),
        ({"content": [text()]}, "ratio"),  # text-only needs a concrete ratio
        ({"content": [image(png_data_url())]}, "content"),  # no text item
        (
            {"content": [text(), image(png_data_url()), image(png_data_url())]},
            "content[1].role",
        ),
        (
            {
                "content": [
                    text(),
                    image(png_data_url(), "first_frame"),
                    image(png_data_url(), "reference_image"),
                ]
            },
            "frame inputs and reference inputs cannot be mixed",
        ),
        (
            {
                "content": [
                    text(),
                    {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}},
                ],
                "ratio": "16:9",
            },
            "reference_audio needs",
        ),
        ({"content": [text(), image("ftp://x/y.png")]}, "content[1].image_url.url"),
        ({"content": [text(), image("mm_file://999")]}, "no uploaded file '999'"),
    ],
)
async def test_bad_requests_are_400_errors_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    answer = await create(client, **body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["type"] == "error" and error["error"]["type"] == "bad_request_error"
    assert field in error["error"]["message"]


async def test_errors_use_real_statuses(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v2/query/video_generation/123")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
    anonymous = await client.get(
        "/v2/query/video_generation", headers={"Authorization": "Bearer nope"}
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "authentication_error"


async def test_uploaded_file_is_a_first_frame_by_mm_file_and_is_per_key(
    client: httpx.AsyncClient, container: Container, other_key: str
) -> None:
    png = base64.b64decode(png_data_url(640, 480).split(",", 1)[1])
    uploaded = await client.post(
        "/v1/files/upload",
        files={"file": ("frame.png", png, "image/png")},
        data={"purpose": "video_generation"},
    )
    body = uploaded.json()
    assert body["base_resp"]["status_code"] == 0, body
    file_id = body["file"]["file_id"]
    assert body["file"]["bytes"] == len(png)

    listed = (await client.get("/v1/files/list")).json()
    assert [f["file_id"] for f in listed["files"]] == [file_id]
    other = {"Authorization": f"Bearer {other_key}"}
    assert (await client.get("/v1/files/list", headers=other)).json()["files"] == []
    stolen = await client.post(
        "/v2/video_generation",
        json={"model": "MiniMax-H3", "content": [text(), image(f"mm_file://{file_id}")]},
        headers=other,
    )
    assert stolen.status_code == 400 and str(file_id) in stolen.json()["error"]["message"]

    answer = await create(client, content=[text(), image(f"mm_file://{file_id}")], duration=4)
    assert answer.status_code == 200, answer.text
    await run_worker(container)
    task = (await client.get(f"/v2/query/video_generation/{answer.json()['task_id']}")).json()
    assert task["task"]["status"] == "succeeded"
    assert task["task"]["ratio"] == "4:3"  # adaptive followed the 640x480 image
    assert task["task"]["task_type"] == "i2v"

    deleted = await client.post("/v1/files/delete", json={"file_id": file_id})
    assert deleted.json()["base_resp"]["status_code"] == 0
    assert (await client.get("/v1/files/list")).json()["files"] == []
    again = await client.post("/v1/files/delete", json={"file_id": file_id})
    assert again.json()["base_resp"]["status_code"] == 2013


async def test_references_are_validated_and_what_is_ignored_is_said(
    client: httpx.AsyncClient,
) -> None:
    answer = await create(
        client,
        content=[
            text(),
            image(png_data_url(), "reference_image"),
            image(png_data_url(), "reference_image"),
            {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
            {"type": "audio_url", "audio_url": {"url": "data:audio/mpeg;base64,AAAA"}},
        ],
        ratio="16:9",
    )
    assert answer.status_code == 200, answer.text
    (warning,) = [w for w in answer.json()["warnings"] if "reference" in w]
    assert "reference_image[0] was used as the first frame" in warning
    for ignored in ("reference_image[1]", "reference_video[0]", "reference_audio[0]"):
        assert ignored in warning


async def test_list_pages_newest_first_and_delete_cancels_then_removes(
    client: httpx.AsyncClient, container: Container
) -> None:
    ids = [
        (await create(client, content=[text(f"clip {i}")], ratio="16:9", duration=4)).json()[
            "task_id"
        ]
        for i in range(3)
    ]
    page1 = (await client.get("/v2/query/video_generation?page_num=1&page_size=2")).json()
    page2 = (await client.get("/v2/query/video_generation?page_num=2&page_size=2")).json()
    assert [t["id"] for t in page1["items"]] == ids[:0:-1]
    assert [t["id"] for t in page2["items"]] == ids[:1]
    assert page1["total"] == page2["total"] == 3

    cancelled = (await client.delete(f"/v2/video_generation/{ids[0]}")).json()
    assert cancelled == {"task_id": ids[0], "status": "cancelled"}
    view = (await client.get(f"/v2/query/video_generation/{ids[0]}")).json()["task"]
    assert (view["status"], view["error"]["code"]) == ("cancelled", "cancelled")
    removed = (await client.delete(f"/v2/video_generation/{ids[0]}")).json()
    assert removed == {"task_id": ids[0], "status": "deleted"}
    assert (await client.get(f"/v2/query/video_generation/{ids[0]}")).status_code == 404


async def test_callback_url_passes_the_v1_challenge(client: httpx.AsyncClient) -> None:
    with Receiver() as receiver:
        ok = await create(client, content=[text()], ratio="16:9", callback_url=receiver.url)
    assert ok.status_code == 200 and len(receiver.challenges) == 1
    with Receiver(challenge="wrong") as receiver:
        refused = await create(client, content=[text()], ratio="16:9", callback_url=receiver.url)
    assert refused.status_code == 400
    assert "callback" in refused.json()["error"]["message"]


async def test_h3_is_v2_only(client: httpx.AsyncClient) -> None:
    v1 = (
        await client.post(
            "/v1/video_generation", json={"model": "MiniMax-H3", "prompt": "x", "duration": 5}
        )
    ).json()
    assert v1["base_resp"]["status_code"] == 2013 and "MiniMax-H3" in v1["base_resp"]["status_msg"]


async def test_a_v2_task_records_its_dialect_and_pushes_v2_task_objects(
    client: httpx.AsyncClient, container: Container
) -> None:
    with Receiver() as receiver:
        body = {"content": [text()], "ratio": "1:1", "duration": 4, "callback_url": receiver.url}
        task_id = (await create(client, **body)).json()["task_id"]
        assert container.repository.get(task_id).dialect == "minimax_v2"  # type: ignore[union-attr]
        await run_worker(container)
        for _ in range(200):
            if len(receiver.pushes) >= 2:
                break
            if not await asyncio.to_thread(container.webhooks.deliver_due):
                await asyncio.sleep(0.02)
    tasks = [push.json["task"] for push in receiver.pushes]
    assert [t["status"] for t in tasks] == ["running", "succeeded"]
    assert tasks[-1] == {"id": task_id, "status": "succeeded", "error": None}
