"""The synchronous openai SDK against a real `reelserve serve` process: multipart upload of an
input_reference over the network, create_and_poll, download; the V2 shape on the same task."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import openai
import pytest

from tests.conftest import png_data_url
from tests.e2e.server import Server, create_key

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    running = Server(tmp_path / "data").start()
    yield running, create_key(tmp_path / "data")
    running.stop()


def test_sync_sdk_over_real_http(server: tuple[Server, str]) -> None:
    running, key = server
    client = openai.OpenAI(api_key=key, base_url=f"{running.url}/v1", max_retries=0)
    png = base64.b64decode(png_data_url(1280, 720).split(",", 1)[1])
    video = client.videos.create_and_poll(
        prompt="The harbour wakes up",
        size="1280x720",
        input_reference=("frame.png", png, "image/png"),
        poll_interval_ms=200,
    )
    assert video.status == "completed", video.error
    data = client.videos.download_content(video.id).read()
    with av.open(io.BytesIO(data)) as media:
        stream = media.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)

    task_id = video.id.removeprefix("video_")
    v2 = httpx.get(
        f"{running.url}/v2/query/video_generation/{task_id}",
        headers={"Authorization": f"Bearer {key}"},
    ).json()["task"]
    assert (v2["status"], v2["task_type"]) == ("succeeded", "i2v")
    assert httpx.get(v2["content"]["url"]).content == data
