"""Fault drills on PostgreSQL: a real `reelserve serve` and `reelserve worker` on a throwaway
server from tests/support/postgres.py, under a steady stream of creates.

`Load` sends creates at a fixed pace from a thread and keeps every answer with its time;
`Ledger` reads what the database and the file store hold afterwards (tasks, file rows, stored
objects, the key's balance), so a drill can check every task Success exactly once, no orphaned
object and no double charge.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.harness import FAST_LEASE, Worker, wait_until
from tests.e2e.server import REELSERVE, Server
from tests.support.postgres import PostgresServer, start_postgres

BODY = {
    "model": "MiniMax-Hailuo-02",
    "prompt": "a paper boat [Pan left]",
    "resolution": "768P",
    "duration": 6,
}
BALANCE = Decimal("1000")
ENDED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class Answer:
    sent: float  # time.monotonic()
    took: float  # seconds
    status: int  # HTTP status, 0: no answer
    code: int  # base_resp.status_code, -1: none
    message: str
    task_id: str


@dataclass
class Load:
    """Creates at ``every`` seconds' pace from one thread until stopped."""

    url: str
    secret: str
    every: float = 0.1
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.secret}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as http:
            while not self._stop.wait(self.every):
                self.answers.append(_create(http))

    @property
    def task_ids(self) -> list[str]:
        return [a.task_id for a in self.answers if a.task_id]

    def errors(self) -> list[Answer]:
        return [a for a in self.answers if not a.task_id]


def _create(http: httpx.Client) -> Answer:
    sent = time.monotonic()
    try:
        response = http.post("/v1/video_generation", json=BODY)
    except httpx.TransportError as error:
        return Answer(sent, time.monotonic() - sent, 0, -1, type(error).__name__, "")
    took = time.monotonic() - sent
    try:
        payload: dict[str, Any] = response.json()
    except ValueError:
        return Answer(sent, took, response.status_code, -1, response.text[:200], "")
    resp = payload.get("base_resp", {})
    code, message = int(resp.get("status_code", -1)), str(resp.get("status_msg", ""))
    task_id = str(payload.get("task_id") or "") if code == 0 else ""
    return Answer(sent, took, response.status_code, code, message, task_id)


def create_key(data_dir: Path, env: dict[str, str]) -> str:
    command = [*REELSERVE, "keys", "create", "--name", "drill", "--balance", str(BALANCE)]
    out = subprocess.run(
        [*command, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    return out.stdout.strip().splitlines()[-1]


class Ledger:
    """What the database and the file store hold, read directly (psycopg, the files folder)."""

    def __init__(self, server: PostgresServer, database_url: str, data_dir: Path) -> None:
        self._server, self._database = server, database_url.rsplit("/", 1)[-1]
        self._files = data_dir / "files"

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self._server.port, user="postgres", dbname=self._database
        ) as conn:
            return list(conn.execute(sql).fetchall())

    def statuses(self) -> dict[str, str]:
        return {str(i): str(s) for i, s in self._rows("SELECT id, status FROM tasks")}

    def file_rows(self) -> dict[str, int]:
        rows = self._rows("SELECT task_id, count(*) FROM files GROUP BY task_id")
        return {str(task): int(n) for task, n in rows}

    def objects(self) -> dict[str, int]:
        """Stored outputs per task (outputs/<task>/attempt-N.mp4)."""
        root = self._files / "outputs"
        if not root.exists():
            return {}
        return {d.name: len(list(d.iterdir())) for d in root.iterdir() if any(d.iterdir())}

    def charged(self) -> Decimal:
        (balance,) = self._rows("SELECT balance_usd FROM api_keys WHERE name = 'drill'")[0]
        return BALANCE - Decimal(balance)

    def cost_of_successes(self) -> Decimal:
        rows = self._rows(
            "SELECT coalesce(sum(cost_usd::numeric), 0) FROM tasks WHERE status = 'succeeded'"
        )
        return Decimal(rows[0][0])

    def scratch_left(self) -> list[Path]:
        """Files left in the workers' scratch folders (each executor keeps its folder)."""
        scratch = self._files / ".scratch"
        return [p for p in scratch.rglob("*") if p.is_file()] if scratch.exists() else []


@dataclass
class Deployment:
    postgres: PostgresServer
    database_url: str
    data_dir: Path
    env: dict[str, str]
    server: Server
    workers: list[Worker]
    secret: str

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.postgres, self.database_url, self.data_dir)

    def warm_up(self, timeout: float = 180) -> str:
        """One task through before the drill: the workers are up (they import and warm for
        seconds on a busy machine)."""
        headers = {"Authorization": f"Bearer {self.secret}"}
        with httpx.Client(base_url=self.server.url, headers=headers, timeout=10) as http:
            answer = _create(http)
        assert answer.task_id, answer
        self.wait_all_ended([answer.task_id], timeout)
        return answer.task_id

    def wait_all_ended(self, task_ids: list[str], timeout: float = 180) -> dict[str, str]:
        ledger = self.ledger

        def ended() -> dict[str, str] | None:
            statuses = ledger.statuses()
            done = all(statuses.get(t) in ENDED for t in task_ids)
            return statuses if done else None

        return wait_until(ended, timeout, "every created task ended", every=0.5)


@contextmanager
def deployment(root: Path, *, worker_processes: int = 1, threads: int = 2) -> Iterator[Deployment]:
    """PostgreSQL + one `serve` (no in-process workers) + worker processes, short leases."""
    postgres = start_postgres()
    workers: list[Worker] = []
    server: Server | None = None
    try:
        url = postgres.create_database()
        env = {**FAST_LEASE, "REELSERVE_DATABASE_URL": url, "REELSERVE_PREVIEW_PRESET": "ultrafast"}
        data = root / "data"
        server = Server(data, REELSERVE_WORKERS="0", **env).start()
        secret = create_key(data, env)
        for index in range(worker_processes):
            log = root / f"worker-{index}.log"
            workers.append(Worker(data, log, env, count=threads).start())
        yield Deployment(postgres, url, data, env, server, workers, secret)
    finally:
        for worker in workers:
            worker.stop()
        if server is not None:
            server.stop()
        postgres.destroy()
