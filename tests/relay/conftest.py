"""Fixtures: a real MP4, the scripted upstream, and a reelserve container relaying to it
(SQLite, local files, worker threads and the upstream poller running)."""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reelserve.bootstrap import Container, build
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import Task
from reelserve.settings import Settings
from reelserve.worker import WorkerPool
from tests.relay.upstream_server import KEY, ScriptedUpstream

KEY_ENV = "RELAY_TEST_UPSTREAM_KEY"


def make_mp4(width: int = 160, height: int = 90, frames: int = 25, fps: int = 25) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as media:
        stream = media.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(frames):
            pixels = np.full((height, width, 3), (index * 9) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            media.mux(stream.encode(frame))
        media.mux(stream.encode())
    return buffer.getvalue()


@pytest.fixture(scope="session")
def mp4() -> bytes:
    return make_mp4()


@pytest.fixture
def upstream(mp4: bytes) -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(mp4) as server:
        yield server


def registry(
    path: Path,
    upstreams: dict[str, str],
    route: list[str],
    dialect: str = "minimax",
    **options: object,
) -> Path:
    lines = []
    for name, url in upstreams.items():
        lines += [
            f"[upstreams.{name}]",
            f'dialect = "{dialect}"',
            f'base_url = "{url}/gw"',
            f'api_key_env = "{KEY_ENV}"',
            *(
                f"{key} = {value!r}"
                for key, value in {
                    "poll_interval_s": 0.05,
                    "max_status_per_s": 200,
                    "timeout_s": 5,
                    **options,
                }.items()
            ),
        ]
    lines += ['[models."MiniMax-Hailuo-02"]', 'engine = "upstream"', f"upstream = {route!r}"]
    path.write_text("\n".join(lines).replace("'", '"') + "\n")
    return path


class Relaying:
    """A container whose MiniMax-Hailuo-02 is relayed, with its workers and pollers running."""

    def __init__(self, container: Container) -> None:
        self.container = container
        created = container.keys.create(f"relay-{secrets.token_hex(4)}")
        self.owner: ApiKey = created.key
        self.secret = created.secret
        self.pool = WorkerPool(container, 2)

    def submit(self, **fields: object) -> Task:
        request = GenerationRequest(model="MiniMax-Hailuo-02", **fields)  # type: ignore[arg-type]
        return self.container.tasks.submit(self.owner, request)

    def wait(
        self, task_id: str, timeout: float = 30, until: Callable[[Task], bool] | None = None
    ) -> Task:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.container.repository.get(task_id)
            assert task is not None
            if (until or (lambda t: t.status.terminal))(task):
                return task
            time.sleep(0.05)
        raise TimeoutError(f"task {task_id} still {task.status} after {timeout} s")


@pytest.fixture
def relaying(
    tmp_path: Path, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Relaying]]:
    monkeypatch.setenv(KEY_ENV, KEY)
    made: list[Relaying] = []

    def make(
        route: list[str] | None = None,
        extra: dict[str, str] | None = None,
        database_url: str | None = None,
        **options: object,
    ) -> Relaying:
        urls = {"fake": upstream.url, **(extra or {})}
        path = registry(tmp_path / "engines.toml", urls, route or ["fake"], **options)
        settings = Settings(
            data_dir=tmp_path / "data", engine_registry=path, allow_networks="127.0.0.0/8",
            lease_s=5, heartbeat_s=0.5, poll_interval_s=0.05, reap_interval_s=0.5,
        )  # fmt: skip
        relay = Relaying(build(settings))
        relay.pool.start()
        made.append(relay)
        return relay

    yield make
    for relay in made:
        relay.pool.stop()
        relay.container.close()
