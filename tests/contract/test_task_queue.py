"""The TaskQueue contract: atomic claims (by model), lease fencing, heartbeats, reaping."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.contract.helpers import LEASE, T0, make_key, make_task, success

from reelserve.domain.tasks import (
    CANCELLED,
    LOST,
    Failure,
    FailureKind,
    Phase,
    Progress,
    ReapResult,
    TaskStatus,
)

S = TaskStatus


def test_claims_take_the_oldest_first_and_each_task_once(stores: Any) -> None:
    for i in range(40):
        stores.repository.add(make_task(f"{1000 + i}", created=T0 + timedelta(seconds=i)))
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while (task := stores.queue.claim(name, T0, LEASE)) is not None:
            with lock:
                claimed.append(task.id)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [f"{1000 + i}" for i in range(40)]
    assert len(set(claimed)) == 40


def test_a_single_claimer_takes_them_in_age_order(stores: Any) -> None:
    for i, created in enumerate([3, 1, 2]):
        stores.repository.add(make_task(f"{10 + i}", created=T0 + timedelta(seconds=created)))
    order = [stores.queue.claim("w", T0, LEASE).id for _ in range(3)]
    assert order == ["11", "12", "10"]


def test_a_claim_sets_a_lease_and_counts_the_attempt(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    task = stores.queue.claim("w", T0, LEASE)
    assert task is not None and task.lease is not None
    assert (task.status, task.attempts, task.lease.owner) == (S.PREPARING, 1, "w")
    assert task.lease.expires_at == T0 + LEASE and task.started_at == T0
    assert stores.queue.claim("w2", T0, LEASE) is None


def test_a_claim_takes_only_the_models_asked_for(stores: Any) -> None:
    stores.repository.add(make_task("1", model="MiniMax-Hailuo-02"))
    stores.repository.add(make_task("2", created=T0 + timedelta(seconds=1), model="T2V-01"))
    assert stores.queue.claim("w", T0, LEASE, models=[]) is None
    assert stores.queue.claim("w", T0, LEASE, models={"I2V-01"}) is None
    taken = stores.queue.claim("w", T0, LEASE, models=("T2V-01",))
    assert taken is not None and taken.id == "2"  # the older task is of another model
    rest = stores.queue.claim("w", T0, LEASE, models=None)
    assert rest is not None and rest.id == "1"


def test_only_the_lease_holder_records_a_result(stores: Any) -> None:
    queue = stores.queue
    stores.keys.add(make_key("k1", balance_usd=Decimal("5")))
    stores.repository.add(make_task("1", cost_usd=Decimal("0.28")))
    stale = queue.claim("old", T0, LEASE)
    assert queue.reap(T0 + LEASE + timedelta(seconds=1)).requeued == ("1",)
    fresh = queue.claim("new", T0 + LEASE * 2, LEASE)
    assert fresh is not None and fresh.attempts == 2
    old, new = stale.lease.token, fresh.lease.token
    assert not queue.transition("1", old, T0, S.PROCESSING)
    assert queue.transition("1", new, T0, S.PROCESSING)
    assert not queue.transition("1", old, T0, S.SUCCEEDED, result=success("1"))
    failure = Failure(code=1000, message="x", kind=FailureKind.ENGINE)
    assert not queue.transition("1", old, T0, S.FAILED, result=failure)
    assert not queue.heartbeat("1", old, T0, LEASE).alive
    assert queue.transition("1", new, T0, S.SUCCEEDED, result=success("1"))
    done = stores.repository.get("1")
    assert done.status is S.SUCCEEDED and done.file_id == "77" and done.lease is None
    assert (done.width, done.height, done.progress.phase) == (1280, 720, Phase.DONE)
    assert done.cost_usd == Decimal("0.28")  # the price fixed at submit
    assert stores.keys.by_hash(make_key("k1").key_hash).balance_usd == Decimal("4.72")
    assert stores.catalog.get("77", "k1") is not None
    assert stores.catalog.get("77", "someone-else") is None
    assert not queue.transition("1", new, T0, S.FAILED, result=failure)  # it has ended


def test_a_success_sent_again_after_a_lost_answer_reads_as_written_and_charges_once(
    stores: Any,
) -> None:
    queue = stores.queue
    stores.keys.add(make_key("k1", balance_usd=Decimal("5")))
    stores.repository.add(make_task("1", cost_usd=Decimal("0.28")))
    token = queue.claim("w", T0, LEASE).lease.token
    assert queue.transition("1", token, T0, S.PROCESSING)
    assert queue.transition("1", token, T0, S.SUCCEEDED, result=success("1"))
    assert queue.transition("1", token, T0, S.SUCCEEDED, result=success("1"))  # the retry
    assert not queue.transition("1", token, T0, S.SUCCEEDED, result=success("1", file_id="78"))
    assert stores.keys.by_hash(make_key("k1").key_hash).balance_usd == Decimal("4.72")
    assert stores.catalog.get("78", "k1") is None


def test_a_transition_must_carry_what_its_target_records(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    task = stores.queue.claim("w", T0, LEASE)
    token = task.lease.token
    with pytest.raises(ValueError):
        stores.queue.transition("1", token, T0, S.SUCCEEDED)
    with pytest.raises(ValueError):
        stores.queue.transition("1", token, T0, S.FAILED, result=CANCELLED)
    with pytest.raises(ValueError):
        stores.queue.transition("1", token, T0, S.PROCESSING, result=LOST)
    assert stores.repository.get("1").status is S.PREPARING  # nothing was written


def test_a_failure_ends_the_task_uncharged(stores: Any) -> None:
    stores.repository.add(make_task("1", cost_usd=Decimal("0.5")))
    task = stores.queue.claim("w", T0, LEASE)
    failure = Failure(code=1026, message="sensitive prompt", kind=FailureKind.ENGINE)
    assert stores.queue.transition("1", task.lease.token, T0, S.FAILED, result=failure)
    ended = stores.repository.get("1")
    assert (ended.status, ended.error_code, ended.error_message) == (
        S.FAILED,
        1026,
        "sensitive prompt",
    )
    assert ended.failure_kind is FailureKind.ENGINE and ended.cost_usd == 0
    assert ended.finished_at == T0 and ended.lease is None


def test_heartbeats_extend_the_lease_and_carry_progress_and_cancel(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    task = stores.queue.claim("w", T0, LEASE)
    progress = Progress(phase=Phase.RENDERING, step=5, total=150)
    beat = stores.queue.heartbeat(
        "1", task.lease.token, T0 + timedelta(seconds=20), LEASE, progress
    )
    assert beat.alive and not beat.cancel_requested
    assert stores.queue.reap(T0 + LEASE + timedelta(seconds=1)).requeued == ()  # renewed
    assert stores.repository.get("1").progress == progress
    stores.repository.request_cancel("1", "k1", T0)
    assert stores.queue.heartbeat("1", task.lease.token, T0, LEASE).cancel_requested


def test_the_reaper_fails_a_task_out_of_attempts(stores: Any) -> None:
    stores.repository.add(make_task("1", max_attempts=2))
    now = T0
    for _ in range(2):
        assert stores.queue.claim("w", now, LEASE) is not None
        now += LEASE + timedelta(seconds=1)
        result = stores.queue.reap(now)
    assert result.failed == ("1",)
    failed = stores.repository.get("1")
    assert failed.status is S.FAILED and failed.lease is None
    assert (failed.error_code, failed.error_message) == (LOST.code, LOST.message)
    assert failed.failure_kind is FailureKind.LEASE


@pytest.mark.parametrize("max_attempts", [3, 1])
def test_the_reaper_cancels_a_lost_task_whose_owner_asked_to_stop_it(
    stores: Any, max_attempts: int
) -> None:
    """Not requeued (nor failed when out of attempts): cancelled, as a cancel of a queued task."""
    hook = "https://example.com/hook"
    stores.repository.add(make_task("1", max_attempts=max_attempts, callback_url=hook))
    stores.repository.add(make_task("2", created=T0 + timedelta(seconds=1), callback_url=hook))
    running = stores.queue.claim("w", T0, LEASE)
    assert stores.queue.transition("1", running.lease.token, T0, S.PROCESSING)
    flagged = stores.repository.request_cancel("1", "k1", T0)
    assert flagged.cancel_requested and flagged.status is S.PROCESSING
    queued = stores.repository.request_cancel("2", "k1", T0)  # the reference: an ordinary cancel

    later = T0 + LEASE + timedelta(seconds=1)
    result = stores.queue.reap(later)
    assert (result.cancelled, result.requeued, result.failed) == (("1",), (), ())
    reaped = stores.repository.get("1")
    assert reaped.status is S.CANCELLED and reaped.lease is None
    assert (reaped.error_code, reaped.error_message, reaped.failure_kind) == (
        queued.error_code,
        queued.error_message,
        queued.failure_kind,
    )
    assert reaped.finished_at == later and reaped.cost_usd == 0
    assert stores.queue.claim("w2", later, LEASE) is None
    assert stores.queue.reap(later + LEASE * 2) == ReapResult(requeued=(), failed=(), cancelled=())
    pushes = {d.event: d.state for d in stores.outbox.deliveries("1")}
    assert pushes == {"processing": "pending", "failed": "pending"}  # written with the change


def test_the_reaper_requeues_a_lost_task_nobody_cancelled(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    assert stores.queue.claim("w", T0, LEASE) is not None
    result = stores.queue.reap(T0 + LEASE + timedelta(seconds=1))
    assert (result.requeued, result.cancelled) == (("1",), ())
    again = stores.repository.get("1")
    assert again.status is S.QUEUED and again.lease is None and again.progress == Progress()
    assert replace(again, updated_at=T0).attempts == 1


def test_a_claim_queues_no_callback_so_it_can_run_as_one_statement() -> None:
    from reelserve.domain.deliveries import EVENTS

    assert S.PREPARING not in EVENTS  # SqlTaskQueue.claim runs in autocommit on PostgreSQL
