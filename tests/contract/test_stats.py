"""The read-side contracts: TaskStats (ETAs, metrics), FileCatalog and Health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.contract.helpers import LEASE, T0, make_task, success

from reelserve.domain.deliveries import AttemptRecord
from reelserve.domain.stats import FinishedTask
from reelserve.domain.tasks import CANCELLED, TaskStatus

S = TaskStatus


def _succeed(stores: Any, task_id: str, at: Any, model: str = "T2V-01") -> None:
    stores.repository.add(make_task(task_id, model=model, callback_url="https://e.com/h"))
    task = stores.queue.claim("w", at, LEASE)
    stores.queue.transition(task_id, task.lease.token, at, S.PROCESSING)
    done = at + timedelta(seconds=int(task_id))
    stores.queue.transition(
        task_id, task.lease.token, done, S.SUCCEEDED, result=success(task_id, f"f{task_id}")
    )


def test_durations_counts_and_finished_tasks(stores: Any) -> None:
    assert stores.stats.counts().get(S.QUEUED, 0) == 0 and stores.stats.finished_since(None) == []
    _succeed(stores, "4", T0)
    _succeed(stores, "6", T0 + timedelta(seconds=10))
    _succeed(stores, "9", T0, model="I2V-01")
    stores.repository.add(make_task("20"))
    stores.repository.add(make_task("21"))
    stores.repository.request_cancel("21", "k1", T0 + timedelta(seconds=30))
    assert sorted(stores.stats.recent_durations("T2V-01", 10)) == [4.0, 6.0]
    assert stores.stats.recent_durations("T2V-01", 1) == [6.0]  # the latest
    assert {s: n for s, n in stores.stats.counts().items() if n} == {
        S.SUCCEEDED: 3,
        S.QUEUED: 1,
        S.CANCELLED: 1,
    }
    ended = stores.stats.finished_since(None)
    assert [(f.status, f.finished_at - T0) for f in ended] == [
        (S.SUCCEEDED, timedelta(seconds=4)),
        (S.SUCCEEDED, timedelta(seconds=9)),
        (S.SUCCEEDED, timedelta(seconds=16)),
        (S.CANCELLED, timedelta(seconds=30)),
    ]
    assert ended[0] == FinishedTask(
        model="T2V-01", status=S.SUCCEEDED, created_at=T0, started_at=T0,
        finished_at=T0 + timedelta(seconds=4),
    )  # fmt: skip
    assert len(stores.stats.finished_since(T0 + timedelta(seconds=9))) == 2


def test_delivery_outcomes_count_every_attempt(stores: Any) -> None:
    _succeed(stores, "4", T0)
    for outcome in ("retry", "delivered"):
        claimed = stores.outbox.claim(T0 + timedelta(hours=1), LEASE)
        attempt = AttemptRecord(
            delivery_id=claimed.id, attempt=claimed.attempt, at=T0, http_status=200,
            outcome=outcome, duration_ms=1, error="",
        )  # fmt: skip
        stores.outbox.record(claimed, attempt, T0)
    assert stores.stats.delivery_outcomes() == {"retry": 1, "delivered": 1}


def test_the_file_catalog_answers_owners_only(stores: Any) -> None:
    _succeed(stores, "4", T0)
    record = stores.catalog.get("f4")
    assert record is not None and record.task_id == "4" and record.bytes == 10
    assert stores.catalog.get("f4", "k1") == record
    assert stores.catalog.get("f4", "k2") is None and stores.catalog.get("nope") is None
    assert CANCELLED.kind.value == "cancelled"


def test_a_working_store_is_healthy(stores: Any) -> None:
    assert stores.health.problem() is None
