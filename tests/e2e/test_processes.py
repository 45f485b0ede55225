"""Several API processes: `serve --processes 2` (both answer, tasks succeed, one idempotency
key makes one task whichever process takes it); two `serve` on other ports sharing one
database (idempotency and download URLs hold across them), on SQLite in one data dir and as two
machines with nothing shared but PostgreSQL, an S3 bucket and the secret."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.e2e.server import REELSERVE, Server, create_key
from tests.e2e.test_serve import poll
from tests.support.s3 import S3Server

pytestmark = pytest.mark.slow
BODY = {"model": "T2V-01", "prompt": "a lighthouse at dusk", "duration": 6}


@pytest.fixture
def two_process_server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data", REELSERVE_PROCESSES="2", REELSERVE_WORKERS="1").start()
    yield server
    server.stop()


def answering_pids(url: str, timeout: float = 60) -> set[int]:
    """Process ids that answer /healthz over fresh connections, until two are seen."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout

    def one(_: int) -> int:
        return int(httpx.get(f"{url}/healthz", timeout=10).json()["pid"])

    with ThreadPoolExecutor(8) as pool:
        while len(seen) < 2 and time.monotonic() < deadline:
            seen.update(pool.map(one, range(16)))
    return seen


def post_many(url: str, key: str, headers: dict[str, str], count: int) -> list[httpx.Response]:
    def one(_: int) -> httpx.Response:
        return httpx.post(
            f"{url}/v1/video_generation",
            json=BODY,
            headers={"Authorization": f"Bearer {key}", **headers},
            timeout=30,
        )

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_two_api_processes_both_answer_and_tasks_succeed(two_process_server: Server) -> None:
    server = two_process_server
    pids = answering_pids(server.url)
    assert len(pids) == 2, pids  # started after the parent was up: both serve the port
    assert server.process is not None and server.process.pid not in pids  # the parent supervises
    key = create_key(server.data_dir)
    answers = post_many(server.url, key, {"Idempotency-Key": "one-order"}, 6)
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    ids = {a.json()["task_id"] for a in answers if a.status_code == 200}
    assert len(ids) == 1  # one task whichever process took which request
    others = [a.json()["task_id"] for a in post_many(server.url, key, {}, 2)]
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        for task_id in [*ids, *others]:
            assert poll(http, task_id, {"Success", "Fail"})["status"] == "Success"
        listed = http.get("/v1/tasks", params={"limit": 50}).json()
    assert len(listed["tasks"]) == 3


def test_two_servers_sharing_one_database_keep_idempotency(tmp_path: Path) -> None:
    data_dir = tmp_path / "shared"
    first = Server(data_dir, REELSERVE_WORKERS="1").start()
    second = Server(data_dir, REELSERVE_WORKERS="0").start()
    try:
        key = create_key(data_dir)
        auth = {"Authorization": f"Bearer {key}"}
        order = {**auth, "Idempotency-Key": "order-7"}
        made = httpx.post(f"{first.url}/v1/video_generation", json=BODY, headers=order)
        again = httpx.post(f"{second.url}/v1/video_generation", json=BODY, headers=order)
        assert made.status_code == again.status_code == 200
        assert made.json()["task_id"] == again.json()["task_id"]
        changed = {**BODY, "prompt": "another prompt"}
        mismatch = httpx.post(f"{second.url}/v1/video_generation", json=changed, headers=order)
        assert mismatch.status_code == 422
        burst = [
            *post_many(first.url, key, {"Idempotency-Key": "burst"}, 3),
            *post_many(second.url, key, {"Idempotency-Key": "burst"}, 3),
        ]
        assert all(a.status_code in (200, 409) for a in burst), [a.text for a in burst]
        assert len({a.json()["task_id"] for a in burst if a.status_code == 200}) == 1
        with httpx.Client(base_url=second.url, headers=auth, timeout=30) as http:
            done = poll(http, made.json()["task_id"], {"Success", "Fail"})
            assert done["status"] == "Success"
            file = http.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()
        url = file["file"]["download_url"]
        assert url.startswith(second.url)
        via_first = httpx.get(url.replace(second.url, first.url), headers={"Range": "bytes=0-7"})
        assert via_first.status_code == 206 and via_first.content[4:8] == b"ftyp"
    finally:
        second.stop()
        first.stop()


def make_key(data_dir: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [*REELSERVE, "keys", "create", "--name", "e2e", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    return out.stdout.strip().splitlines()[-1]


def test_two_api_machines_on_postgres_and_s3_share_nothing_but_them(
    tmp_path: Path, postgres_url: str, s3_server: S3Server, s3_bucket: str
) -> None:
    """Machines A and B: own data dirs, 2 processes each; one database, one bucket, one secret.
    A key made on A works on B, one idempotency key makes one task, B's URL downloads A's video."""
    env = {
        **s3_server.env(),
        "REELSERVE_DATABASE_URL": postgres_url,
        "REELSERVE_STORAGE_URL": f"s3://{s3_bucket}/shared",
        "REELSERVE_SECRET_KEY": "one-secret-for-every-api-machine",
        "REELSERVE_PROCESSES": "2",
    }
    first = Server(tmp_path / "machine-a", REELSERVE_WORKERS="1", **env).start()
    second = Server(tmp_path / "machine-b", REELSERVE_WORKERS="0", **env).start()
    try:
        key = make_key(tmp_path / "machine-a", env)
        order = {"Idempotency-Key": "order-9"}
        burst = [*post_many(first.url, key, order, 3), *post_many(second.url, key, order, 3)]
        assert all(a.status_code in (200, 409) for a in burst), [a.text for a in burst]
        ids = {a.json()["task_id"] for a in burst if a.status_code == 200}
        assert len(ids) == 1
        with httpx.Client(
            base_url=second.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            done = poll(http, ids.pop(), {"Success", "Fail"})
            assert done["status"] == "Success", done
            file = http.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()
            content = http.get("/v1/files/retrieve_content", params={"file_id": done["file_id"]})
        video = httpx.get(file["file"]["download_url"], timeout=30)
        assert video.status_code == 200 and video.content == content.content
        assert video.content[4:8] == b"ftyp"
    finally:
        second.stop()
        first.stop()
