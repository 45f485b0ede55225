"""The OutboxStore contract: a neutral event per callback status, written with the status change;
claimed in order under a lease; attempts logged; redelivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.contract.helpers import LEASE, T0, make_key, make_task, success

from reelserve.domain.deliveries import AttemptRecord, ClaimedDelivery
from reelserve.domain.tasks import Failure, FailureKind, TaskStatus

HOOK = "https://example.com/hook"
S = TaskStatus


def _run_to_success(stores: Any, task_id: str = "1", **changes: Any) -> None:
    stores.repository.add(make_task(task_id, callback_url=HOOK, **changes))
    task = stores.queue.claim("w", T0, LEASE)
    assert stores.queue.transition(task_id, task.lease.token, T0, S.PROCESSING)
    assert stores.queue.transition(
        task_id, task.lease.token, T0, S.SUCCEEDED, result=success(task_id)
    )


def _attempt(claimed: ClaimedDelivery, outcome: str, status: int, at: Any = T0) -> AttemptRecord:
    return AttemptRecord(
        delivery_id=claimed.id,
        attempt=claimed.attempt,
        at=at,
        http_status=status,
        outcome=outcome,  # type: ignore[arg-type]
        duration_ms=3,
        error="" if outcome == "delivered" else f"HTTP {status}",
    )


def test_no_callback_url_no_events(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    task = stores.queue.claim("w", T0, LEASE)
    stores.queue.transition("1", task.lease.token, T0, S.PROCESSING)
    assert stores.outbox.deliveries("1") == []
    assert stores.outbox.claim(T0, LEASE) is None


def test_events_are_neutral_and_carry_the_end_fields_and_dialect(stores: Any) -> None:
    stores.keys.add(make_key("k1"))
    _run_to_success(stores, dialect="openai")
    first = stores.outbox.claim(T0, LEASE)
    assert first.id == "msg_1_processing" and first.url == HOOK and first.attempt == 1
    assert (first.event.status, first.event.dialect, first.event.file_id) == (
        S.PROCESSING,
        "openai",
        None,
    )
    assert first.secret == make_key("k1").webhook_secret
    assert stores.outbox.claim(T0, LEASE) is None  # success waits for processing
    assert stores.outbox.record(first, _attempt(first, "delivered", 204), None)
    second = stores.outbox.claim(T0, LEASE)
    assert second.id == "msg_1_success" and second.event.status is S.SUCCEEDED
    assert second.event.file_id == "77" and second.event.dialect == "openai"


def test_a_failure_event_carries_its_code_and_message(stores: Any) -> None:
    stores.repository.add(make_task("1", callback_url=HOOK))
    task = stores.queue.claim("w", T0, LEASE)
    failure = Failure(code=1026, message="sensitive", kind=FailureKind.ENGINE)
    stores.queue.transition("1", task.lease.token, T0, S.FAILED, result=failure)
    claimed = stores.outbox.claim(T0, LEASE)
    assert claimed.id == "msg_1_failed" and claimed.event.status is S.FAILED
    assert (claimed.event.error_code, claimed.event.error_message) == (1026, "sensitive")


def test_a_retry_waits_its_turn_and_a_lost_lease_does_not_settle(stores: Any) -> None:
    _run_to_success(stores)
    claimed = stores.outbox.claim(T0, LEASE)
    later = T0 + timedelta(seconds=5)
    assert stores.outbox.record(claimed, _attempt(claimed, "retry", 500), later)
    assert stores.outbox.claim(T0 + timedelta(seconds=4), LEASE) is None
    again = stores.outbox.claim(later, LEASE)
    assert again.id == claimed.id and again.attempt == 2
    # its lease expires; another sender takes it over; the first one's record only logs
    taken = stores.outbox.claim(later + LEASE + timedelta(seconds=1), LEASE)
    assert taken.attempt == 3
    assert not stores.outbox.record(again, _attempt(again, "delivered", 200, later), None)
    assert stores.outbox.record(taken, _attempt(taken, "gave_up", 410, later), None)
    (processing, success_) = stores.outbox.deliveries("1")
    assert (processing.state, processing.attempts, processing.next_at) == ("failed", 3, None)
    assert processing.last_http_status == 410
    assert [a.outcome for a in processing.log] == ["retry", "delivered", "gave_up"]
    assert success_.state == "pending" and success_.log == ()


def test_redelivery_makes_a_delivery_due_again_with_a_fresh_budget(stores: Any) -> None:
    _run_to_success(stores)
    first = stores.outbox.claim(T0, LEASE)
    stores.outbox.record(first, _attempt(first, "delivered", 200), None)
    second = stores.outbox.claim(T0, LEASE)
    stores.outbox.record(second, _attempt(second, "delivered", 200), None)
    assert stores.outbox.claim(T0, LEASE) is None
    later = T0 + timedelta(minutes=5)
    again = stores.outbox.redeliver("1", None, later)
    assert (again.id, again.state, again.attempts) == ("msg_1_success", "pending", 0)
    assert stores.outbox.claim(later, LEASE).id == "msg_1_success"
    assert stores.outbox.redeliver("1", "msg_1_nothing", later) is None
    assert stores.outbox.redeliver("2", None, later) is None


def test_a_requeued_task_keeps_its_first_processing_event(stores: Any) -> None:
    stores.repository.add(make_task("1", callback_url=HOOK))
    task = stores.queue.claim("w", T0, LEASE)
    stores.queue.transition("1", task.lease.token, T0, S.PROCESSING)
    stores.queue.reap(T0 + LEASE + timedelta(seconds=1))
    again = stores.queue.claim("w", T0 + LEASE * 2, LEASE)
    stores.queue.transition("1", again.lease.token, T0 + LEASE * 2, S.PROCESSING)
    assert [d.id for d in stores.outbox.deliveries("1")] == ["msg_1_processing"]


def test_claim_skips_receivers_and_keys_at_their_bound(stores: Any) -> None:
    """Issue 16 item 4: the delivery pool skips a busy receiver's and a busy key's pushes."""
    stores.keys.add(make_key("k1"))
    stores.keys.add(make_key("k2"))
    for task_id, owner, url in (("1", "k1", HOOK), ("2", "k2", "https://other.example/hook")):
        stores.repository.add(make_task(task_id, owner, callback_url=url))
        task = stores.queue.claim("w", T0, LEASE)
        assert stores.queue.transition(task_id, task.lease.token, T0, S.PROCESSING)
    assert stores.outbox.claim(T0, LEASE, skip_urls={HOOK}, skip_owners={"k2"}) is None
    claimed = stores.outbox.claim(T0, LEASE, skip_urls={HOOK})
    assert claimed.task_id == "2" and claimed.owner_key_id == "k2"
    claimed = stores.outbox.claim(T0, LEASE, skip_owners={"k2"})
    assert claimed.task_id == "1" and claimed.owner_key_id == "k1"
