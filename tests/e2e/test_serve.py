"""`reelserve serve` as a real process: create → poll → retrieve → download; kill -9 and restart."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from tests.e2e.server import Server, create_key

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def server(data_dir: Path) -> Iterator[Server]:
    running = Server(data_dir).start()
    yield running
    running.stop()


def poll(
    http: httpx.Client, task_id: str, until: set[str], timeout: float = 120
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = http.get("/v1/query/video_generation", params={"task_id": task_id}).json()
        if body["status"] in until:
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise TimeoutError(f"task {task_id} never reached {until}")


def test_create_poll_retrieve_download(server: Server, data_dir: Path) -> None:
    key = create_key(data_dir)
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        created = http.post(
            "/v1/video_generation",
            json={"model": "MiniMax-Hailuo-02", "prompt": "A fox in snow [Pan left]"},
        ).json()
        assert created["base_resp"]["status_code"] == 0
        done = poll(http, created["task_id"], {"Success", "Fail"})
        assert done["status"] == "Success", done
        assert (done["video_width"], done["video_height"]) == (1366, 768)
        file = http.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()["file"]
        video = httpx.get(file["download_url"], timeout=30)
    assert video.status_code == 200
    with av.open(io.BytesIO(video.content)) as media:
        stream = media.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (1366, 768)
        assert stream.average_rate == 25
        assert sum(1 for _ in media.decode(stream)) == 150


def test_serve_on_an_empty_data_dir_prints_a_first_key(tmp_path: Path) -> None:
    fresh = Server(tmp_path / "fresh").start()
    try:
        log = fresh.log.read_text()
        key = next(word for word in log.split() if word.startswith("REELSERVE_API_KEY="))
        secret = key.split("=", 1)[1]
        body = httpx.get(
            f"{fresh.url}/v1/query/video_generation",
            params={"task_id": "1"},
            headers={"Authorization": f"Bearer {secret}"},
        ).json()
        assert body["base_resp"]["status_code"] == 2013  # authenticated: the task is unknown
    finally:
        fresh.stop()


def test_tasks_survive_kill_9_of_the_server(data_dir: Path) -> None:
    env = {
        "REELSERVE_LEASE_S": "2",
        "REELSERVE_HEARTBEAT_S": "0.5",
        "REELSERVE_REAP_INTERVAL_S": "0.5",
    }
    first = Server(data_dir, **env).start()
    key = create_key(data_dir)
    headers = {"Authorization": f"Bearer {key}"}
    body = {"model": "MiniMax-Hailuo-02", "prompt": "city lights [Push in]", "resolution": "1080P"}
    with httpx.Client(base_url=first.url, headers=headers, timeout=30) as http:
        ids = [http.post("/v1/video_generation", json=body).json()["task_id"] for _ in range(4)]
        running = poll(http, ids[0], {"Processing", "Success"})
        assert running["status"] == "Processing"
    first.kill()

    second = Server(data_dir, port=first.port, **env).start()
    try:
        with httpx.Client(base_url=second.url, headers=headers, timeout=30) as http:
            statuses = [
                poll(http, task_id, {"Success", "Fail"}, timeout=180)["status"] for task_id in ids
            ]
    finally:
        second.stop()
    assert statuses == ["Success"] * 4


def test_a_separate_worker_process_runs_the_tasks(data_dir: Path) -> None:
    import subprocess

    from tests.e2e.server import REELSERVE

    api = Server(data_dir, REELSERVE_WORKERS="0").start()
    worker = subprocess.Popen(
        [*REELSERVE, "worker", "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        key = create_key(data_dir)
        with httpx.Client(
            base_url=api.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            task_id = http.post(
                "/v1/video_generation", json={"model": "T2V-01", "prompt": "dunes"}
            ).json()["task_id"]
            assert poll(http, task_id, {"Success", "Fail"})["status"] == "Success"
    finally:
        worker.kill()
        worker.wait(10)
        api.stop()
