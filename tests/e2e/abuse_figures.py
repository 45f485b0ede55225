"""The figures of the abuse drill (issue 16), each measured before and after in one run.

"Before" switches the defence off through its setting (items 3, 4, 5) or reproduces the old
code's behaviour (item 8: the shared pool of eight DNS threads); "after" is the default. Items
3 and 5 run real `reelserve serve` processes; items 4 and 8 run the real adapters and services
in this process against loopback servers (a DNS answer cannot be made to hang on demand, so
item 8's resolver is a test double).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpcore
import httpx
from tests.e2e.server import Server, create_key
from tests.load.hang import HangingServer
from tests.security.helpers import serving
from tests.webhooks.receiver import Receiver

from reelserve.adapters.net import HttpImageFetcher, parse_networks
from reelserve.adapters.net.lookups import Lookups
from reelserve.bootstrap import build
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tenancy import acting_for
from reelserve.services.delivery_pool import DeliveryPool
from reelserve.settings import Settings

LOOPBACK = "127.0.0.0/8"


@dataclass(frozen=True, slots=True)
class Row:
    item: str
    figure: str
    before: str
    after: str
    how: str  # how "before" was obtained


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


@contextmanager
def _server(root: Path, name: str, **env: str) -> Iterator[tuple[Server, str]]:
    data = root / name
    data.mkdir(parents=True)
    key = create_key(data)
    server = Server(data, REELSERVE_WORKERS="0", REELSERVE_ALLOW_NETWORKS=LOOPBACK, **env)
    server.start()
    try:
        yield server, key
    finally:
        server.stop()


# --- item 3 -----------------------------------------------------------------------------


def _health_with_hanging_creates(root: Path, name: str, creates: int, **env: str) -> float:
    """Seconds /healthz takes while ``creates`` creates wait on an image URL that hangs."""
    with HangingServer() as hanging, _server(root, name, **env) as (server, key):
        body = {"model": "I2V-01", "first_frame_image": f"{hanging.url}/frame.png"}
        headers = {"Authorization": f"Bearer {key}"}

        def create() -> None:
            httpx.post(f"{server.url}/v1/video_generation", json=body, headers=headers, timeout=60)

        with ThreadPoolExecutor(creates) as pool:
            for _ in range(creates):
                pool.submit(create)
            deadline = time.monotonic() + 20
            while hanging.connections < min(creates, 8) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.5)  # let every create reach the server
            took = _timed(lambda: httpx.get(f"{server.url}/healthz", timeout=60))
            hanging.close()  # the creates now fail at once
        return took


def hanging_creates(root: Path, creates: int = 60) -> Row:
    before = _health_with_hanging_creates(
        root, "creates-off", creates, REELSERVE_CREATE_THREADS="0"
    )
    after = _health_with_hanging_creates(root, "creates-on", creates)
    return Row(
        "3",
        f"/healthz latency with {creates} creates whose image URL hangs (fetch timeout 10 s)",
        f"{before:.2f} s",
        f"{after:.3f} s",
        "REELSERVE_CREATE_THREADS=0 (creates on the shared request threads)",
    )


# --- item 4 -----------------------------------------------------------------------------


def _b_push_delay(root: Path, name: str, pooled: bool, hanging_pushes: int) -> float:
    """Seconds from the start of delivery until key B's push arrives, while key A's receiver
    holds each of A's pushes for the whole push timeout (5 s)."""
    settings = Settings(data_dir=root / name, allow_networks=LOOPBACK, webhook_timeout_s=5.0)
    container = build(settings)
    faults = ["timeout"] * hanging_pushes
    with Receiver(faults, hang_s=settings.webhook_timeout_s + 1) as slow, Receiver() as quick:
        try:
            for owner_name, url, count in (("a", slow.url, hanging_pushes), ("b", quick.url, 1)):
                owner = container.keys.create(owner_name).key
                for _ in range(count):
                    request = GenerationRequest(model="T2V-01", prompt="x", callback_url=url)
                    task = container.tasks.submit(owner, request)
                    container.tasks.cancel(owner, task.id)  # leaves one push due
            started = time.perf_counter()
            pool = DeliveryPool(container.webhooks, threads=16, per_receiver=2, per_key=4)
            loop = threading.Thread(
                target=pool.dispatch if pooled else container.webhooks.deliver_due, daemon=True
            )
            loop.start()
            while not quick.pushes:
                time.sleep(0.01)
            took = time.perf_counter() - started
            loop.join(60)
            while pool.busy:
                time.sleep(0.05)
            pool.close()
            return took
        finally:
            container.close()


