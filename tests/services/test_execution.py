"""Running tasks over the fakes: success, engine failure, cancel, a lost lease, ETAs."""

from __future__ import annotations

import time

from reelserve.domain.errors import SensitiveInput
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import FailureKind, Phase, TaskStatus
from reelserve.testing import ScriptedEngine
from tests.services.conftest import World

KITE = GenerationRequest(model="T2V-01", prompt="a kite [Zoom in]")


def test_a_claimed_task_renders_and_its_file_is_recorded(world: World) -> None:
    owner = world.owner()
    task = world.tasks.submit(owner, KITE, seed=3)
    ran = world.executor().run_next()
    assert ran is not None and ran.id == task.id
    done = world.tasks.get(owner, task.id)
    assert done.status is TaskStatus.SUCCEEDED and done.progress.phase is Phase.DONE
    (job,) = world.engine.jobs
    assert (job.seed, job.prompt, job.mode) == (3, "a kite", task.mode)
    assert [m.value for m in job.plan.moves] == ["Zoom in"]
    record = world.tasks.get_file(owner, done.file_id or "")
    with world.files.open(record.storage_key) as stored:
        assert stored.read() == b"scripted video"
    assert world.executor().run_next() is None  # the queue is empty


def test_an_engine_error_fails_the_task_with_its_code(world: World) -> None:
    world.engine = ScriptedEngine(error=SensitiveInput("input new_sensitive"))
    owner = world.owner()
    task = world.tasks.submit(owner, KITE)
    world.executor().run_next()
    failed = world.tasks.get(owner, task.id)
    assert (failed.status, failed.error_code) == (TaskStatus.FAILED, 1026)
    assert failed.failure_kind is FailureKind.ENGINE and failed.cost_usd == 0


def test_an_engine_bug_fails_the_task_rather_than_leaving_it_stuck(world: World) -> None:
    world.engine = ScriptedEngine(error=ZeroDivisionError("oops"))
    owner = world.owner()
    task = world.tasks.submit(owner, KITE)
    world.executor().run_next()
    failed = world.tasks.get(owner, task.id)
    assert failed.status is TaskStatus.FAILED and failed.error_code == 1000
    # The engine's internals go to the log, never to the task's owner (issue 16, item 15).
    assert "internal engine error" in failed.error_message
    assert "ZeroDivisionError" not in failed.error_message and "oops" not in failed.error_message


def test_cancel_stops_a_queued_task_at_once_and_a_running_one_at_its_next_step(
    world: World,
) -> None:
    owner = world.owner()
    queued = world.tasks.submit(owner, KITE)
    assert world.tasks.cancel(owner, queued.id).status is TaskStatus.CANCELLED
    running = world.tasks.submit(owner, KITE)

    def cancel_at(step: int) -> None:
        if step == 1:
            world.tasks.cancel(owner, running.id)
        time.sleep(0.005)  # the worker's heartbeat (every 20 ms here) brings the request

    world.engine = ScriptedEngine(steps=2000, on_step=cancel_at)
    world.executor(heartbeat_s=0.02).run_next()
    ended = world.tasks.get(owner, running.id)
    assert ended.status is TaskStatus.CANCELLED and ended.failure_kind is FailureKind.CANCELLED


def test_a_worker_that_lost_its_lease_records_nothing(world: World) -> None:
    owner = world.owner()
    task = world.tasks.submit(owner, KITE)

    def pause_past_the_lease(step: int) -> None:
        if step == 0:
            world.clock.advance(31)
            world.executor("reaper").reap()  # requeued: another attempt owns it now

    world.engine = ScriptedEngine(on_step=pause_past_the_lease)
    world.executor().run_next()
    again = world.tasks.get(owner, task.id)
    assert again.status is TaskStatus.QUEUED and again.attempts == 1 and again.file_id is None


def test_the_eta_learns_from_finished_runs(world: World) -> None:
    owner = world.owner()
    assert world.tasks.eta_seconds(world.tasks.submit(owner, KITE)) is None  # nothing to learn
    world.engine = ScriptedEngine(on_step=lambda step: world.clock.advance(4) and None)
    world.executor().run_next()  # 3 steps of 4 s
    world.tasks.submit(owner, KITE)
    world.clock.advance(1)
    second = world.tasks.submit(owner, KITE)  # one task ahead of it
    assert world.tasks.eta_seconds(second) == 12.0 * 2
    assert world.tasks.eta_seconds(second, workers=2) == 12.0
