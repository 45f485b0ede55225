"""The relay's domain: idempotency keys, the states a row can be in, the hand-off signal."""

from __future__ import annotations

from datetime import UTC, datetime

from reelserve.domain.relay import OPEN, ParkState, TaskHandedOff, idempotency_key


def test_one_key_per_task_and_attempt() -> None:
    assert idempotency_key("1234", 1) == "reelserve-1234-1"
    assert idempotency_key("1234", 2) != idempotency_key("1234", 1)
    assert idempotency_key("1235", 1) != idempotency_key("1234", 1)


def test_open_states_are_those_before_an_end() -> None:
    ended = {ParkState.DONE, ParkState.FAILED, ParkState.CANCELLED}
    assert set(ParkState) - ended == OPEN


def test_a_hand_off_carries_the_lease_end_or_none() -> None:
    until = datetime(2026, 1, 1, tzinfo=UTC)
    assert TaskHandedOff("7", until).lease_until == until
    ended = TaskHandedOff("7", None)
    assert ended.lease_until is None and ended.task_id == "7" and "7" in str(ended)