def webhook_delay(root: Path, hanging_pushes: int = 4) -> Row:
    before = _b_push_delay(root, "pushes-off", False, hanging_pushes)
    after = _b_push_delay(root, "pushes-on", True, hanging_pushes)
    return Row(
        "4",
        f"delay of key B's push while key A's receiver hangs on {hanging_pushes} pushes "
        "(push timeout 5 s)",
        f"{before:.2f} s",
        f"{after:.3f} s",
        "REELSERVE_WEBHOOK_CONCURRENCY=1 (one push at a time)",
    )


# --- item 5 -----------------------------------------------------------------------------


async def _streams_and_latency(server: Server, key: str, streams: int) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=streams + 20)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits) as http:
        ids = []
        for _ in range(streams):
            answer = await http.post(
                "/v1/video_generation", json={"model": "T2V-01", "prompt": "x"}
            )
            ids.append(answer.json()["task_id"])
        opened = 0
        stop = asyncio.Event()

        async def hold(task_id: str) -> None:
            nonlocal opened
            async with http.stream("GET", f"/v1/tasks/{task_id}/events", timeout=None) as answer:
                if answer.headers.get("content-type", "").startswith("text/event-stream"):
                    opened += 1
                    await stop.wait()

        holders = [asyncio.create_task(hold(i)) for i in ids]
        await asyncio.sleep(3.0)  # every stream open and polling
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            await http.get("/v1/query/video_generation", params={"task_id": ids[0]})
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)
        stop.set()
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        return opened, statistics.median(samples)


def _event_latency(root: Path, name: str, streams: int, **env: str) -> tuple[int, float]:
    with _server(root, name, **env) as (server, key):
        return asyncio.run(_streams_and_latency(server, key, streams))


def event_streams(root: Path, streams: int = 600) -> list[Row]:
    off = {"REELSERVE_EVENTS_SHARED": "false", "REELSERVE_EVENTS_MAX_STREAMS_PER_KEY": "0"}
    before = _event_latency(root, "streams-off", streams, **off)
    shared = _event_latency(
        root, "streams-shared", streams, REELSERVE_EVENTS_MAX_STREAMS_PER_KEY="0"
    )
    capped = _event_latency(root, "streams-capped", streams)
    figure = f"median GET /v1/query latency with {streams} event streams asked for by one key"
    return [
        Row(
            "5",
            figure + " (one loop, no cap)",
            f"{before[1] * 1000:.0f} ms ({before[0]} open)",
            f"{shared[1] * 1000:.0f} ms ({shared[0]} open)",
            "REELSERVE_EVENTS_SHARED=false, no cap (a poll loop per stream)",
        ),
        Row(
            "5",
            figure + " (default cap 16 per key)",
            f"{before[1] * 1000:.0f} ms ({before[0]} open)",
            f"{capped[1] * 1000:.0f} ms ({capped[0]} open, the rest 1002)",
            "as above",
        ),
    ]


# --- item 8 -----------------------------------------------------------------------------


class SharedPool:
    """The old lookup path reproduced: one pool of eight threads for the whole process, the
    caller's timeout counted from submission (so time spent queued counts)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(8)

    def resolve(
        self,
        resolve: Callable[[str, int], Sequence[str]],
        host: str,
        port: int,
        timeout: float | None,
    ) -> Sequence[str]:
        future = self._pool.submit(resolve, host, port)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host!r} timed out") from None


def _b_fetch(lookups: object, hanging: int) -> str:
    released = threading.Event()

    def dns(host: str, port: int) -> Sequence[str]:
        if host.startswith("hang-"):
            released.wait(30)
        return ["127.0.0.1"]

    fetcher = HttpImageFetcher(
        timeout_s=5.0,
        allow_networks=parse_networks(LOOPBACK),
        resolver=dns,
        lookups=lookups,  # type: ignore[arg-type]
    )
    with serving(["127.0.0.1"]) as (server,), ThreadPoolExecutor(hanging) as pool:

        def fetch(key: str, host: str) -> None:
            with acting_for(key):
                fetcher.fetch(f"http://{host}:{server.port}/", max_bytes=1 << 20)

        for n in range(hanging):
            pool.submit(fetch, "A", f"hang-{n}.example.test")
        time.sleep(0.3)
        started = time.perf_counter()
        try:
            fetch("B", "images.example.test")
            outcome = "ok"
        except Exception as error:  # the figure is the outcome
            outcome = "failed: " + str(error)[-40:]
        took = time.perf_counter() - started
        released.set()
    return f"{took:.3f} s, {outcome}"


def dns_lookups(hanging: int = 8) -> Row:
    return Row(
        "8",
        f"key B's image fetch while key A has {hanging} hanging DNS lookups (fetch timeout 5 s)",
        _b_fetch(SharedPool(), hanging),
        _b_fetch(Lookups(), hanging),
        "the old shared pool of 8 DNS threads, reproduced in the drill",
    )
