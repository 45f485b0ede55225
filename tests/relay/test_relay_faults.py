"""Faults injected by the scripted upstream: each ends in Success or in a mapped failure."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from reelserve.domain.tasks import FailureKind, TaskStatus
from tests.relay.conftest import Relaying
from tests.relay.upstream_server import ScriptedUpstream


def test_rate_limits_5xx_drops_and_slow_answers_while_polling_end_in_success(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.query_faults = ["1002", "1002", "1002", "500", "drop", "slow:0.5", "500"]
    relay = relaying()
    task = relay.submit(prompt="through the storm")
    assert relay.wait(task.id, timeout=60).status is TaskStatus.SUCCEEDED
    assert len(upstream.tasks) == 1
    assert upstream.status_calls == 3  # the faulty calls never reached a task


def test_a_create_retried_after_5xx_and_a_dropped_answer_makes_one_upstream_task(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.create_faults = ["500", "drop"]
    relay = relaying()
    task = relay.submit(prompt="retry the create")
    assert relay.wait(task.id, timeout=60).status is TaskStatus.SUCCEEDED
    assert len(upstream.tasks) == 1
    assert len({key for key, _ in upstream.creates}) == 1


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (1026, "failure 1026"),
        (1027, "failure 1027"),
        (1000, "failure 1000"),
        (1013, "failure 1013"),
    ],
)
def test_an_upstream_fail_keeps_its_code_and_message(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, code: int, message: str
) -> None:
    upstream.script.outcome = f"fail:{code}"
    relay = relaying()
    task = relay.submit(prompt="refused")
    failed = relay.wait(task.id)
    assert failed.status is TaskStatus.FAILED
    assert (failed.error_code, failed.error_message) == (code, f"upstream fake: {message}")
    assert failed.failure_kind is FailureKind.UPSTREAM and failed.cost_usd == 0


def test_a_create_refused_for_its_parameters_fails_with_2013(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.create_faults = ["2013"]
    relay = relaying()
    failed = relay.wait(relay.submit(prompt="bad params").id)
    assert (failed.error_code, failed.error_message) == (
        2013,
        "upstream fake: invalid params, duration",
    )


def test_balance_exhausted_fails_over_to_the_next_upstream(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, mp4: bytes
) -> None:
    upstream.script.create_faults = ["1008"]
    with ScriptedUpstream(mp4) as backup:
        relay = relaying(route=["fake", "backup"], extra={"backup": backup.url})
        task = relay.submit(prompt="spend elsewhere")
        assert relay.wait(task.id).status is TaskStatus.SUCCEEDED
        assert (len(upstream.tasks), len(backup.tasks)) == (0, 1)


def test_repeated_5xx_fail_over_to_the_next_upstream(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, mp4: bytes
) -> None:
    upstream.script.create_faults = ["500", "500", "500"]
    with ScriptedUpstream(mp4) as backup:
        relay = relaying(route=["fake", "backup"], extra={"backup": backup.url})
        task = relay.submit(prompt="down, go elsewhere")
        assert relay.wait(task.id).status is TaskStatus.SUCCEEDED
        assert (len(upstream.tasks), len(backup.tasks)) == (0, 1)


@pytest.mark.parametrize("faults", [["expired"], ["truncated"], ["short"], ["500", "expired"]])
def test_expired_links_and_broken_downloads_are_fetched_again(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, faults: list[str]
) -> None:
    upstream.script.download_faults = list(faults)
    relay = relaying()
    done = relay.wait(relay.submit(prompt="fetch again").id, timeout=60)
    assert done.status is TaskStatus.SUCCEEDED
    assert upstream.downloads == len(faults) + 1


@pytest.mark.parametrize(
    ("fault", "words"), [("truncated", "not a playable MP4"), ("short", "broken off")]
)
def test_a_download_broken_every_time_fails_the_task(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, fault: str, words: str
) -> None:
    upstream.script.download_faults = [fault] * 3
    relay = relaying()
    failed = relay.wait(relay.submit(prompt="never whole").id, timeout=60)
    assert failed.status is TaskStatus.FAILED and failed.error_code == 1000
    assert words in failed.error_message


def test_a_file_over_the_size_cap_is_refused(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying(max_bytes=1000)
    failed = relay.wait(relay.submit(prompt="too big").id, timeout=60)
    assert failed.status is TaskStatus.FAILED and "cap" in failed.error_message


def test_an_upstream_that_never_finishes_fails_at_the_deadline(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    relay = relaying(deadline_s=1.5)
    failed = relay.wait(relay.submit(prompt="forever").id)
    assert failed.status is TaskStatus.FAILED
    assert (failed.error_code, failed.error_message) == (
        1001,
        "upstream fake did not finish in 1 s",
    )


def test_cancel_stops_polling(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    relay = relaying()
    task = relay.submit(prompt="cancel me")
    relay.wait(task.id, until=lambda t: upstream.status_calls >= 2)
    relay.container.tasks.cancel(relay.owner, task.id)
    cancelled = relay.wait(task.id)
    assert cancelled.status is TaskStatus.CANCELLED
    calls = upstream.status_calls
    time.sleep(0.5)  # ten poll intervals
    assert upstream.status_calls == calls


def test_max_in_flight_holds_further_tasks_back(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying(max_in_flight=1)
    tasks = [relay.submit(prompt=f"one at a time {n}") for n in range(3)]
    for task in tasks:
        assert relay.wait(task.id, timeout=60).status is TaskStatus.SUCCEEDED
    assert len(upstream.tasks) == 3
    assert upstream.max_open == 1
