"""Per-key limits hold across API processes: two `reelserve serve` processes on one data folder
(one SQLite file) share a key's requests per minute and its tasks in flight.

Before the RateLimiter port, the per-minute count lived in each process's memory, so two
processes together let through twice the key's limit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from tests.e2e.server import REELSERVE, Server

pytestmark = pytest.mark.slow
BODY = {"model": "T2V-01", "prompt": "a kite over a beach"}


def _key(data_dir: Path, *options: str) -> str:
    out = subprocess.run(
        [*REELSERVE, "keys", "create", "--data-dir", str(data_dir), *options],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _codes(servers: list[Server], key: str, count: int) -> list[int]:
    """Create ``count`` tasks, alternating between the servers; each answer's status_code."""
    headers = {"Authorization": f"Bearer {key}"}
    codes = []
    for index in range(count):
        url = f"{servers[index % len(servers)].url}/v1/video_generation"
        answer = httpx.post(url, json=BODY, headers=headers, timeout=30)
        assert answer.status_code in (200, 429), answer.text
        codes.append(answer.json()["base_resp"]["status_code"])
    return codes


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> list[Server]:
    data = tmp_path_factory.mktemp("limits") / "data"
    data.mkdir()
    subprocess.run([*REELSERVE, "migrate", "--data-dir", str(data)], check=True)
    started = [Server(data, REELSERVE_WORKERS="0").start() for _ in range(2)]
    yield started  # type: ignore[misc]
    for server in started:
        server.stop()


def test_requests_per_minute_are_counted_across_processes(servers: list[Server]) -> None:
    key = _key(servers[0].data_dir, "--name", "rpm", "--rpm", "3")
    assert _codes(servers, key, 5) == [0, 0, 0, 1002, 1002]


def test_tasks_in_flight_are_counted_across_processes(servers: list[Server]) -> None:
    key = _key(servers[0].data_dir, "--name", "flight", "--max-in-flight", "2")
    assert _codes(servers, key, 4) == [0, 0, 1002, 1002]  # no workers: all stay queued
