"""The TaskRepository contract: add (with limits and idempotency), get, list, positions, cancel."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.contract.helpers import LEASE, T0, make_key, make_task

from reelserve.domain import camera
from reelserve.domain.errors import InsufficientBalance, RateLimited
from reelserve.domain.idempotency import IdempotencyClaim, IdempotencyConflict, IdempotencyState
from reelserve.domain.limits import KeyLimits
from reelserve.domain.tasks import CANCELLED, FailureKind, TaskStatus

CLAIM = IdempotencyClaim(owner_key_id="k1", key="order-7", fingerprint="f" * 64)


def test_a_task_reads_back_as_it_was_added_and_only_by_its_owner(stores: Any) -> None:
    task = make_task(
        "1",
        seed=2**63 - 1,
        warnings=("clipped", "snowman ☃"),
        callback_url="https://example.com/h",
        first_frame_key="inputs/1/first.png",
        cost_usd=Decimal("0.28"),
        dialect="openai",
    )
    stores.repository.add(task)
    assert stores.repository.get("1") == task
    assert stores.repository.get("1", "k1") == task
    assert stores.repository.get("1", "k2") is None
    assert stores.repository.get("2") is None


def test_list_pages_newest_first_and_queue_positions(stores: Any) -> None:
    repo = stores.repository
    for i in range(5):
        repo.add(make_task(f"{10 + i}", created=T0 + timedelta(seconds=i)))
    repo.add(make_task("99", owner="k2"))
    first = repo.list("k1", status=None, limit=3, cursor=None)
    assert [t.id for t in first.tasks] == ["14", "13", "12"] and first.next_cursor == "12"
    second = repo.list("k1", status=None, limit=3, cursor=first.next_cursor)
    assert [t.id for t in second.tasks] == ["11", "10"] and second.next_cursor is None
    assert [repo.queue_position(t) for t in ("10", "12", "14")] == [0, 3, 5]
    assert repo.queue_position("99") == 1  # same time as "10", later id
    stores.queue.claim("w", T0, LEASE)
    assert repo.queue_position("10") is None and repo.queue_position("11") == 1  # "99" ahead
    queued = repo.list("k1", status=TaskStatus.QUEUED, limit=10, cursor=None)
    assert [t.id for t in queued.tasks] == ["14", "13", "12", "11"]


def test_cancel_stops_a_queued_task_at_once_and_is_scoped_to_its_owner(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    assert stores.repository.request_cancel("1", "not-the-owner", T0) is None
    cancelled = stores.repository.request_cancel("1", "k1", T0)
    assert cancelled.status is TaskStatus.CANCELLED
    assert (cancelled.error_code, cancelled.error_message) == (CANCELLED.code, CANCELLED.message)
    assert cancelled.failure_kind is FailureKind.CANCELLED and cancelled.finished_at == T0
    assert stores.queue.claim("w", T0, LEASE) is None
    again = stores.repository.request_cancel("1", "k1", T0 + LEASE)  # idempotent
    assert again == cancelled


def test_cancel_of_a_running_task_flags_it_for_its_worker(stores: Any) -> None:
    stores.repository.add(make_task("1"))
    stores.queue.claim("w", T0, LEASE)
    flagged = stores.repository.request_cancel("1", "k1", T0)
    assert flagged.status is TaskStatus.PREPARING and flagged.cancel_requested


def test_tasks_in_flight_are_limited_per_key(stores: Any) -> None:
    limits = KeyLimits(max_in_flight=2, balance_usd=None)
    stores.repository.add(make_task("1"), limits=limits)
    stores.repository.add(make_task("2"), limits=limits)
    stores.repository.add(make_task("9", owner="k2"), limits=limits)  # another key's
    with pytest.raises(RateLimited):
        stores.repository.add(make_task("3"), limits=limits)
    assert stores.repository.get("3") is None
    stores.repository.request_cancel("1", "k1", T0)  # ended: no longer in flight
    stores.repository.add(make_task("3"), limits=limits)


def test_a_balance_covers_the_tasks_in_flight_and_the_new_one(stores: Any) -> None:
    stores.keys.add(make_key("k1", balance_usd=Decimal("1.00")))
    limits = KeyLimits(max_in_flight=None, balance_usd=Decimal("1.00"))
    stores.repository.add(make_task("1", cost_usd=Decimal("0.60")), limits=limits)
    with pytest.raises(InsufficientBalance):
        stores.repository.add(make_task("2", cost_usd=Decimal("0.50")), limits=limits)
    stores.repository.add(make_task("2", cost_usd=Decimal("0.40")), limits=limits)


def test_a_create_that_dies_before_its_insert_leaves_the_key_free(stores: Any) -> None:
    repo = stores.repository
    assert repo.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    # ... the process is killed here, before add: the retry must not be refused.
    assert repo.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    repo.add(make_task("101"), idempotency=CLAIM)
    outcome = repo.begin_idempotent(CLAIM, T0 + timedelta(seconds=1))
    assert (outcome.state, outcome.task_id) == (IdempotencyState.DONE, "101")


def test_of_two_creates_racing_with_one_key_only_one_commits(stores: Any) -> None:
    repo = stores.repository
    repo.add(make_task("101"), idempotency=CLAIM)
    with pytest.raises(IdempotencyConflict):
        repo.add(make_task("102"), idempotency=CLAIM)
    assert repo.get("102") is None  # the loser's task rolled back with its key
    assert repo.begin_idempotent(CLAIM, T0).task_id == "101"


def test_another_body_is_a_mismatch_and_a_day_old_key_is_free_again(stores: Any) -> None:
    repo = stores.repository
    repo.add(make_task("101"), idempotency=CLAIM)
    other = IdempotencyClaim(owner_key_id="k1", key="order-7", fingerprint="0" * 64)
    assert repo.begin_idempotent(other, T0).state is IdempotencyState.MISMATCH
    elsewhere = IdempotencyClaim(owner_key_id="k2", key="order-7", fingerprint="0" * 64)
    assert repo.begin_idempotent(elsewhere, T0).state is IdempotencyState.STARTED
    later = T0 + timedelta(hours=24, seconds=1)
    assert repo.begin_idempotent(other, later).state is IdempotencyState.STARTED
    repo.add(make_task("102", created=later), idempotency=other)
    assert repo.begin_idempotent(other, later).task_id == "102"


def test_the_camera_plan_parsed_at_submit_reads_back(stores: Any) -> None:
    plan = camera.parse("a kite [Pan left, Pedestal up] over the sea [Zoom in]")
    task = make_task("1", prompt=plan.prompt, camera=plan.segments, warnings=plan.warnings)
    stores.repository.add(task)
    assert stores.repository.get("1").plan == plan
    claimed = stores.queue.claim("w", T0, LEASE)
    assert claimed.plan == plan


@pytest.mark.parametrize("queued", [True, False])
def test_cancel_owned_stops_one_keys_work_only(stores: Any, queued: bool) -> None:
    """Issue 16 item 7: a revoked key's queued tasks are cancelled (unless kept) and its running
    ones flagged; another key's tasks are untouched."""
    stores.repository.add(make_task("1"))
    stores.repository.add(make_task("2", created=T0 + timedelta(seconds=1)))
    stores.repository.add(make_task("3", "k2", created=T0 + timedelta(seconds=2)))
    running = stores.queue.claim("w", T0, LEASE, models=None)
    assert running.id == "1"
    assert stores.repository.cancel_owned("k1", T0, queued=queued) == (1 if queued else 0)
    assert stores.repository.get("1").cancel_requested
    assert stores.repository.get("2").status is (
        TaskStatus.CANCELLED if queued else TaskStatus.QUEUED
    )
    other = stores.repository.get("3")
    assert other.status is TaskStatus.QUEUED and not other.cancel_requested
