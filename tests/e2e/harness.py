"""Tools for the crash drills: worker processes, an API client, a read-only look at the store,
an MP4 check, a deadline-bounded wait and the clips. Everything talks to real processes on
loopback."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import av
import httpx
from PIL import Image
from tests.e2e.server import REELSERVE, kill_9, terminate

T = TypeVar("T")

# Short leases so that a dead or paused worker's task is taken back within seconds.
FAST_LEASE = {
    "REELSERVE_LEASE_S": "2",
    "REELSERVE_HEARTBEAT_S": "0.5",
    "REELSERVE_REAP_INTERVAL_S": "0.5",
    "REELSERVE_POLL_INTERVAL_S": "0.2",
}


def wait_until(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy; fail loudly at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"after {timeout:.0f} s: {what}")
        time.sleep(every)


class Worker:
    """A `reelserve worker` process on the data dir; kill -9, SIGSTOP and SIGCONT it."""

    def __init__(self, data_dir: Path, log: Path, env: dict[str, str], count: int = 1) -> None:
        self.data_dir, self.log, self.count = data_dir, log, count
        self.env = {**os.environ, "REELSERVE_LOG_LEVEL": "WARNING", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        command = [*REELSERVE, "worker", "--data-dir", str(self.data_dir)]
        command += ["--count", str(self.count)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def lease_prefix(self) -> str:
        """How this process names itself in a task's lease (worker.WorkerPool)."""
        return f"{socket.gethostname()}:{self.pid}:"

    @property
    def stopped(self) -> bool:
        """The process is stopped (SIGSTOP): state T in /proc/<pid>/stat."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        return stat[stat.rindex(")") + 2] in "Tt"

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None and self.process.poll() is None, "worker is not running"
        self.process.send_signal(signum)

    def kill(self) -> None:
        kill_9(self.process)

    def stop(self) -> None:
        terminate(self.process)


class Api:
    """The endpoints the drills use, through one API key."""

    def __init__(self, url: str, secret: str, timeout: float = 30) -> None:
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=timeout
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def create(self, body: dict[str, Any]) -> str:
        answer = self.http.post("/v1/video_generation", json=body).json()
        assert answer["base_resp"]["status_code"] == 0, answer
        return str(answer["task_id"])

    def query(self, task_id: str) -> dict[str, Any]:
        answer = self.http.get("/v1/query/video_generation", params={"task_id": task_id})
        return answer.json()  # type: ignore[no-any-return]

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every task of the key (GET /v1/tasks, all pages), by id."""
        found: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = self.http.get("/v1/tasks", params=params).json()
            found.update({view["task_id"]: view for view in page["tasks"]})
            cursor = page["next_cursor"]
            if not cursor:
                return found

    def download(self, file_id: str) -> bytes:
        answer = self.http.get("/v1/files/retrieve", params={"file_id": file_id}).json()
        video = self.http.get(answer["file"]["download_url"])
        video.raise_for_status()
        return video.content


@dataclass(frozen=True, slots=True)
class Clip:
    frames: int
    width: int
    height: int
    sha256: str


def inspect_mp4(data: bytes) -> Clip:
    """Decode every frame: a truncated or corrupt file fails here, not just a bad header."""
    with av.open(io.BytesIO(data), mode="r") as media:
        stream = media.streams.video[0]
        frames = sum(1 for _ in media.decode(stream))
        width, height = stream.codec_context.width, stream.codec_context.height
    return Clip(frames=frames, width=width, height=height, sha256=hashlib.sha256(data).hexdigest())


class Store:
    """A read-only look at the SQLite database and the files under the data dir: what a
    crash left behind that the API does not show (file rows, leases, reservations, objects)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        uri = f"file:{self.data_dir / 'reelserve.db'}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            yield conn
        finally:
            conn.close()

    def _rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with self._db() as conn:
            return conn.execute(sql, args).fetchall()

    def leased(self, lease_prefix: str) -> dict[str, int]:
        """Running tasks whose lease names ``lease_prefix``: task id -> attempt."""
        rows = self._rows(
            "SELECT id, attempts FROM tasks WHERE status IN ('preparing', 'processing') "
            "AND lease_owner LIKE ? || '%'",
            lease_prefix,
        )
        return {task_id: attempts for task_id, attempts in rows}

    def file_rows(self) -> dict[str, list[str]]:
        """Task id -> storage keys of its visible result rows."""
        found: dict[str, list[str]] = {}
        for task_id, key in self._rows("SELECT task_id, storage_key FROM files"):
            found.setdefault(task_id, []).append(key)
        return found

    def pending_reservations(self) -> int:
        return int(
            self._rows("SELECT count(*) FROM idempotency_keys WHERE state = 'pending'")[0][0]
        )

    def outputs(self, task_id: str) -> list[str]:
        """Storage keys of the objects under the task's output folder (finished or staged)."""
        folder = self.data_dir / "files" / "outputs" / task_id
        if not folder.is_dir():
            return []
        return sorted(f"outputs/{task_id}/{path.name}" for path in folder.iterdir())


def png_data_url(width: int, height: int, seed: int = 0) -> str:
    """A structured PNG first frame as a data URL (intake decodes and re-encodes it)."""
    image = Image.new("RGB", (width, height), (40 + seed % 200, 90, 160))
    for x in range(0, width, 16):
        image.paste((250, 250, 250), (x, 0, x + 4, height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


LONG_FRAMES = 250  # long_clip(10)


def long_clip(duration: int) -> dict[str, Any]:
    """768P text-to-video, 150 or 250 frames at 1366x768: kills land mid-render."""
    return {
        "model": "MiniMax-Hailuo-02",
        "prompt": "harbour [Truck left]",
        "resolution": "768P",
        "duration": duration,
    }


# The cheapest render the catalog allows (512P needs image-to-video), and a static camera:
# 150 frames at 910x512, about 0.7 s on the 2-core CI box.
SMALL_CLIP = {"model": "MiniMax-Hailuo-02", "prompt": "pier [Static shot]", "resolution": "512P"}
SMALL_CLIP |= {"first_frame_image": png_data_url(640, 360)}
SMALL_SHAPE = (150, 910, 512)


@contextmanager
def workdir(root: Path | None) -> Iterator[Path]:
    """``root`` (pytest's tmp_path, kept for a look after a failure) or a temp dir."""
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="reelserve-drill-") as temp:
        yield Path(temp)
