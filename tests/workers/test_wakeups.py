"""Wake-ups reach an idle worker in another process at once: Unix datagram sockets beside the
SQLite database, LISTEN/NOTIFY on PostgreSQL; polling stays the backstop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelserve.adapters.db.engine import make_engine
from reelserve.adapters.wakeups import LocalWakeups
from reelserve.adapters.wakeups.postgres import PostgresWakeups
from reelserve.adapters.wakeups.unix import UnixSocketWakeups, wake_dir
from reelserve.bootstrap import build
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import TaskStatus
from reelserve.settings import Settings

WAITER = """
import sys
from pathlib import Path
from reelserve.adapters.wakeups.unix import UnixSocketWakeups
wakeups = UnixSocketWakeups(Path(sys.argv[1]))
print("first", wakeups.wait(0.01), flush=True)
print("woken", wakeups.wait(60), flush=True)
wakeups.close()
"""


def until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_local_wakeup_is_kept_for_the_next_wait() -> None:
    wakeups = LocalWakeups()
    wakeups.notify()
    assert wakeups.wait(5) is True
    assert wakeups.wait(0.01) is False


def test_a_datagram_wakes_a_process_waiting_on_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "wake"
    child = subprocess.Popen(
        [sys.executable, "-c", WAITER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "first False"
        until(lambda: folder.exists() and any(folder.iterdir()))
        sender = UnixSocketWakeups(folder)
        sender.notify()
        assert child.stdout.readline().strip() == "woken True"  # not after its 60 s timeout
        sender.close()
    finally:
        child.kill()
        child.wait()


def test_a_dead_process_socket_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "wake"
    child = subprocess.Popen(
        [sys.executable, "-c", WAITER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "first False"
    child.kill()  # dies without cleaning up
    child.wait()
    (stale,) = list(folder.iterdir())
    sender = UnixSocketWakeups(folder)
    sender.notify()
    sender.close()
    assert not stale.exists()


def test_a_long_data_dir_gets_a_short_socket_folder(tmp_path: Path) -> None:
    long = tmp_path / ("x" * 120)
    folder = wake_dir(long)
    assert len(str(folder)) < 80 and folder == wake_dir(long)
    short = Path(tempfile.mkdtemp(prefix="rs-"))  # pytest's own tmp paths can be long already
    try:
        assert wake_dir(short) == short.resolve() / "wake"
    finally:
        shutil.rmtree(short)


def test_listen_notify_wakes_a_waiter_through_postgres(postgres_url: str) -> None:
    listener_db, sender_db = create_engine(postgres_url), create_engine(postgres_url)
    listener, sender = PostgresWakeups(listener_db), PostgresWakeups(sender_db)
    try:
        assert listener.wait(30) is True  # the first wake-up says: listening now, look
        sender.notify()
        assert listener.wait(60) is True
        with sender_db.connect() as conn:
            listening = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
            ).scalar_one()
        assert listening == 1
    finally:
        listener.close()
        sender.close()
        listener_db.dispose()
        sender_db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(data_dir=tmp_path / "data", poll_interval_s=600.0, lease_s=5)
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = settings.model_copy(update={"database_url": url})
    yield settings


def test_an_idle_worker_process_takes_a_new_task_without_polling(backend: Settings) -> None:
    """The worker polls every 600 s: only the wake-up can bring it the task within the test."""
    container = build(backend)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSERVE_")}
    env.update(
        REELSERVE_DATA_DIR=str(backend.data_dir),
        REELSERVE_POLL_INTERVAL_S="600",
        REELSERVE_DATABASE_URL=backend.database_url or "",
    )
    if not backend.database_url:
        del env["REELSERVE_DATABASE_URL"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "reelserve.cli", "worker", "--models", "T2V-01"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        until(lambda: _listening(container, backend), timeout=90)
        owner = container.keys.create("k").key
        task = container.tasks.submit(owner, GenerationRequest(model="T2V-01", prompt="a fox"))
        until(lambda: _status(container, task.id) is TaskStatus.SUCCEEDED, timeout=120)
    finally:
        worker.terminate()
        worker.wait(30)
        container.close()


def _status(container: object, task_id: str) -> TaskStatus | None:
    task = container.repository.get(task_id)  # type: ignore[attr-defined]
    return task.status if task else None


def _listening(container: object, settings: Settings) -> bool:
    """The worker has made its first (empty) claim and now waits for a wake-up."""
    if not settings.database_url:
        folder = wake_dir(settings.data_dir)
        return folder.exists() and any(folder.iterdir())
    database = make_engine(settings.database_url)  # the API's container holds no engine
    try:
        with database.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
            ).scalar_one()
    finally:
        database.dispose()
    return bool(count)
