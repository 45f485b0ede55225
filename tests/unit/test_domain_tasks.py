"""The task lifecycle: every (source, target) pair against the transition table, and progress."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from reelserve.domain.requests import Mode
from reelserve.domain.tasks import (
    CANCELLED,
    LOST,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    Lease,
    Phase,
    Progress,
    Success,
    Task,
    TaskStatus,
    can_transition,
    check_result,
    check_transition,
    sources,
)

S = TaskStatus
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# Written from ARCHITECTURE.md "Task lifecycle": queued → preparing → processing → terminal, plus
# cancel from any live state, failure from any live state, and a lost lease back to the queue.
ALLOWED = {
    (S.QUEUED, S.PREPARING),
    (S.QUEUED, S.CANCELLED),
    (S.PREPARING, S.PROCESSING),
    (S.PREPARING, S.QUEUED),
    (S.PREPARING, S.FAILED),
    (S.PREPARING, S.CANCELLED),
    (S.PROCESSING, S.SUCCEEDED),
    (S.PROCESSING, S.QUEUED),
    (S.PROCESSING, S.FAILED),
    (S.PROCESSING, S.CANCELLED),
}
PAIRS = list(itertools.product(TaskStatus, TaskStatus))


def make_task(status: TaskStatus = S.QUEUED) -> Task:
    return Task(
        id="17356927450001234",
        owner_key_id="key-1",
        model="MiniMax-Hailuo-02",
        requested_model="minimax_hailuo_02",
        mode=Mode.T2V,
        prompt="a fox",
        camera_prompt="a fox [Push in]",
        prompt_optimizer=True,
        duration=6,
        resolution="768P",
        width=1366,
        height=768,
        fps=25,
        frame_count=150,
        aigc_watermark=False,
        seed=42,
        created_at=T0,
        updated_at=T0,
        status=status,
    )


def test_the_table_has_every_status_and_nothing_else() -> None:
    assert set(TRANSITIONS) == set(TaskStatus)
    assert {(s, t) for s, targets in TRANSITIONS.items() for t in targets} == ALLOWED


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_every_pair(source: TaskStatus, target: TaskStatus) -> None:
    task = make_task(source)
    later = T0 + timedelta(seconds=5)
    if (source, target) in ALLOWED:
        assert can_transition(source, target)
        check_transition(source, target)
        moved = task.with_status(target, later, attempts=1)
        assert moved.status is target
        assert moved.updated_at == later
        assert moved.attempts == 1
        assert task.status is source and task.updated_at == T0  # the old value is untouched
        assert dataclasses.replace(moved, status=source, updated_at=T0, attempts=0) == task
    else:
        assert not can_transition(source, target)
        with pytest.raises(IllegalTransition) as caught:
            check_transition(source, target)
        assert (caught.value.source, caught.value.target) == (source, target)
        assert str(caught.value) == f"a task cannot go from {source.value} to {target.value}"
        with pytest.raises(IllegalTransition):
            task.with_status(target, T0 + timedelta(seconds=5))


def test_a_full_run_and_a_retry() -> None:
    task = make_task()
    lease = Lease(owner="worker-1", token="t1", expires_at=T0 + timedelta(minutes=1))
    task = task.with_status(S.PREPARING, T0, lease=lease, attempts=1)
    task = task.with_status(S.QUEUED, T0, lease=None)  # the lease was lost
    task = task.with_status(S.PREPARING, T0, lease=lease, attempts=2)
    task = task.with_status(S.PROCESSING, T0)
    task = task.with_status(S.SUCCEEDED, T0, file_id="123", lease=None)
    assert (task.status, task.attempts, task.file_id, task.lease) == (S.SUCCEEDED, 2, "123", None)
    assert task.status.terminal


@pytest.mark.parametrize(
    ("status", "terminal", "active"),
    [
        (S.QUEUED, False, False),
        (S.PREPARING, False, True),
        (S.PROCESSING, False, True),
        (S.SUCCEEDED, True, False),
        (S.FAILED, True, False),
        (S.CANCELLED, True, False),
    ],
)
def test_terminal_and_active(status: TaskStatus, terminal: bool, active: bool) -> None:
    assert status.terminal is terminal
    assert status.active is active
    assert (status in TERMINAL) is terminal
    assert (not TRANSITIONS[status]) is terminal  # nothing leaves a terminal status


def test_status_values_are_the_stored_strings() -> None:
    assert [s.value for s in TaskStatus] == [
        "queued",
        "preparing",
        "processing",
        "succeeded",
        "failed",
        "cancelled",
    ]


def test_task_defaults() -> None:
    task = make_task()
    assert task.status is S.QUEUED
    assert task.progress == Progress()
    assert task.progress.fraction == 0.0
    assert (task.attempts, task.max_attempts, task.error_code) == (0, 3, 0)
    assert task.cancel_requested is False and task.failure_kind is None
    assert make_task().progress is not None


# --- progress ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "step", "total", "fraction"),
    [
        (Phase.QUEUED, 0, 0, 0.0),
        (Phase.QUEUED, 5, 10, 0.0),
        (Phase.PREPARING, 3, 10, 0.0),
        (Phase.RENDERING, 0, 0, 0.02),  # no total yet
        (Phase.RENDERING, 0, 10, 0.02),
        (Phase.RENDERING, 5, 10, 0.495),
        (Phase.RENDERING, 10, 10, 0.97),
        (Phase.RENDERING, 15, 10, 0.97),  # an overshooting engine stays in its phase
        (Phase.RENDERING, -1, 10, 0.02),
        (Phase.ENCODING, 0, 0, 0.97),
        (Phase.ENCODING, 0, 150, 0.97),
        (Phase.ENCODING, 75, 150, 0.975),
        (Phase.ENCODING, 150, 150, 0.98),
        (Phase.ENCODING, 300, 150, 0.98),
        (Phase.STORING, 0, 0, 0.98),
        (Phase.STORING, 1, 2, 0.98),
        (Phase.DONE, 0, 0, 1.0),
        (Phase.SUBMITTED, 0, 0, 0.01),  # a relayed task (docs/relay.md)
        (Phase.UPSTREAM_QUEUED, 0, 0, 0.01),
        (Phase.UPSTREAM_PROCESSING, 0, 0, 0.02),  # the upstream gives no percent
        (Phase.UPSTREAM_PROCESSING, 40, 100, 0.40),
        (Phase.COPYING, 0, 0, 0.98),
    ],
)
def test_progress_fraction_per_phase(phase: Phase, step: int, total: int, fraction: float) -> None:
    assert Progress(phase=phase, step=step, total=total).fraction == pytest.approx(fraction)


def test_progress_never_goes_back_over_a_run() -> None:
    run = [Progress(phase=Phase.QUEUED), Progress(phase=Phase.PREPARING)]
    run += [Progress(phase=Phase.RENDERING, step=i, total=30) for i in range(31)]
    run += [Progress(phase=Phase.ENCODING, step=i, total=150) for i in range(151)]
    run += [Progress(phase=Phase.STORING), Progress(phase=Phase.DONE)]
    fractions = [p.fraction for p in run]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)


@pytest.mark.parametrize("target", list(TaskStatus))
def test_sources_read_the_table_backwards(target: TaskStatus) -> None:
    assert sources(target) == {s for s, t in ALLOWED if t is target}
    assert sources(S.CANCELLED, frozenset({S.QUEUED})) == {S.QUEUED}
    with pytest.raises(IllegalTransition):  # a narrowed move must still be in the table
        sources(S.FAILED, frozenset({S.QUEUED}))


def test_each_end_carries_exactly_what_it_records() -> None:
    check_result(S.PROCESSING, None)
    check_result(S.FAILED, LOST)
    check_result(S.CANCELLED, CANCELLED)
    for target, result in [
        (S.SUCCEEDED, None),
        (S.SUCCEEDED, LOST),
        (S.FAILED, CANCELLED),
        (S.CANCELLED, LOST),
        (S.FAILED, None),
        (S.QUEUED, LOST),
    ]:
        with pytest.raises(ValueError):
            check_result(target, result)
    assert LOST.status is S.FAILED and CANCELLED.status is S.CANCELLED
    assert Success.__dataclass_params__.frozen  # type: ignore[attr-defined]
