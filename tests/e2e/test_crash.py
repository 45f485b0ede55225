"""The crash drills of issue 4 (tests/e2e/drills.py) at test size: real processes, kill -9,
SIGSTOP, restarts. `python -m tests.e2e.drills` runs them larger and prints the figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e import drills

pytestmark = pytest.mark.slow


def test_kill_9_of_workers_mid_render_loses_no_task_and_shows_one_result(tmp_path: Path) -> None:
    result = drills.worker_kill(tasks=12, kills=4, duration=6, seed=11, root=tmp_path)
    assert result.kills == 4
    assert result.kills_mid_task >= 1, "no kill landed on a running task: the drill tested nothing"
    assert (result.lost, result.duplicates, result.bad_videos) == (0, 0, 0), result
    assert result.reruns >= result.kills_mid_task  # every interrupted task ran again


def test_kill_9_of_the_server_during_creates_leaves_one_task_per_key(tmp_path: Path) -> None:
    result = drills.server_kill(keys=20, kills=4, seed=12, root=tmp_path)
    assert result.kills_mid_request >= 1, "no kill landed on a create: the drill tested nothing"
    assert result.tasks == 20, result
    assert (result.keys_without_task, result.keys_with_two_ids) == (0, 0), result
    assert result.longest_409_s < 5, "a kill left a key 'in progress' for its retries"


def test_a_paused_worker_whose_lease_was_taken_over_cannot_touch_the_result(
    tmp_path: Path,
) -> None:
    result = drills.zombie(rounds=1, seed=13, root=tmp_path)
    assert result.overwritten == 0, result
    assert result.zombie_objects_left == 0
    assert result.late_writes_refused + result.stopped_on_lost_lease == 1, result
    assert result.zombie_back_to_work == 1


def test_a_backlog_survives_kill_9_of_server_and_worker_and_drains(tmp_path: Path) -> None:
    result = drills.backlog(tasks=100, seed=14, root=tmp_path)
    assert result.running_at_kill >= 1
    assert (result.lost, result.duplicates, result.bad_videos) == (0, 0, 0), result
