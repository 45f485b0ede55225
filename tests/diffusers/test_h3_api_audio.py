"""The tiny MiniMax-H3 pipeline behind /v2/video_generation: the MP4 it stores has a soundtrack
and the V2 query says so (has_audio); ``"audio": false`` stores a silent video and says that."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelserve.adapters.media.video import probe_audio
from reelserve.bootstrap import Container, build
from reelserve.settings import Settings
from tests.diffusers.conftest import pipeline_table, write_registry

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.diffusers,
    # Inside diffusers 0.42.1's MiniMax-H3 audio VAE, not ours.
    pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning"),
]
H3 = tuple[httpx.AsyncClient, Container]


@pytest.fixture
async def h3(tmp_path: Path, h3_weights: Path) -> AsyncIterator[H3]:
    from reelserve.api.app import create_app

    table = pipeline_table("h3", "minimax-h3", h3_weights).replace(
        "native_fps = 16", "native_fps = 24"
    )
    table = table.replace("max_sequence_length = 16\n", "")
    registry = write_registry(tmp_path, table + '\n[models."MiniMax-H3"]\npipeline = "h3"\n')
    settings = Settings(data_dir=tmp_path / "data", engine_registry=registry)
    container = build(settings)
    secret = container.keys.create("h3").secret
    transport = httpx.ASGITransport(app=create_app(container))
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:
        yield http, container
    container.close()


@pytest.mark.parametrize("audio", [True, False])
async def test_h3_on_v2_reports_the_soundtrack_it_stored(
    h3: H3, audio: bool, tmp_path: Path
) -> None:
    h3_client, container = h3
    body = {"content": [{"type": "text", "text": "waves"}], "ratio": "1:1", "duration": 4}
    created = await h3_client.post("/v2/video_generation", json={**body, "audio": audio})
    assert created.status_code == 200, created.text
    task_id = created.json()["task_id"]
    assert await asyncio.to_thread(container.executor("h3").run_next) is not None
    task = (await h3_client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    assert (task["status"], task["has_audio"]) == ("succeeded", audio), task
    file_id = (await h3_client.get(f"/v1/tasks/{task_id}")).json()["file_id"]
    record = container.tasks.get_file(None, file_id)
    path = tmp_path / "stored.mp4"
    with container.files.open(record.storage_key) as stored:
        path.write_bytes(stored.read())
    sound = probe_audio(path)
    assert (sound is not None) is audio
