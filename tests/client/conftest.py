"""SDK fixtures: the real app in-process, reached through httpx transports."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from starlette.testclient import TestClient

from reelserve.bootstrap import Container
from reelserve_client import AsyncClient, Client


class InProcess(httpx.BaseTransport):
    """A synchronous transport into the ASGI app (httpx's ASGITransport is async only)."""

    def __init__(self, app: FastAPI) -> None:
        self._client = TestClient(app, raise_server_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._client.request(
            request.method, str(request.url), headers=dict(request.headers), content=request.read()
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def app(container: Container) -> FastAPI:
    from reelserve.api.app import create_app

    built = create_app(container)
    built.state.events_poll_s = 0.05
    return built


@pytest.fixture
async def sdk(app: FastAPI, api_key: str) -> AsyncIterator[AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient("http://testserver", api_key, transport=transport, backoff=0.01) as c:
        yield c


@pytest.fixture
def sync_sdk(app: FastAPI, api_key: str) -> Iterator[Client]:
    with Client("http://testserver", api_key, transport=InProcess(app), backoff=0.01) as client:
        yield client


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (30, 90, 160))
    for x in range(0, 640, 4):
        image.putpixel((x, (x * 3) % 480), (250, 250, 250))
    path = tmp_path / "first.png"
    image.save(path)
    return path


async def run_worker(container: Container) -> None:
    await asyncio.to_thread(container.executor("sdk-test").run_next)


def probe(path: Path) -> tuple[int, int, int]:
    with av.open(io.BytesIO(path.read_bytes())) as media:
        stream = media.streams.video[0]
        frames = sum(1 for _ in media.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, frames
