"""MiniMax-H3's own rules on V2 (DIALECTS.md §2): prompts up to 7,000 characters where the v1
models keep 2,000, and a last frame alone (the video ends on it; the preview engine rises to it)."""

from __future__ import annotations

import asyncio
import io

import av
import httpx
import numpy as np
import pytest

from reelserve.bootstrap import Container
from reelserve.domain import rules
from reelserve.domain.requests import GenerationRequest
from tests.conftest import png_data_url

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("model", "length", "refused"),
    [
        ("MiniMax-H3", 7000, False),
        ("MiniMax-H3", 7001, "7001 characters is over the limit of 7000"),
        ("T2V-01", 2000, False),
        ("T2V-01", 2001, "2001 characters is over the limit of 2000"),
    ],
)
async def test_the_prompt_limit_is_the_model_s(model: str, length: int, refused: object) -> None:
    request = GenerationRequest(model=model, prompt="x" * length, duration=5, resolution="768P")
    found = [v.message for v in rules.validate(request) if v.field == "prompt"]
    assert found == ([f"prompt: {refused}"] if refused else [])


@pytest.mark.parametrize(("model", "allowed"), [("MiniMax-H3", True), ("MiniMax-Hailuo-02", False)])
async def test_a_last_frame_alone_is_a_v2_rule(model: str, allowed: bool) -> None:
    request = GenerationRequest(model=model, prompt="x", last_frame_image="https://e.com/l.png")
    fields = [v.field for v in rules.validate(request)]
    assert ("first_frame_image" not in fields) is allowed


async def test_v2_accepts_a_7000_character_prompt(client: httpx.AsyncClient) -> None:
    body = {"content": [{"type": "text", "text": "a" * 7000}], "ratio": "16:9", "duration": 4}
    answer = await client.post("/v2/video_generation", json=body)
    assert answer.status_code == 200, answer.text
    v1 = await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "a" * 2001})
    assert "over the limit of 2000" in v1.json()["base_resp"]["status_msg"]


async def test_v2_renders_a_last_frame_alone_ending_on_it(
    client: httpx.AsyncClient, container: Container
) -> None:
    last = png_data_url(640, 360, (20, 160, 220))
    content = [
        {"type": "text", "text": "The sky clears"},
        {"type": "image_url", "image_url": {"url": last}, "role": "last_frame"},
    ]
    answer = await client.post("/v2/video_generation", json={"content": content, "duration": 4})
    assert answer.status_code == 200, answer.text
    task_id = answer.json()["task_id"]
    await asyncio.to_thread(container.executor("v2-last").run_next)
    task = (await client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    assert (task["status"], task["task_type"], task["ratio"]) == ("succeeded", "fl2v", "16:9")
    video = await client.get(task["content"]["url"])
    with av.open(io.BytesIO(video.content)) as media:
        frames = [f.to_ndarray(format="rgb24") for f in media.decode(video=0)]
    assert frames[0].shape[:2] == (768, 1366)  # the last frame's shape (adaptive ratio)
    first, end = frames[0].mean(axis=(0, 1)), frames[-1].mean(axis=(0, 1))
    assert end[2] > first[2] + 40  # it rises out of shadow to the blue last frame
    assert np.abs(end - np.array([20, 160, 220])).max() < 60


async def test_v1_still_wants_a_first_frame_with_a_last_one(client: httpx.AsyncClient) -> None:
    body = {"model": "MiniMax-Hailuo-02", "prompt": "x", "last_frame_image": png_data_url()}
    answer = (await client.post("/v1/video_generation", json=body)).json()
    assert "first_frame_image: is required" in answer["base_resp"]["status_msg"]
