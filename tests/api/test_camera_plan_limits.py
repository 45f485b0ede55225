"""Create-time bounds: a camera plan past the limits answers 2013 naming the limit; a key that
cannot pay is refused before its images are read."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from reelserve.bootstrap import Container, build
from reelserve.settings import Settings

pytestmark = pytest.mark.asyncio


async def test_forty_five_push_ins_answer_2013(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = {"model": "T2V-01", "prompt": "a lighthouse " + "[Push in]" * 45}
    answer = (await client.post("/v1/video_generation", json=body)).json()
    assert answer["base_resp"]["status_code"] == 2013, answer
    assert "at most 12 are allowed" in answer["base_resp"]["status_msg"]
    assert sum(container.stats.counts().values()) == 0


async def test_the_limits_come_from_the_settings(settings: Settings) -> None:
    from reelserve.api.app import create_app

    settings.max_camera_segments = 2
    built = build(settings)
    try:
        secret = built.keys.create("tight").secret
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(built)),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {secret}"},
        ) as http:
            body = {"model": "T2V-01", "prompt": "[Pan left][Pan right][Pan left]"}
            answer = (await http.post("/v1/video_generation", json=body)).json()
    finally:
        built.close()
    assert answer["base_resp"]["status_code"] == 2013, answer
    assert "3 camera directives in sequence; at most 2" in answer["base_resp"]["status_msg"]


async def test_a_key_that_cannot_pay_is_refused_before_its_image_is_read(
    client: httpx.AsyncClient, container: Container
) -> None:
    """Issue 16 item 2: a $0 key's image bombs were decoded before the balance was looked at.
    The image here is not an image at all: reading it would answer 2013, not 1008."""
    broke = container.keys.create("broke", balance_usd=Decimal("0")).secret
    body = {
        "model": "MiniMax-Hailuo-02",
        "prompt": "x",
        "first_frame_image": "data:image/png;base64,bm90IGFuIGltYWdl",
    }
    headers = {"Authorization": f"Bearer {broke}"}
    answer = (await client.post("/v1/video_generation", json=body, headers=headers)).json()
    assert answer["base_resp"]["status_code"] == 1008, answer


async def test_a_key_at_its_in_flight_limit_is_refused_before_its_image_is_read(
    client: httpx.AsyncClient, container: Container
) -> None:
    busy = container.keys.create("busy", max_in_flight=1).secret
    headers = {"Authorization": f"Bearer {busy}"}
    text = {"model": "T2V-01", "prompt": "a lighthouse"}
    first = (await client.post("/v1/video_generation", json=text, headers=headers)).json()
    assert first["base_resp"]["status_code"] == 0, first
    body = {
        "model": "MiniMax-Hailuo-02",
        "prompt": "x",
        "first_frame_image": "data:image/png;base64,bm90IGFuIGltYWdl",
    }
    answer = (await client.post("/v1/video_generation", json=body, headers=headers)).json()
    assert answer["base_resp"]["status_code"] == 1002, answer  # not 2013 for the image
