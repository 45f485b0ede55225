"""A database that is down: every dialect answers "service unavailable, try again" at once
(MiniMax: HTTP 200 + base_resp 1000; Vtrix, OpenAI, MiniMax V2: HTTP 503), never a 500 or a hang; and the same
process answers normally once the database is back (no restart, no stale connection)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.postgres import PostgresServer, start_postgres

from reelserve.bootstrap import Container, build
from reelserve.settings import Settings

pytestmark = pytest.mark.asyncio

BODY = {"model": "MiniMax-Hailuo-02", "prompt": "a paper boat"}


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = start_postgres()  # its own: this test stops it
    yield server
    server.destroy()


@pytest.fixture
def pg_container(tmp_path: Path, own_postgres: PostgresServer) -> Iterator[Container]:
    url = own_postgres.create_database()
    built = build(Settings(data_dir=tmp_path / "data", database_url=url, workers=0))
    yield built
    built.close()


async def test_requests_answer_service_unavailable_while_the_database_is_down(
    pg_container: Container, own_postgres: PostgresServer
) -> None:
    from reelserve.api.app import create_app

    secret = pg_container.keys.create("outage").secret
    transport = httpx.ASGITransport(app=create_app(pg_container))
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers, timeout=10
    ) as http:
        assert (await http.post("/v1/video_generation", json=BODY)).json()["task_id"]
        own_postgres.stop("fast")
        started = time.monotonic()
        minimax = await http.post("/v1/video_generation", json=BODY)
        query = await http.get("/v1/query/video_generation", params={"task_id": "1"})
        vtrix = await http.get("/model/v1/generation/task/1")
        openai = await http.get("/v1/videos/1")
        v2 = await http.get("/v2/query/video_generation/1")
        took = time.monotonic() - started
        own_postgres.start()
        back = await http.post("/v1/video_generation", json=BODY)

    unavailable = {"status_code": 1000, "status_msg": "service unavailable, try again"}
    assert minimax.status_code == 200 and minimax.json() == {
        "task_id": "",
        "base_resp": unavailable,
    }
    assert minimax.headers["Retry-After"] == "1"
    assert query.status_code == 200 and query.json()["base_resp"] == unavailable
    assert vtrix.status_code == 503
    assert vtrix.json()["error"] == {"code": 1000, "error_message": unavailable["status_msg"]}
    assert openai.status_code == 503 and openai.json()["error"]["code"] == "service_unavailable"
    assert v2.status_code == 503 and v2.json()["error"]["message"] == unavailable["status_msg"]
    assert openai.headers["Retry-After"] == v2.headers["Retry-After"] == "1"
    assert took < 5, "five requests to a stopped database took seconds: a hang"
    assert back.json()["base_resp"]["status_code"] == 0 and back.json()["task_id"]
