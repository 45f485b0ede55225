"""The request's `audio` flag (issue 14) in every create dialect reaches the engine's job, and
whether the stored file has a soundtrack comes back in every read view (an extension field)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reelserve.adapters.engines.registry import EngineRouter
from reelserve.bootstrap import Container
from reelserve.testing import ScriptedEngine

pytestmark = pytest.mark.asyncio


@pytest.fixture
def engine(container: Container) -> ScriptedEngine:
    """Every model is served by an engine that makes sound (as H3 and LTX-2 do)."""
    scripted = ScriptedEngine(sound=True, steps=1)
    container._router = EngineRouter(preview=scripted, by_model={})
    return scripted


async def _run(container: Container) -> None:
    assert await asyncio.to_thread(container.executor("audio").run_next) is not None


async def _reads(client: httpx.AsyncClient, task_id: str) -> dict[str, object]:
    detail = (await client.get(f"/v1/tasks/{task_id}")).json()
    file_id = detail["file_id"]
    v1 = (await client.get("/v1/files/retrieve", params={"file_id": file_id})).json()
    v2 = (await client.get(f"/v2/query/video_generation/{task_id}")).json()["task"]
    openai = (await client.get(f"/v1/videos/video_{task_id}")).json()
    return {
        "asked": detail["audio"],
        "tasks": detail["has_audio"],
        "v1": v1["file"]["has_audio"],
        "v2": v2["has_audio"],
        "openai": openai["has_audio"],
    }


async def test_v1_keeps_the_soundtrack_by_default(
    client: httpx.AsyncClient, container: Container, engine: ScriptedEngine
) -> None:
    created = await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
    task_id = created.json()["task_id"]
    queued = (await client.get(f"/v1/videos/video_{task_id}")).json()
    assert queued["has_audio"] is False  # no file yet
    await _run(container)
    assert engine.jobs[-1].audio is True
    assert await _reads(client, task_id) == dict.fromkeys(
        ("asked", "tasks", "v1", "v2", "openai"), True
    )


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/v1/video_generation", {"model": "T2V-01", "prompt": "x", "audio": False}),
        (
            "/v2/video_generation",
            {"content": [{"type": "text", "text": "x"}], "ratio": "16:9", "audio": False},
        ),
        ("/v1/videos", {"prompt": "x", "audio": False}),
    ],
)
async def test_audio_false_asks_the_engine_for_a_silent_video(
    client: httpx.AsyncClient,
    container: Container,
    engine: ScriptedEngine,
    route: str,
    body: dict[str, object],
) -> None:
    created = await client.post(route, json=body)
    assert created.status_code == 200, created.text
    answer = created.json()
    task_id = answer.get("task_id") or answer["id"].removeprefix("video_")
    await _run(container)
    assert engine.jobs[-1].audio is False
    assert await _reads(client, task_id) == dict.fromkeys(
        ("asked", "tasks", "v1", "v2", "openai"), False
    )


@pytest.mark.parametrize(("value", "asked"), [("false", False), ("TRUE", True), ("0", False)])
async def test_openai_multipart_takes_audio_as_a_text_field(
    client: httpx.AsyncClient,
    container: Container,
    engine: ScriptedEngine,
    value: str,
    asked: bool,
) -> None:
    created = await client.post("/v1/videos", files={"prompt": (None, "x"), "audio": (None, value)})
    assert created.status_code == 200, created.text
    await _run(container)
    assert engine.jobs[-1].audio is asked
    assert created.json()["has_audio"] is False  # queued: no file yet


async def test_a_remix_keeps_the_source_audio_flag(
    client: httpx.AsyncClient, container: Container, engine: ScriptedEngine
) -> None:
    created = await client.post("/v1/videos", json={"prompt": "x", "audio": False})
    video_id = created.json()["id"]
    await _run(container)
    remixed = await client.post(f"/v1/videos/{video_id}/remix", json={"prompt": "y"})
    await _run(container)
    assert engine.jobs[-1].audio is False
    assert remixed.json()["remixed_from_video_id"] == video_id


@pytest.mark.parametrize(
    ("route", "body", "where"),
    [
        ("/v1/video_generation", {"model": "T2V-01", "prompt": "x", "audio": "no"}, "base_resp"),
        ("/v2/video_generation", {"content": [{"type": "text", "text": "x"}], "audio": 1}, "error"),
        ("/v1/videos", {"prompt": "x", "audio": "maybe"}, "error"),
    ],
)
async def test_a_non_boolean_audio_is_refused_naming_the_field(
    client: httpx.AsyncClient, route: str, body: dict[str, object], where: str
) -> None:
    answer = await client.post(route, json=body)
    assert answer.status_code in (200, 400)
    error = answer.json()[where]
    assert "audio" in (error.get("status_msg") or error.get("message"))


async def test_a_non_boolean_multipart_audio_names_the_value(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/videos", files={"prompt": (None, "x"), "audio": (None, "maybe")}
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["param"], "'maybe'" in error["message"]) == ("audio", True)
