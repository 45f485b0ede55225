"""Crash drills on the server (issue 4), against real `reelserve` processes in a temp dir.

b. kill -9 the server during creates with Idempotency-Key → exactly one task per key
d. kill -9 server and workers over a backlog of tasks     → all finish after the restart
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.audit import Watcher, audit
from tests.e2e.harness import (
    FAST_LEASE,
    SMALL_CLIP,
    SMALL_SHAPE,
    Api,
    Store,
    Worker,
    png_data_url,
    wait_until,
    workdir,
)
from tests.e2e.server import Server, create_key

# --- b. server kill -9 during idempotent creates --------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerKillResult:
    keys: int
    clients: int
    kills: int
    kills_mid_request: int  # a create was in flight when the server died
    cut_requests: int  # creates the kill cut off mid-request (no answer), then retried
    refused_connections: int  # retries that found the server down
    conflicts: int  # 409 answers (key in use by a request still in progress), retried
    longest_409_s: float  # the longest a key kept answering 409
    tasks: int  # tasks the API key owns at the end
    keys_without_task: int  # keys whose task id is not among them
    keys_with_two_ids: int  # keys whose answers (every retry and a late replay) disagree
    wall_s: float

    def summary(self) -> list[object]:
        size = f"{self.keys} Idempotency-Keys, {self.clients} clients"
        faults = f"{self.kills} × kill -9 of the server ({self.kills_mid_request} mid-request)"
        return [
            size,
            faults,
            self.keys_without_task,
            self.tasks - self.keys + self.keys_with_two_ids,
        ]


class _Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cut = self.refused = self.conflicts = self.in_flight = 0
        self.longest_409 = 0.0
        self.ids: dict[str, list[str]] = {}

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)


def _create_until_done(
    http: httpx.Client, key: str, body: bytes, tally: _Tally, deadline: float
) -> str:
    """What a careful client does: send the same bytes with the same key until it has an id."""
    first_409: float | None = None
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        tally.add(in_flight=1)
        try:
            answer = http.post("/v1/video_generation", content=body, headers=headers)
        except httpx.ConnectError:
            tally.add(refused=1)
            time.sleep(0.05)
            continue
        except httpx.TransportError:  # the server died with this request: no answer
            tally.add(cut=1)
            continue
        finally:
            tally.add(in_flight=-1)
        if answer.status_code == 409:
            first_409 = first_409 or time.monotonic()
            tally.add(conflicts=1)
            time.sleep(0.1)
            continue
        answer.raise_for_status()
        payload = answer.json()
        assert payload["base_resp"]["status_code"] == 0, payload
        task_id = str(payload["task_id"])
        with tally.lock:
            if first_409 is not None:
                tally.longest_409 = max(tally.longest_409, time.monotonic() - first_409)
            tally.ids.setdefault(key, []).append(task_id)
        return task_id
    raise TimeoutError(f"key {key!r} never got a task id")


def _body(index: int) -> bytes:
    """Every other create carries a first frame: image intake makes the create slow."""
    body: dict[str, Any] = {"model": "MiniMax-Hailuo-02", "prompt": f"key {index} [Zoom in]"}
    if index % 2:
        body |= {"resolution": "512P", "first_frame_image": png_data_url(1280, 720, index)}
    return json.dumps(body).encode()


def server_kill(
    keys: int = 20, kills: int = 4, clients: int = 4, seed: int = 2, root: Path | None = None
) -> ServerKillResult:
    rng = random.Random(seed)
    started = time.monotonic()
    bodies = {f"drill-{seed}-{i}": _body(i) for i in range(keys)}
    todo: queue.Queue[str | None] = queue.Queue()
    tally = _Tally()
    deadline = time.monotonic() + 240
    with workdir(root) as base, ExitStack() as stack:
        data = base / "data"
        server = Server(data, REELSERVE_WORKERS="0").start()
        stack.callback(lambda: server.stop())
        secret = create_key(data)
        auth = {"Authorization": f"Bearer {secret}"}

        def client() -> None:
            with httpx.Client(base_url=server.url, headers=auth, timeout=10) as http:
                while (key := todo.get()) is not None:
                    _create_until_done(http, key, bodies[key], tally, deadline)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        waiting, per_life = list(bodies), -(-keys // (kills + 1))
        mid_request = 0
        for _ in range(kills):  # each server life gets a burst of new keys and dies in it
            for key in waiting[:per_life]:
                todo.put(key)
            del waiting[:per_life]
            busy_by = time.monotonic() + 2.0  # aim the kill at a create in flight
            while tally.in_flight == 0 and time.monotonic() < busy_by:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
            mid_request += tally.in_flight > 0
            server.kill()
            server = Server(data, port=server.port, REELSERVE_WORKERS="0").start()
        for item in [*waiting, *[None] * clients]:
            todo.put(item)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert len(tally.ids) == keys, f"{keys - len(tally.ids)} keys got no task id"
        with httpx.Client(base_url=server.url, headers=auth, timeout=10) as http:
            for key, body in bodies.items():  # a late retry must replay the same task
                _create_until_done(http, key, body, tally, deadline)
        with Api(server.url, secret) as api:
            owned = api.tasks()
    return ServerKillResult(
        keys=keys,
        clients=clients,
        kills=kills,
        kills_mid_request=mid_request,
        cut_requests=tally.cut,
        refused_connections=tally.refused,
        conflicts=tally.conflicts,
        longest_409_s=round(tally.longest_409, 2),
        tasks=len(owned),
        keys_without_task=sum(ids[0] not in owned for ids in tally.ids.values()),
        keys_with_two_ids=sum(len(set(ids)) != 1 for ids in tally.ids.values()),
        wall_s=round(time.monotonic() - started, 1),
    )


# --- d. backlog over a kill -9 --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BacklogResult:
    tasks: int
    workers: int
    running_at_kill: int  # tasks a worker held when everything was killed
    lost: int
    duplicates: int
    bad_videos: int
    reruns: int
    drain_s: float  # restart → every task ended
    tasks_per_s: float
    wall_s: float

    def summary(self) -> list[object]:
        size = f"{self.tasks} queued tasks, then {self.workers} workers"
        faults = f"kill -9 of server and worker ({self.running_at_kill} running)"
        return [size, faults, self.lost, self.duplicates]


def backlog(
    tasks: int = 100, workers: int = 2, seed: int = 4, root: Path | None = None
) -> BacklogResult:
    rng = random.Random(seed)
    started = time.monotonic()
    with workdir(root) as base, ExitStack() as stack:
        data = base / "data"
        first = Server(data, None, REELSERVE_WORKERS="0", **FAST_LEASE).start()
        stack.callback(first.stop)
        store, secret = Store(data), create_key(data)
        with Api(first.url, secret) as client:
            ids = [client.create(SMALL_CLIP) for _ in range(tasks)]
        # Workers start on the backlog, so that the crash also catches tasks mid-render.
        helper = Worker(data, base / "helper.log", FAST_LEASE, count=workers).start()
        stack.callback(helper.stop)
        wait_until(lambda: store.leased(helper.lease_prefix), 60, "the helper claimed a task")
        time.sleep(rng.uniform(0.1, 1.0))
        first.kill()
        helper.kill()
        running = len(store.leased(""))
        restarted = time.monotonic()
        second = Server(data, port=first.port, REELSERVE_WORKERS=str(workers), **FAST_LEASE)
        stack.callback(second.stop)
        second.start()
        client = stack.enter_context(Api(second.url, secret))
        watcher = stack.enter_context(Watcher(second.url, secret, ids, every=0.25))
        wait_until(watcher.all_terminal, 60 + 5 * tasks, "the backlog drained", every=0.25)
        drain = time.monotonic() - restarted
        watcher.stop()
        found = audit(client, store, watcher, ids, SMALL_SHAPE)
    return BacklogResult(
        tasks=tasks,
        workers=workers,
        running_at_kill=running,
        lost=found.lost,
        duplicates=found.duplicates,
        bad_videos=found.bad_videos,
        reruns=found.reruns,
        drain_s=round(drain, 1),
        tasks_per_s=round(tasks / drain, 2),
        wall_s=round(time.monotonic() - started, 1),
    )
