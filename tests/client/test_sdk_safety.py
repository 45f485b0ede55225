"""The SDK's safety rules (issue 17 §21, issue 16 §9): a create retried after a lost answer
makes one task, and the API key never travels to another origin or over a weaker scheme."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from reelserve.bootstrap import Container
from reelserve_client import AsyncClient, Client
from reelserve_client._core import key_may_go_to

from .conftest import InProcess


def task_count(container: Container) -> int:
    return sum(container.stats.counts().values())


class LosesFirstAnswer(httpx.BaseTransport):
    """Delivers every request, but the answer to the first create never arrives."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.keys: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.keys.append(request.headers.get("idempotency-key"))
            if len(self.keys) == 1:
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


class AsyncLosesFirstAnswer(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.keys: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.keys.append(request.headers.get("idempotency-key"))
            if len(self.keys) == 1:
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


def test_a_create_retried_after_a_lost_answer_makes_one_task(
    app: FastAPI, container: Container, api_key: str
) -> None:
    transport = LosesFirstAnswer(InProcess(app))
    with Client("http://testserver", api_key, transport=transport, backoff=0.001) as client:
        task_id = client.create_video(model="T2V-01", prompt="A cat")
    assert task_count(container) == 1  # the retry got the first request's task back
    assert container.repository.get(task_id) is not None
    first, again = transport.keys
    assert first and first == again


async def test_the_async_client_retries_a_create_with_the_same_key(
    app: FastAPI, container: Container, api_key: str
) -> None:
    transport = AsyncLosesFirstAnswer(httpx.ASGITransport(app=app))
    async with AsyncClient("http://testserver", api_key, transport=transport, backoff=0.001) as c:
        await c.create_video(model="T2V-01", prompt="A cat")
        await c.create_video(model="T2V-01", prompt="A dog", idempotency_key="mine-1")
    assert task_count(container) == 2
    first, again, own = transport.keys
    assert first == again and own == "mine-1"


def test_every_create_gets_its_own_key(app: FastAPI, container: Container, api_key: str) -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["idempotency-key"])
        return InProcess(app).handle_request(request)

    with Client("http://testserver", api_key, transport=httpx.MockTransport(record)) as client:
        client.create_video(model="T2V-01", prompt="one")
        client.create_video(model="T2V-01", prompt="one")
    assert len(set(seen)) == 2 and task_count(container) == 2


@pytest.mark.parametrize(
    ("base", "url", "allowed"),
    [
        ("https://api.test", "https://api.test/v1/files/download/1/a.mp4", True),
        ("https://api.test", "/v1/files/download/1/a.mp4", True),
        ("https://api.test", "http://api.test/v1/files/download/1/a.mp4", False),  # weaker
        ("https://api.test", "http://api.test:443/x", False),
        ("https://api.test", "https://api.test:8443/x", False),
        ("https://api.test", "https://cdn.test/x", False),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/x", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:9000/x", False),
        ("http://api.test", "http://api.test:80/x", True),
    ],
)
def test_the_key_goes_only_to_the_apis_origin_never_over_a_weaker_scheme(
    base: str, url: str, allowed: bool
) -> None:
    assert key_may_go_to(url, httpx.URL(base)) is allowed


def test_a_download_from_a_downgraded_url_carries_no_key(tmp_path: Path) -> None:
    """A proxy without REELSERVE_PUBLIC_URL hands out http:// URLs for an https:// API."""
    sent: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/files/retrieve":
            body = {
                "file": {
                    "file_id": 7,
                    "bytes": 4,
                    "created_at": 0,
                    "filename": "output.mp4",
                    "purpose": "video_generation",
                    "download_url": "http://api.test/v1/files/download/7/output.mp4?sig=x",
                },
                "base_resp": {"status_code": 0, "status_msg": "success"},
            }
            return httpx.Response(200, json=body)
        sent["authorization"] = request.headers.get("authorization")
        return httpx.Response(200, content=b"mp4!")

    with Client("https://api.test", "rs_secret", transport=httpx.MockTransport(handler)) as c:
        path = c.download("7", tmp_path / "v.mp4")
    assert path.read_bytes() == b"mp4!" and sent == {"authorization": None}
