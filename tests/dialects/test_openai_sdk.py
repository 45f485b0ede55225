"""The official openai SDK's videos resource, unmodified, against the app (ASGI, SQLite, preview
engine): create_and_poll, retrieve, list, download_content, delete, remix and typed errors."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator

import av
import httpx
import openai
import pytest
from PIL import Image

from reelserve.bootstrap import Container
from tests.conftest import png_data_url

pytestmark = [
    pytest.mark.asyncio,
    # OpenAI deprecated its hosted Videos API: every SDK method warns. The shape is what we test.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture
async def sdk(container: Container, api_key: str) -> AsyncIterator[openai.AsyncOpenAI]:
    from reelserve.api.app import create_app

    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield openai.AsyncOpenAI(
            api_key=api_key, base_url="http://testserver/v1", http_client=http, max_retries=0
        )


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


def png_bytes(width: int, height: int) -> bytes:
    return base64.b64decode(png_data_url(width, height).split(",", 1)[1])


@pytest.mark.usefixtures("worker")
async def test_create_and_poll_then_download_a_real_mp4_of_the_asked_size(
    sdk: openai.AsyncOpenAI,
) -> None:
    video = await sdk.videos.create_and_poll(
        prompt="A lighthouse at dusk",
        model="sora-2",
        seconds="4",
        size="1280x720",
        poll_interval_ms=100,
    )
    assert video.status == "completed", video.error
    assert video.id.startswith("video_") and video.id.removeprefix("video_").isdigit()
    assert (video.model, video.seconds, video.size, video.progress) == (
        "sora-2",
        "4",
        "1280x720",
        100,
    )
    assert video.completed_at is not None and video.expires_at is not None
    assert video.expires_at > video.completed_at

    content = await sdk.videos.download_content(video.id)
    assert probe(content.content) == (1280, 720, 100, 25.0)

    retrieved = await sdk.videos.retrieve(video.id)
    assert retrieved.id == video.id and retrieved.status == "completed"


@pytest.mark.usefixtures("worker")
async def test_multipart_input_reference_is_cover_cropped_with_a_warning(
    sdk: openai.AsyncOpenAI,
) -> None:
    video = await sdk.videos.create_and_poll(
        prompt="The scene comes alive",
        model="sora-2",
        size="720x1280",
        input_reference=("frame.png", png_bytes(640, 360), "image/png"),
        poll_interval_ms=100,
    )
    assert video.status == "completed", video.error
    assert video.size == "720x1280"
    warnings = (video.model_extra or {}).get("warnings", [])
    assert any("640x360" in w and "cropped" in w for w in warnings), warnings
    content = await sdk.videos.download_content(video.id)
    assert probe(content.content)[:2] == (720, 1280)


@pytest.mark.usefixtures("worker")
async def test_thumbnail_and_spritesheet_are_images_of_the_video(sdk: openai.AsyncOpenAI) -> None:
    video = await sdk.videos.create_and_poll(
        prompt="Waves", model="sora-2", size="1280x720", poll_interval_ms=100
    )
    thumb = await sdk.videos.download_content(video.id, variant="thumbnail")
    assert thumb.response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(thumb.content))
    assert (image.format, image.size) == ("WEBP", (1280, 720))

    sheet = await sdk.videos.download_content(video.id, variant="spritesheet")
    grid = Image.open(io.BytesIO(sheet.content))
    assert (grid.format, grid.size) == ("JPEG", (5 * 160, 5 * 90))


async def test_list_is_a_cursor_page_in_both_orders(sdk: openai.AsyncOpenAI) -> None:
    ids = [(await sdk.videos.create(prompt=f"clip {i}", model="sora-2")).id for i in range(3)]
    newest_first = [v.id async for v in sdk.videos.list(limit=2)]
    assert newest_first == ids[::-1]  # the SDK followed the cursor to the second page
    oldest_first = [v.id async for v in sdk.videos.list(limit=2, order="asc")]
    assert oldest_first == ids
    page = await sdk.videos.list(limit=2)
    assert (page.has_more, page.last_id) == (True, ids[1])


async def test_delete_a_queued_video_cancels_and_removes_it(sdk: openai.AsyncOpenAI) -> None:
    video = await sdk.videos.create(prompt="Gone soon", model="sora-2")
    deleted = await sdk.videos.delete(video.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (video.id, "video.deleted", True)
    with pytest.raises(openai.NotFoundError):
        await sdk.videos.retrieve(video.id)


@pytest.mark.usefixtures("worker")
async def test_remix_reuses_the_inputs_with_a_new_prompt(sdk: openai.AsyncOpenAI) -> None:
    source = await sdk.videos.create_and_poll(
        prompt="A red door",
        model="sora-2-pro",
        seconds="8",
        size="1792x1024",
        poll_interval_ms=100,
    )
    remix = await sdk.videos.remix(source.id, prompt="A blue door")
    assert remix.remixed_from_video_id == source.id
    assert (remix.prompt, remix.seconds, remix.size, remix.model) == (
        "A blue door",
        "8",
        "1792x1024",
        "sora-2-pro",
    )
    assert remix.status == "queued"


async def test_errors_are_typed_with_real_statuses_and_param(
    sdk: openai.AsyncOpenAI, container: Container
) -> None:
    with pytest.raises(openai.BadRequestError) as bad_size:
        await sdk.videos.create(prompt="x", model="sora-2", size="1024x1792")
    assert bad_size.value.status_code == 400
    assert bad_size.value.param == "size"
    assert "1024x1792" in bad_size.value.message

    with pytest.raises(openai.BadRequestError) as bad_seconds:
        await sdk.videos.create(prompt="x", model="sora-2", seconds="5")  # type: ignore[arg-type]
    assert bad_seconds.value.param == "seconds"
    assert "5" in bad_seconds.value.message

    with pytest.raises(openai.NotFoundError) as missing:
        await sdk.videos.retrieve("video_123")
    assert missing.value.status_code == 404

    anonymous = openai.AsyncOpenAI(
        api_key="sk-wrong", base_url=str(sdk.base_url), http_client=sdk._client, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError):
        await anonymous.videos.list()
