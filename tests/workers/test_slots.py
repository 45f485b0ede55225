"""A worker takes a free slot before it claims: with N threads on one device, one task is
Processing and the others stay Queueing with their true queue positions; ``--models`` limits
what a worker claims; a mode no engine serves is refused at create (2013)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reelserve.bootstrap import Container, build
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import Task, TaskStatus
from reelserve.services.slots import plan_slots
from reelserve.settings import Settings
from reelserve.worker import WorkerPool
from tests.workers import kinds


@pytest.fixture
def gated(settings: Settings, tmp_path: Path) -> Iterator[Container]:
    kinds.DEVICE.gate.clear()
    path = kinds.write_registry(tmp_path, "gated", "T2V-01", "MiniMax-Hailuo-02")
    with kinds.registered("gated", kinds.make_gated):
        built = build(settings.model_copy(update={"engine_registry": path}))
        yield built
        kinds.DEVICE.gate.set()
        built.close()


def submit(container: Container, model: str = "T2V-01") -> Task:
    owner = container.keys.create(f"k{time.monotonic_ns()}").key
    return container.tasks.submit(owner, GenerationRequest(model=model, prompt="a fox"))


def until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def statuses(container: Container, tasks: list[Task]) -> list[TaskStatus]:
    return [s.status for t in tasks if (s := container.repository.get(t.id)) is not None]


def test_threads_on_one_device_leave_the_waiting_tasks_queued(gated: Container) -> None:
    tasks = [submit(gated) for _ in range(3)]
    pool = WorkerPool(gated, 3)
    pool.start()
    try:
        until(lambda: TaskStatus.PROCESSING in statuses(gated, tasks))
        time.sleep(1.0)  # many poll rounds (0.1 s): a thread that could claim would have
        assert statuses(gated, tasks) == [
            TaskStatus.PROCESSING,
            TaskStatus.QUEUED,
            TaskStatus.QUEUED,
        ]
        assert [gated.tasks.queue_position(t) for t in tasks[1:]] == [0, 1]
        kinds.DEVICE.gate.set()
        until(lambda: statuses(gated, tasks) == [TaskStatus.SUCCEEDED] * 3)
    finally:
        pool.stop()


def test_a_worker_limited_to_models_claims_only_those(container: Container) -> None:
    other = submit(container, "MiniMax-Hailuo-02")
    mine = submit(container, "T2V-01")
    slots = plan_slots({"T2V-01"}, [], ["T2V-01", "MiniMax-Hailuo-02"])
    executor = container.executor("limited", slots)
    ran = executor.run_next()
    assert ran is not None and ran.id == mine.id
    assert executor.run_next() is None
    assert statuses(container, [other, mine]) == [TaskStatus.QUEUED, TaskStatus.SUCCEEDED]


def test_slot_plan_gives_each_device_one_slot_and_the_rest_no_limit() -> None:
    plan = plan_slots(None, [frozenset({"A", "B"})], ["A", "B", "C"])
    assert [(g.models, g.try_take(), g.try_take()) for g in plan.groups] == [
        (frozenset({"A", "B"}), True, False),
        (frozenset({"C"}), True, True),
    ]
    only = plan_slots({"B"}, [frozenset({"A", "B"})], ["A", "B", "C"])
    assert [g.models for g in only.groups] == [frozenset({"B"})]
    assert [g.models for g in plan_slots(None, [], ["A"]).groups] == [None]


async def test_a_mode_no_engine_serves_is_refused_at_create(
    settings: Settings, tmp_path: Path
) -> None:
    from reelserve.api.app import create_app
    from tests.conftest import png_data_url

    path = kinds.write_registry(tmp_path, "t2v_only", "MiniMax-Hailuo-02")
    with kinds.registered("t2v_only", kinds.make_t2v_only):
        container = build(settings.model_copy(update={"engine_registry": path}))
        secret = container.keys.create("k").secret
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answer = (
                await http.post(
                    "/v1/video_generation",
                    json={"model": "MiniMax-Hailuo-02", "first_frame_image": png_data_url()},
                    headers={"Authorization": f"Bearer {secret}"},
                )
            ).json()
            served = (
                await http.post(
                    "/v1/video_generation",
                    json={"model": "MiniMax-Hailuo-02", "prompt": "a fox"},
                    headers={"Authorization": f"Bearer {secret}"},
                )
            ).json()
        container.close()
    assert answer["base_resp"]["status_code"] == 2013
    assert "MiniMax-Hailuo-02 cannot serve mode i2v" in answer["base_resp"]["status_msg"]
    assert served["base_resp"]["status_code"] == 0
