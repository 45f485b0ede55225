"""The TaskStore contract on SQLite: atomic claims, lease fencing, reaping, cancel."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.outbox import SqlOutbox
from reelserve.adapters.db.store import SqlTaskStore
from reelserve.adapters.db.tables import webhook_deliveries
from reelserve.domain.files import FileRecord
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import FailureKind, Phase, Progress, Task, TaskStatus
from reelserve.ports import ReapResult, RenderedVideo

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    built = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(built)
    return built


@pytest.fixture
def store(engine: Engine) -> SqlTaskStore:
    return SqlTaskStore(engine)


def make_task(
    task_id: str, owner: str = "k1", created: datetime = T0, max_attempts: int = 3
) -> Task:
    return Task(
        id=task_id,
        owner_key_id=owner,
        model="MiniMax-Hailuo-02",
        requested_model="MiniMax-Hailuo-02",
        mode=Mode.T2V,
        prompt="p",
        camera_prompt="p",
        prompt_optimizer=True,
        duration=6,
        resolution="768P",
        width=1366,
        height=768,
        fps=25,
        frame_count=150,
        aigc_watermark=False,
        seed=1,
        created_at=created,
        updated_at=created,
        max_attempts=max_attempts,
    )


def video() -> RenderedVideo:
    return RenderedVideo(path=Path("x.mp4"), width=1366, height=768, fps=25, frame_count=150)


def record(task_id: str, file_id: str = "77") -> FileRecord:
    return FileRecord(
        id=file_id,
        owner_key_id="k1",
        task_id=task_id,
        storage_key=f"outputs/{task_id}/1.mp4",
        filename="output.mp4",
        purpose="video_generation",
        bytes=10,
        created_at=T0,
    )


def test_claims_take_the_oldest_first_and_each_task_once(store: SqlTaskStore) -> None:
    for i in range(40):
        store.add(make_task(f"{1000 + i}", created=T0 + timedelta(seconds=i)))
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while (task := store.claim(name, T0, LEASE)) is not None:
            with lock:
                claimed.append(task.id)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [f"{1000 + i}" for i in range(40)]
    assert len(set(claimed)) == 40


def test_a_claim_sets_a_lease_and_counts_the_attempt(store: SqlTaskStore) -> None:
    store.add(make_task("1"))
    task = store.claim("w", T0, LEASE)
    assert task is not None and task.lease is not None
    assert (task.status, task.attempts, task.lease.owner) == (TaskStatus.PREPARING, 1, "w")
    assert task.lease.expires_at == T0 + LEASE
    assert store.claim("w2", T0, LEASE) is None


def test_only_the_lease_holder_records_a_result(store: SqlTaskStore) -> None:
    store.add(make_task("1"))
    stale = store.claim("old", T0, LEASE)
    assert stale is not None and stale.lease is not None
    assert store.reap(T0 + LEASE + timedelta(seconds=1)).requeued == ("1",)
    fresh = store.claim("new", T0 + LEASE * 2, LEASE)
    assert fresh is not None and fresh.lease is not None and fresh.attempts == 2
    assert not store.start_processing("1", stale.lease.token, T0)
    assert store.start_processing("1", fresh.lease.token, T0)
    assert not store.complete(
        "1", stale.lease.token, T0, file=record("1"), cost=Decimal("1"), video=video()
    )
    assert not store.fail(
        "1", stale.lease.token, T0, code=1000, message="x", kind=FailureKind.ENGINE
    )
    assert not store.heartbeat("1", stale.lease.token, T0, LEASE).alive
    assert store.complete(
        "1", fresh.lease.token, T0, file=record("1"), cost=Decimal("0.28"), video=video()
    )
    done = store.get("1")
    assert done is not None and done.status is TaskStatus.SUCCEEDED and done.file_id == "77"
    assert done.cost_usd == Decimal("0.28") and done.lease is None
    assert store.get_file("77", "k1") is not None
    assert store.get_file("77", "someone-else") is None


def test_heartbeats_extend_the_lease_and_carry_progress_and_cancel(store: SqlTaskStore) -> None:
    store.add(make_task("1"))
    task = store.claim("w", T0, LEASE)
    assert task is not None and task.lease is not None
    beat = store.heartbeat(
        "1",
        task.lease.token,
        T0 + timedelta(seconds=20),
        LEASE,
        Progress(phase=Phase.RENDERING, step=5, total=150),
    )
    assert beat.alive and not beat.cancel_requested
    assert store.reap(T0 + LEASE + timedelta(seconds=1)).requeued == ()  # renewed
    saved = store.get("1")
    assert saved is not None and saved.progress == Progress(
        phase=Phase.RENDERING, step=5, total=150
    )
    store.request_cancel("1", "k1", T0)
    assert store.heartbeat("1", task.lease.token, T0, LEASE).cancel_requested


def test_the_reaper_fails_a_task_out_of_attempts(store: SqlTaskStore) -> None:
    store.add(make_task("1", max_attempts=2))
    now = T0
    for _ in range(2):
        assert store.claim("w", now, LEASE) is not None
        now += LEASE + timedelta(seconds=1)
        result = store.reap(now)
    assert result.failed == ("1",)
    failed = store.get("1")
    assert failed is not None and failed.status is TaskStatus.FAILED
    assert failed.error_code == 1000 and failed.failure_kind is FailureKind.LEASE


@pytest.mark.parametrize("max_attempts", [3, 1])
def test_the_reaper_cancels_a_lost_task_whose_owner_asked_to_stop_it(
    store: SqlTaskStore, engine: Engine, max_attempts: int
) -> None:
    """Not requeued (nor failed when out of attempts): cancelled, as a cancel of a queued task."""
    hook = "https://example.com/hook"
    store.add(replace(make_task("1", max_attempts=max_attempts), callback_url=hook))
    store.add(replace(make_task("2", created=T0 + timedelta(seconds=1)), callback_url=hook))
    running = store.claim("w", T0, LEASE)
    assert running is not None and running.lease is not None
    assert store.start_processing("1", running.lease.token, T0)
    flagged = store.request_cancel("1", "k1", T0)
    assert flagged is not None and flagged.cancel_requested
    assert flagged.status is TaskStatus.PROCESSING  # its worker would stop it, had it not died
    queued = store.request_cancel("2", "k1", T0)  # the reference: an ordinary cancel

    later = T0 + LEASE + timedelta(seconds=1)
    result = store.reap(later)
    assert (result.cancelled, result.requeued, result.failed) == (("1",), (), ())
    reaped = store.get("1")
    assert reaped is not None and queued is not None
    assert reaped.status is TaskStatus.CANCELLED and reaped.lease is None
    assert (reaped.error_code, reaped.error_message, reaped.failure_kind) == (
        queued.error_code,
        queued.error_message,
        queued.failure_kind,
    )
    assert reaped.finished_at == later and reaped.cost_usd == 0
    assert store.claim("w2", later, LEASE) is None
    assert store.reap(later + LEASE * 2) == ReapResult(requeued=(), failed=(), cancelled=())

    pushes = {d.event: d.state for d in SqlOutbox(engine).deliveries("1")}
    assert pushes == {"processing": "pending", "failed": "pending"}  # committed with the change
    with engine.connect() as conn:
        bodies = dict(
            conn.execute(
                select(webhook_deliveries.c.task_id, webhook_deliveries.c.body).where(
                    webhook_deliveries.c.event == "failed"
                )
            ).all()
        )
    reaped_push, cancel_push = (json.loads(bodies[t]) for t in ("1", "2"))
    assert reaped_push["status"] == "failed"
    assert reaped_push["base_resp"] == cancel_push["base_resp"]
    assert reaped_push["base_resp"]["status_msg"] == queued.error_message


def test_the_reaper_still_requeues_a_lost_task_nobody_cancelled(store: SqlTaskStore) -> None:
    store.add(make_task("1"))
    assert store.claim("w", T0, LEASE) is not None
    result = store.reap(T0 + LEASE + timedelta(seconds=1))
    assert (result.requeued, result.cancelled) == (("1",), ())


def test_cancel_stops_a_queued_task_at_once_and_is_scoped_to_its_owner(store: SqlTaskStore) -> None:
    store.add(make_task("1"))
    assert store.request_cancel("1", "not-the-owner", T0) is None
    cancelled = store.request_cancel("1", "k1", T0)
    assert cancelled is not None and cancelled.status is TaskStatus.CANCELLED
    assert store.claim("w", T0, LEASE) is None


def test_list_pages_newest_first_and_queue_positions(store: SqlTaskStore) -> None:
    for i in range(5):
        store.add(make_task(f"{10 + i}", created=T0 + timedelta(seconds=i)))
    store.add(make_task("99", owner="k2"))
    first = store.list("k1", status=None, limit=3, cursor=None)
    assert [t.id for t in first.tasks] == ["14", "13", "12"] and first.next_cursor == "12"
    second = store.list("k1", status=None, limit=3, cursor=first.next_cursor)
    assert [t.id for t in second.tasks] == ["11", "10"] and second.next_cursor is None
    assert [store.queue_position(t) for t in ("10", "12", "14")] == [0, 3, 5]
    assert store.queue_position("99") == 1  # same time as "10", later id
