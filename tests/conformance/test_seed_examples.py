"""Replays every request example of the seeds and MINIMAX_API.md and checks the response shapes.

The examples' image URLs point at hosts this machine cannot reach, so a local HTTP server on
127.0.0.1 (opened by the test settings' allow_networks) serves real images under the same paths.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from PIL import Image

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio


def _jpeg(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (width, height), color)
    image.paste((255, 255, 255), (width // 3, height // 3, width // 2, height // 2))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


IMAGES = {
    "first": _jpeg(1024, 768, (30, 90, 160)),
    "last": _jpeg(900, 900, (160, 60, 30)),
    "face": _jpeg(600, 800, (200, 170, 140)),
}


@pytest.fixture
def image_host() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = "last" if "97b7cd08" in self.path else "face" if "face" in self.path else "first"
            body = IMAGES[name]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def localise(body: dict[str, Any], host: str) -> dict[str, Any]:
    def swap(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("https://"):
            return host + "/" + value.split("/", 3)[3]
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    return swap(body)  # type: ignore[no-any-return]


# (source, path, body, expected size or None when the example itself is invalid)
EXAMPLES: list[tuple[str, str, dict[str, Any], tuple[int, int] | None]] = [
    (
        "seed 000 (kkiai FL2V)",
        "/minimax/v1/video_generation",
        {
            "model": "MiniMax-Hailuo-02",
            "last_frame_image": "https://filecdn.minimax.chat/public/97b7cd08-764e-4b8b-a7bf-87a0bd898575.jpeg",
            "first_frame_image": "https://filecdn.minimax.chat/public/fe9d04da-f60e-444d-a2e0-18ae743add33.jpeg",
            "prompt": "A little girl grows up as the camera slowly pushes in.",
            "duration": 6,
            "resolution": "1080P",
            "prompt_optimizer": True,
            "aigc_watermark": False,
        },
        (1440, 1080),
    ),
    (
        "seed 001 (kkiai T2V)",
        "/minimax/v1/video_generation",
        {
            "model": "MiniMax-Hailuo-02",
            "prompt": "A man picks up a book [Pedestal up], then reads [Static shot].",
            "duration": 6,
            "resolution": "1080P",
        },
        (1920, 1080),
    ),
    (
        "seed 002 (Vtrix I2V params)",
        "/model/v1/generation",
        {
            "model": "minimax_hailuo_02_i2v",
            "input": [
                {
                    "params": {
                        "first_frame_image": "https://example.com/first.png",
                        "prompt": "The camera [pan left], then [push in]",
                        "prompt_optimizer": True,
                        "duration": 6,
                        "resolution": "512P",
                        "aigc_watermark": False,
                    }
                }
            ],
        },
        (682, 512),
    ),
    (
        "seed 003 (gpt.ge I2V)",
        "/task/minimax/v1/video_generation",
        {
            "model": "MiniMax-Hailuo-02",
            "prompt": "A girl climbs onto the horse [右移], then pulls the horse's head and turns, galloping away [拉远].",
            "duration": 10,
            "resolution": "768P",
            "first_frame_image": "https://p2.a.kwimgs.com/bs2/upload-ylab-stunt/ai_portal/1731125871/6N0QrAnAeU/409-f054fa25c21a.png",
        },
        (1024, 768),
    ),
    (
        "seed 004 (placeholder body)",
        "/minimax/v1/video_generation",
        {
            "model": "string",
            "prompt": "string",
            "duration": 0,
            "first_frame_image": "string",
            "resolution": "768P",
            "prompt_optimizer ": True,
        },
        None,
    ),
    (
        "MINIMAX_API.md §7 (S2V)",
        "/v1/video_generation",
        {
            "model": "S2V-01",
            "prompt": "A girl runs toward the camera and winks with a smile.",
            "subject_reference": [{"type": "character", "image": ["https://example.com/face.jpg"]}],
        },
        (1280, 720),
    ),
]


@pytest.mark.parametrize(("source", "path", "body", "size"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
async def test_examples_replay_with_the_documented_shapes(
    client: httpx.AsyncClient,
    container: Container,
    image_host: str,
    source: str,
    path: str,
    body: dict[str, Any],
    size: tuple[int, int] | None,
) -> None:
    response = await client.post(path, json=localise(body, image_host))
    created = response.json()
    if path.startswith("/model/"):
        assert response.status_code == 200, created
        assert set(created) >= {"id", "status", "model", "created_at", "progress"}
        assert not {"output", "usage", "error"} & set(created)  # only when done / failed
        assert created["status"] == "pending" and created["model"] == "minimax_hailuo_02_i2v"
        task_id = created["id"]
    elif size is None:
        assert set(created) == {"task_id", "base_resp"} and created["task_id"] == ""
        assert created["base_resp"]["status_code"] == 2013
        assert "unsupported model: 'string'" in created["base_resp"]["status_msg"]
        return
    else:
        assert set(created) <= {"task_id", "base_resp", "warnings"}, created
        assert created["base_resp"] == {"status_code": 0, "status_msg": "success"}, created
        task_id = created["task_id"]
    assert task_id.isdigit()

    await asyncio.to_thread(container.executor("conformance").run_next)
    query = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    assert {"task_id", "status", "file_id", "video_width", "video_height", "base_resp"} <= set(
        query
    )
    assert query["status"] == "Success", query
    assert (query["video_width"], query["video_height"]) == size
    retrieved = (
        await client.get("/v1/files/retrieve", params={"file_id": query["file_id"]})
    ).json()
    assert set(retrieved["file"]) >= {
        "file_id",
        "bytes",
        "created_at",
        "filename",
        "purpose",
        "download_url",
    }
    assert retrieved["file"]["file_id"] == int(query["file_id"])
    if path.startswith("/model/"):
        view = (await client.get(f"/model/v1/generation/task/{task_id}")).json()
        assert view["status"] == "completed" and view["progress"] == 1.0
        content = view["output"][0]["content"][0]
        assert content["type"] == "video" and content["duration"] == 6
        assert view["usage"]["cost"] == "0.10" and "error" not in view
