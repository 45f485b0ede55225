"""One task, every dialect's read routes: same key sees it, state mapped, ids differ only by
the prefix a dialect requires. Also OpenAI's JSON create, cancel and expiry rules."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from reelserve.bootstrap import Container
from tests.conftest import png_data_url

pytestmark = pytest.mark.asyncio


async def views(client: httpx.AsyncClient, task_id: str) -> dict[str, str]:
    v1 = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    openai = (await client.get(f"/v1/videos/video_{task_id}")).json()
    v2 = (await client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    vtrix = (await client.get(f"/model/v1/generation/task/{task_id}")).json()
    return {
        "v1": v1["status"],
        "openai": openai["status"],
        "v2": v2["status"],
        "vtrix": vtrix["status"],
    }


async def test_an_openai_task_is_seen_by_every_dialect_with_its_state_mapped(
    client: httpx.AsyncClient, container: Container, other_key: str
) -> None:
    created = await client.post("/v1/videos", json={"prompt": "A harbour", "model": "sora-2"})
    assert created.status_code == 200, created.text
    video_id = created.json()["id"]
    task_id = video_id.removeprefix("video_")
    polled = await client.get(f"/v1/videos/{video_id}")
    assert polled.headers["openai-poll-after-ms"] == "1000"  # no finished run yet to learn from
    assert await views(client, task_id) == {
        "v1": "Queueing",
        "openai": "queued",
        "v2": "queued",
        "vtrix": "pending",
    }
    await asyncio.to_thread(container.executor("across").run_next)
    assert await views(client, task_id) == {
        "v1": "Success",
        "openai": "completed",
        "v2": "succeeded",
        "vtrix": "completed",
    }
    v1 = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    assert (v1["video_width"], v1["video_height"]) == (720, 1280)
    detail = (await client.get(f"/v1/tasks/{task_id}")).json()  # the neutral view
    assert (detail["dialect"], detail["fps"], detail["remixed_from"]) == ("openai", 25, None)
    other = {"Authorization": f"Bearer {other_key}"}
    assert (await client.get(f"/v1/videos/{video_id}", headers=other)).status_code == 404


async def test_a_v2_task_is_an_openai_video_and_a_v1_task(client: httpx.AsyncClient) -> None:
    body = {"model": "MiniMax-H3", "content": [{"type": "text", "text": "x"}], "ratio": "16:9"}
    task_id = (await client.post("/v2/video_generation", json=body)).json()["task_id"]
    video = (await client.get(f"/v1/videos/video_{task_id}")).json()
    assert (video["model"], video["seconds"], video["size"]) == ("MiniMax-H3", "5", "1366x768")
    listed = (await client.get("/v1/videos")).json()
    assert [v["id"] for v in listed["data"]] == [f"video_{task_id}"]


async def test_a_cancelled_task_is_failed_with_code_cancelled_in_openai(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
    task_id = created.json()["task_id"]
    await client.post(f"/v1/tasks/{task_id}/cancel")
    video = (await client.get(f"/v1/videos/video_{task_id}")).json()
    assert video["status"] == "failed"
    assert video["error"]["code"] == "cancelled"
    content = await client.get(f"/v1/videos/video_{task_id}/content")
    assert content.status_code == 400 and content.json()["error"]["param"] == "video_id"


async def test_openai_json_create_takes_an_image_url_or_an_uploaded_file_id(
    client: httpx.AsyncClient, container: Container
) -> None:
    by_url = await client.post(
        "/v1/videos",
        json={
            "prompt": "go",
            "model": "MiniMax-Hailuo-02",
            "seconds": "6",
            "size": "1366x768",
            "input_reference": {"image_url": png_data_url(1000, 1000)},
        },
    )
    assert by_url.status_code == 200, by_url.text
    assert "1000x1000 was cropped" in by_url.json()["warnings"][0]

    png = base64.b64decode(png_data_url(720, 1280).split(",", 1)[1])
    up = await client.post(
        "/v1/files/upload",
        files={"file": ("f.png", png, "image/png")},
        data={"purpose": "video_generation"},
    )
    file_id = str(up.json()["file"]["file_id"])
    by_file = await client.post(
        "/v1/videos",
        json={"prompt": "go", "input_reference": {"file_id": file_id}},
    )
    assert by_file.status_code == 200, by_file.text
    assert by_file.json()["size"] == "720x1280" and by_file.json()["warnings"] == []

    both = await client.post(
        "/v1/videos",
        json={"prompt": "go", "input_reference": {"file_id": file_id, "image_url": "https://x"}},
    )
    assert both.status_code == 400 and both.json()["error"]["param"] == "input_reference"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "sora-2"}, "prompt"),
        ({"prompt": "x", "model": "nope"}, "model"),
        ({"prompt": "x", "model": "MiniMax-H3"}, "model"),  # V2 only
        ({"prompt": "x", "seconds": 4}, "seconds"),  # a string, as OpenAI sends it
        ({"prompt": "x", "model": "MiniMax-Hailuo-02", "seconds": "4"}, "seconds"),
        ({"prompt": "x", "model": "MiniMax-Hailuo-02", "size": "1280x720"}, "size"),
    ],
)
async def test_openai_errors_name_the_param(
    client: httpx.AsyncClient, body: dict[str, object], param: str
) -> None:
    answer = await client.post("/v1/videos", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


async def test_openai_refuses_other_content_types_and_bad_cursors(
    client: httpx.AsyncClient,
) -> None:
    text = await client.post(
        "/v1/videos", content=b"prompt=x", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 400 and text.json()["error"]["param"] == "Content-Type"
    cursor = await client.get("/v1/videos", params={"after": "nope"})
    assert cursor.status_code == 400 and cursor.json()["error"]["param"] == "after"
    order = await client.get("/v1/videos", params={"order": "sideways"})
    assert order.status_code == 400 and order.json()["error"]["param"] == "order"
