"""The lifecycle table, walked against every backend: each (status, target) pair moves through
the store's ports exactly when ``domain.tasks.TRANSITIONS`` allows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.contract.helpers import LEASE, T0, make_task, success

from reelserve.domain.tasks import (
    CANCELLED,
    TRANSITIONS,
    Failure,
    FailureKind,
    TaskStatus,
    can_transition,
)

S = TaskStatus
FAILED = Failure(code=1000, message="engine broke", kind=FailureKind.ENGINE)
LATER = T0 + LEASE + timedelta(seconds=1)


def _put(stores: Any, status: TaskStatus) -> str:
    """A task brought to ``status`` through the ports; the token of its (last) lease."""
    stores.repository.add(make_task("1"))
    if status is S.QUEUED:
        return ""
    token: str = stores.queue.claim("w", T0, LEASE).lease.token
    if status is S.CANCELLED:
        assert stores.queue.transition("1", token, T0, S.CANCELLED, result=CANCELLED)
    elif status is S.FAILED:
        assert stores.queue.transition("1", token, T0, S.FAILED, result=FAILED)
    elif status is not S.PREPARING:
        assert stores.queue.transition("1", token, T0, S.PROCESSING)
    if status is S.SUCCEEDED:
        assert stores.queue.transition("1", token, T0, S.SUCCEEDED, result=success("1"))
    assert stores.repository.get("1").status is status
    return token


def _attempt(stores: Any, target: TaskStatus, token: str) -> None:
    """Every way the ports offer to move task 1 to ``target``."""
    queue = stores.queue
    if target is S.PREPARING:
        queue.claim("w2", T0, LEASE)
    elif target is S.QUEUED:
        queue.reap(LATER)
    elif target is S.CANCELLED:
        stores.repository.request_cancel("1", "k1", T0)
        queue.transition("1", token, T0, S.CANCELLED, result=CANCELLED)
    else:
        result = {S.SUCCEEDED: success("1", "78"), S.FAILED: FAILED}.get(target)
        queue.transition("1", token, T0, target, result=result)


PAIRS = [(s, t) for s in S for t in S if s is not t]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_a_move_happens_exactly_when_the_table_allows_it(
    stores: Any, source: TaskStatus, target: TaskStatus
) -> None:
    token = _put(stores, source)
    _attempt(stores, target, token)
    after = stores.repository.get("1").status
    assert (after is target) == can_transition(source, target)
    assert after in (source, target)


def test_the_table_leaves_no_status_unreachable_or_without_an_end() -> None:
    reachable = {t for targets in TRANSITIONS.values() for t in targets} | {S.QUEUED}
    assert reachable == set(S)
    assert {s for s in S if not TRANSITIONS[s]} == {S.SUCCEEDED, S.FAILED, S.CANCELLED}
