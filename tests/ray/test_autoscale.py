"""The replica autoscaler's policy (pure) and the queue depth it reads from the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reelserve.adapters.db.depth import queue_depth
from reelserve.adapters.db.engine import make_engine
from reelserve.adapters.ray.autoscale import QueueDepthPolicy
from reelserve.bootstrap import Container
from reelserve.domain.requests import GenerationRequest


@pytest.mark.parametrize(
    ("queued", "running", "wanted"),
    [(0, 0, 1), (1, 0, 1), (3, 1, 2), (9, 0, 5), (100, 4, 6)],
)
def test_wanted_replicas_follow_the_load_within_bounds(
    queued: int, running: int, wanted: int
) -> None:
    policy = QueueDepthPolicy(min_replicas=1, max_replicas=6, tasks_per_replica=2)
    assert policy.wanted(queued, running) == wanted


def test_grows_at_once_and_shrinks_one_at_a_time_after_a_calm_spell() -> None:
    policy = QueueDepthPolicy(min_replicas=0, max_replicas=4, shrink_after=3)
    assert policy.decide(current=1, queued=5, running=1, low_looks=0) == (4, 0)
    assert policy.decide(current=4, queued=0, running=1, low_looks=0) == (4, 1)
    assert policy.decide(current=4, queued=0, running=1, low_looks=1) == (4, 2)
    assert policy.decide(current=4, queued=0, running=1, low_looks=2) == (3, 0)
    assert policy.decide(current=3, queued=2, running=1, low_looks=2) == (3, 0)  # busy again


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_replicas": 3, "max_replicas": 2}, "min 3 and max 2"),
        ({"max_replicas": 2, "tasks_per_replica": 0}, "tasks_per_replica: 0"),
    ],
)
def test_bad_bounds_are_refused(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QueueDepthPolicy(**options)


def test_queue_depth_counts_waiting_and_running_tasks(container: Container) -> None:
    owner = container.keys.create("k").key
    for prompt in ("a", "b", "c"):
        container.tasks.submit(owner, GenerationRequest(model="T2V-01", prompt=prompt))
    claimed = container.queue.claim("w", container.clock.now(), timedelta(seconds=30))
    assert claimed is not None
    database = make_engine(container.settings.resolved_database_url)
    try:
        depth = queue_depth(database)
    finally:
        database.dispose()
    assert (depth.queued, depth.running) == (2, 1)
