"""Two reelserve processes (two containers with their own workers and pollers) on one
database share the parked rows: each task is submitted once, ``max_in_flight`` holds across
both, and every task ends in Success. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reelserve.domain.relay import ParkState
from reelserve.domain.tasks import TaskStatus
from tests.relay.conftest import Relaying
from tests.relay.upstream_server import ScriptedUpstream


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


def test_two_processes_share_the_parked_tasks(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, database_url: str | None
) -> None:
    upstream.script.polls = 4
    one = relaying(database_url=database_url, max_in_flight=2)
    two = relaying(database_url=database_url, max_in_flight=2)
    tasks = [one.submit(prompt=f"shared {n}") for n in range(5)]
    for task in tasks:
        assert two.wait(task.id, timeout=90).status is TaskStatus.SUCCEEDED
    # One upstream task per task; a create retried under load carries the same key.
    assert len(upstream.tasks) == len({key for key, _ in upstream.creates}) == 5
    assert upstream.max_open <= 2
    parked = one.container.relay.relay.parked  # type: ignore[union-attr]
    done = [s for s in parked.stats() if s.state is ParkState.DONE]
    assert sum(s.tasks for s in done) == 5
