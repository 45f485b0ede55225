"""Replays every example of docs/dialects.md (the wire examples of DIALECTS.md §1–2): requests
are sent as written, answers must have the example's shape (every key, the same JSON types), and
exact examples (errors, empty lists) must match exactly.

Example image URLs point at example.com; a local server on 127.0.0.1 serves real JPEGs under the
same paths, and the example's callback URL is a local receiver that answers the challenge.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from reelserve.bootstrap import Container
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.asyncio

DOC = Path(__file__).parents[2] / "docs" / "dialects.md"
EXAMPLES: dict[str, Any] = {
    name: json.loads(body)
    for name, body in re.findall(r"```json example=([\w-]+)\n(.*?)```", DOC.read_text(), re.S)
}


def _jpeg(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (30, 90, 160))
    image.paste((255, 255, 255), (width // 3, height // 3, width // 2, height // 2))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def image_host() -> Iterator[str]:
    images = {"/first.jpg": _jpeg(1024, 576), "/last.jpg": _jpeg(800, 800)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = images.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def local(example: Any, host: str, hook: str = "") -> Any:
    text = json.dumps(example).replace("https://example.com/hook", hook)
    return json.loads(text.replace("https://example.com/", host))


def assert_shape(example: Any, actual: Any, where: str = "") -> None:
    """Every key of the example is there with the same JSON type (null in either: any)."""
    if example is None or actual is None:
        return
    if isinstance(example, dict):
        assert isinstance(actual, dict), where
        for key, value in example.items():
            assert key in actual, f"{where}.{key} missing"
            assert_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), where
        if example and actual:
            assert_shape(example[0], actual[0], f"{where}[0]")
    else:
        assert type(actual) is type(example), f"{where}: {actual!r} vs {example!r}"


async def test_every_example_is_replayed_below() -> None:
    replayed = {
        "openai-create", "openai-create-reference", "openai-video", "openai-list",
        "openai-delete", "openai-remix", "openai-error", "v2-create", "v2-create-answer",
        "v2-query", "v2-list", "v2-delete", "v2-error", "files-upload-answer", "files-delete",
    }  # fmt: skip
    assert set(EXAMPLES) == replayed


async def test_openai_examples(
    client: httpx.AsyncClient, container: Container, image_host: str, other_key: str
) -> None:
    created = await client.post("/v1/videos", json=EXAMPLES["openai-create"])
    assert created.status_code == 200, created.text
    video = created.json()
    assert_shape(EXAMPLES["openai-video"], video)
    assert (video["status"], video["seconds"], video["size"]) == ("queued", "8", "1280x720")

    with_image = await client.post(
        "/v1/videos", json=local(EXAMPLES["openai-create-reference"], image_host)
    )
    assert with_image.status_code == 200, with_image.text
    assert with_image.json()["size"] == "1024x1792"
    assert "1024x576 was cropped" in with_image.json()["warnings"][0]

    await asyncio.to_thread(container.executor("conformance").run_next)
    remix = await client.post(f"/v1/videos/{video['id']}/remix", json=EXAMPLES["openai-remix"])
    assert remix.status_code == 200, remix.text
    assert remix.json()["remixed_from_video_id"] == video["id"]
    assert remix.json()["prompt"] == EXAMPLES["openai-remix"]["prompt"]

    deleted = (await client.delete(f"/v1/videos/{video['id']}")).json()
    assert deleted == {**EXAMPLES["openai-delete"], "id": video["id"]}

    empty = await client.get("/v1/videos", headers={"Authorization": f"Bearer {other_key}"})
    assert empty.json() == EXAMPLES["openai-list"]

    error = await client.post("/v1/videos", json={"prompt": "x", "seconds": "five"})
    assert error.status_code == 400
    assert error.json() == EXAMPLES["openai-error"]


async def test_v2_examples(
    client: httpx.AsyncClient, container: Container, image_host: str, other_key: str
) -> None:
    with Receiver() as receiver:
        body = local(EXAMPLES["v2-create"], image_host, receiver.url)
        created = await client.post("/v2/video_generation", json=body)
    assert created.status_code == 200, created.text
    assert_shape(EXAMPLES["v2-create-answer"], created.json())
    assert len(receiver.challenges) == 1
    task_id = created.json()["task_id"]

    await asyncio.to_thread(container.executor("conformance").run_next)
    query = (await client.get(f"/v2/query/video_generation/{task_id}")).json()
    assert_shape(EXAMPLES["v2-query"], query)
    task = query["task"]
    expected = EXAMPLES["v2-query"]["task"]
    for key in ("model", "status", "resolution", "duration", "ratio", "task_type"):
        assert task[key] == expected[key], key
    assert (await client.get(task["content"]["url"])).headers["content-type"] == "video/mp4"

    empty = await client.get(
        "/v2/query/video_generation", headers={"Authorization": f"Bearer {other_key}"}
    )
    assert empty.json() == EXAMPLES["v2-list"]

    deleted = (await client.delete(f"/v2/video_generation/{task_id}")).json()
    assert deleted == {**EXAMPLES["v2-delete"], "task_id": task_id}

    text_only = {
        "model": "MiniMax-H3",
        "content": [{"type": "text", "text": "x"}],
        "duration": 16,
        "ratio": "16:9",
    }
    error = await client.post("/v2/video_generation", json=text_only)
    assert error.status_code == 400
    assert error.json() == EXAMPLES["v2-error"]


async def test_files_examples(client: httpx.AsyncClient) -> None:
    uploaded = await client.post(
        "/v1/files/upload",
        files={"file": ("first.png", _jpeg(640, 480), "image/jpeg")},
        data={"purpose": "video_generation"},
    )
    assert_shape(EXAMPLES["files-upload-answer"], uploaded.json())
    file_id = uploaded.json()["file"]["file_id"]
    deleted = await client.post(
        "/v1/files/delete", json={**EXAMPLES["files-delete"], "file_id": file_id}
    )
    assert deleted.json() == {
        "file_id": file_id,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }
