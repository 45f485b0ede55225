"""The SDK against the real app in-process: round trips, typed errors, retries."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import reelserve_client
from reelserve.bootstrap import Container
from reelserve_client import (
    AsyncClient,
    AuthError,
    Client,
    InvalidParams,
    RateLimited,
    ServerError,
    Task,
    TaskFailed,
    WaitTimeout,
)
from tests.client.conftest import probe, run_worker


def test_public_names_are_pinned() -> None:
    assert sorted(reelserve_client.__all__) == [
        "ApiError",
        "AsyncClient",
        "AuthError",
        "Client",
        "ConnectionFailed",
        "FileInfo",
        "GeneratedVideo",
        "InsufficientBalance",
        "InvalidParams",
        "RateLimited",
        "ReelserveClientError",
        "SensitiveContent",
        "ServerError",
        "Task",
        "TaskFailed",
        "TaskPage",
        "WaitTimeout",
        "WebhookVerificationError",
        "__version__",
        "sign_webhook",
        "verify_webhook",
    ]
    for name in reelserve_client.__all__:
        assert hasattr(reelserve_client, name)


async def test_async_generate_turns_a_local_image_into_a_video(
    sdk: AsyncClient, container: Container, png_file: Path, tmp_path: Path
) -> None:
    seen: list[Task] = []
    generation = asyncio.create_task(
        sdk.generate(
            "A blue card [Push in]",
            model="MiniMax-Hailuo-02",
            first_frame_image=png_file,  # a local path: sent as a data URL
            resolution="512P",
            duration=6,
            output=tmp_path / "out.mp4",
            on_progress=seen.append,
        )
    )
    while not seen:
        await asyncio.sleep(0.01)
    await run_worker(container)
    video = await generation
    assert video.task.succeeded and video.task.progress == 100
    assert seen[0].status == "Queueing" and seen[0].queue_position == 0
    assert (video.task.video_width, video.task.video_height) == (682, 512)
    assert probe(video.path) == (682, 512, 150)
    assert video.file.filename == "output.mp4" and video.path.stat().st_size > 1000
    task = container.repository.get(video.task.task_id)
    assert task is not None and task.first_frame_key is not None


def test_sync_round_trip_create_wait_download(
    sync_sdk: Client, container: Container, tmp_path: Path
) -> None:
    task_id = sync_sdk.create_video(model="T2V-01", prompt="Rain on a window", resolution="720P")
    assert sync_sdk.get_task(task_id).status == "Queueing"
    worker = threading.Thread(target=container.executor("w").run_next)
    phases: list[tuple[str, int | None]] = []
    worker.start()
    done = sync_sdk.wait(
        task_id,
        timeout=60,
        poll_interval=0.05,
        on_progress=lambda t: phases.append((t.status, t.progress)),
    )
    worker.join()
    assert done.file_id and done.file_id.isdigit()
    assert phases[-1] == ("Success", 100)
    assert [p for _, p in phases] == sorted(p or 0 for _, p in phases)  # progress never goes back
    path = sync_sdk.download(done.file_id, tmp_path / "rain.mp4")
    assert probe(path) == (1280, 720, 150)
    assert not (tmp_path / "rain.mp4.part").exists()


async def test_invalid_params_name_their_fields(sdk: AsyncClient) -> None:
    with pytest.raises(InvalidParams) as caught:
        await sdk.create_video(
            model="MiniMax-Hailuo-02", prompt="x", duration=10, resolution="1080P"
        )
    assert caught.value.code == 2013
    assert caught.value.fields == ["duration"]
    assert "duration: 10" in str(caught.value) and "(code 2013)" in str(caught.value)


async def test_a_missing_local_image_fails_before_any_request(sdk: AsyncClient) -> None:
    with pytest.raises(InvalidParams, match=r"first_frame_image: no such file 'nope\.png'"):
        await sdk.create_video(prompt="x", first_frame_image="nope.png")


async def test_wrong_key_is_an_auth_error(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient("http://testserver", "rs_wrong", transport=transport) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_task("1")
    assert caught.value.code == 1004
    with pytest.raises(AuthError, match="no API key"):
        Client("http://x", "").get_task("1")


async def test_a_cancelled_task_fails_the_wait(sdk: AsyncClient) -> None:
    task_id = await sdk.create_video(model="T2V-01", prompt="x")
    view = await sdk.cancel(task_id)
    assert view["status"] == "cancelled"
    with pytest.raises(TaskFailed) as caught:
        await sdk.wait(task_id, timeout=5)
    assert caught.value.task.failed and caught.value.code == 1000
    assert "cancelled" in str(caught.value)


async def test_wait_times_out_with_the_last_state(sdk: AsyncClient) -> None:
    task_id = await sdk.create_video(model="T2V-01", prompt="x")
    with pytest.raises(WaitTimeout) as caught:
        await sdk.wait(task_id, timeout=0.1, poll_interval=0.02)
    assert caught.value.task.status == "Queueing"


def scripted(
    *answers: tuple[int, dict[str, Any], dict[str, str]],
) -> tuple[httpx.MockTransport, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        status, body, headers = answers[min(len(calls), len(answers)) - 1]
        return httpx.Response(status, json=body, headers=headers)

    return httpx.MockTransport(handler), calls


LIMITED = (
    200,
    {"base_resp": {"status_code": 1002, "status_msg": "rate limit"}},
    {"Retry-After": "0"},
)
BROKEN = (502, {}, {})
CREATED = (200, {"task_id": "42", "base_resp": {"status_code": 0, "status_msg": "success"}}, {})


def test_rate_limits_and_5xx_are_retried_with_backoff() -> None:
    transport, calls = scripted(LIMITED, BROKEN, CREATED)
    client = Client("http://minimax.test", "k", transport=transport, backoff=0.001)
    assert client.create_video(model="T2V-01", prompt="x") == "42"
    assert len(calls) == 3


def test_retries_stop_after_max_retries() -> None:
    transport, calls = scripted(LIMITED)
    client = Client("http://minimax.test", "k", transport=transport, max_retries=2, backoff=0.001)
    with pytest.raises(RateLimited) as caught:
        client.create_video(model="T2V-01", prompt="x")
    assert len(calls) == 3 and caught.value.retry_after == 0
    transport, calls = scripted(BROKEN)
    with pytest.raises(ServerError):
        Client("http://m.test", "k", transport=transport, max_retries=1, backoff=0.001).get_task(
            "1"
        )
    assert len(calls) == 2


def test_bad_params_are_not_retried() -> None:
    bad = (
        200,
        {"base_resp": {"status_code": 2013, "status_msg": "invalid params, prompt: is required"}},
        {},
    )
    transport, calls = scripted(bad)
    with pytest.raises(InvalidParams):
        Client("http://m.test", "k", transport=transport).create_video(model="T2V-01")
    assert len(calls) == 1


def test_minimax_shaped_answers_without_extensions_still_parse() -> None:
    """Against MiniMax's own service there is no progress/phase/queue_position."""
    body = {
        "task_id": "176843862716480",
        "status": "Processing",
        "file_id": "",
        "video_width": 0,
        "video_height": 0,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }
    transport, _ = scripted((200, body, {}))
    task = Client("https://api.minimax.io", "k", transport=transport).get_task("176843862716480")
    assert (task.status, task.progress, task.phase, task.queue_position) == (
        "Processing",
        None,
        None,
        None,
    )
    assert not task.done and task.file_id is None
