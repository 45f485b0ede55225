"""The SDK's FileInfo carries the retrieve's has_audio extension (None from servers without it)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reelserve.adapters.engines.registry import EngineRouter
from reelserve.bootstrap import Container
from reelserve.testing import ScriptedEngine
from reelserve_client import AsyncClient
from reelserve_client.models import FileInfo


def test_a_server_without_the_extension_gives_none() -> None:
    assert FileInfo.from_retrieve({"file": {"file_id": 1}}).has_audio is None


@pytest.mark.asyncio
@pytest.mark.parametrize("sound", [True, False])
async def test_retrieve_reports_the_soundtrack(
    container: Container, api_key: str, sound: bool
) -> None:
    from reelserve.api.app import create_app

    container._router = EngineRouter(preview=ScriptedEngine(sound=sound, steps=1), by_model={})
    transport = httpx.ASGITransport(app=create_app(container))
    async with AsyncClient("http://t", api_key, transport=transport) as sdk:
        task_id = await sdk.create_video(model="T2V-01", prompt="x")
        await asyncio.to_thread(container.executor("sdk").run_next)
        task = await sdk.get_task(task_id)
        info = await sdk.retrieve_file(task.file_id or "")
    assert info.has_audio is sound
