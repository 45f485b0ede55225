"""Worker replicas as Ray actors, on one module-wide local Ray with two fake GPUs (Ray counts
them as GPUs; nothing here needs CUDA). Replicas claim from the database under leases: a killed
actor's task is taken over, a stopped replica gives its task back at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reelserve.adapters.ray.fleet import RayFleet, ReplicaShape
from reelserve.bootstrap import Container
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import Task, TaskStatus
from reelserve.fleet import ENTRY, FleetOptions, replica_config
from reelserve.settings import Settings
from tests.e2e.server import free_port

ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed (pip install .[ray])")
pytestmark = pytest.mark.slow
LEASE_S = 4.0
RUNNING = (TaskStatus.PREPARING, TaskStatus.PROCESSING)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[str]:
    """One local Ray for the module (its start costs seconds): 2 CPUs, 2 fake GPUs."""
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False)
    yield str(ray.get_runtime_context().gcs_address)
    ray.shutdown()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        lease_s=LEASE_S,
        heartbeat_s=0.5,
        reap_interval_s=0.5,
        poll_interval_s=0.2,
        log_level="WARNING",
    )


@pytest.fixture
def fleet(local_ray: str, settings: Settings, container: Container) -> Iterator[RayFleet]:
    built = RayFleet(
        entry=ENTRY,
        config=replica_config(settings, FleetOptions()),
        shape=ReplicaShape(gpus=1, cpus=0.5),
    )
    yield built
    built.stop()


def submit(container: Container, prompt: str) -> Task:
    owner = container.keys.create(f"key-{prompt}").key
    request = GenerationRequest(model="MiniMax-Hailuo-02", prompt=prompt, duration=10)
    return container.tasks.submit(owner, request)


def wait_for(
    container: Container, task_id: str, done: Callable[[Task], bool], timeout: float
) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = container.repository.get(task_id)
        assert task is not None
        if done(task):
            return task
        time.sleep(0.1)
    raise TimeoutError(f"task {task_id}: {container.repository.get(task_id)}")


def holder(task: Task) -> str:
    assert task.lease is not None
    return task.lease.owner.split(":")[1]  # ray:<replica>:<host>:<pid>:<slot>


def test_a_killed_replica_s_task_is_taken_over(fleet: RayFleet, container: Container) -> None:
    fleet.scale_to(2)
    fleet.wait_ready(120)
    task = submit(container, "a killed actor")
    running = wait_for(container, task.id, lambda t: t.status is TaskStatus.PROCESSING, 120)
    victim = holder(running)
    ray.kill(fleet.handle(victim), no_restart=False)  # a crash; Ray restarts the actor too
    again = wait_for(container, task.id, lambda t: t.attempts == 2, LEASE_S + 30)
    assert again.status is not TaskStatus.FAILED
    done = wait_for(
        container, task.id, lambda t: t.status not in (*RUNNING, TaskStatus.QUEUED), 300
    )
    assert done.status is TaskStatus.SUCCEEDED and done.attempts == 2
    record = container.tasks.get_file(None, str(done.file_id))
    assert record is not None and record.storage_key.endswith("attempt-2.mp4")
    assert sum(s["claims"] for s in fleet.stats().values()) >= 1  # the restarted one counts anew


def test_a_stopped_replica_gives_its_task_back(fleet: RayFleet, container: Container) -> None:
    fleet.scale_to(1)
    fleet.wait_ready(120)
    task = submit(container, "a stopped actor")
    wait_for(container, task.id, lambda t: t.status is TaskStatus.PROCESSING, 120)
    fleet.scale_to(0)  # the replica stops: no more claims, its lease released now
    released = container.repository.get(task.id)
    assert released is not None and released.status in RUNNING and released.lease is not None
    assert released.lease.expires_at <= datetime.now(UTC)  # not LEASE_S from the last beat
    container.executor("test-reaper").reap()
    assert (requeued := container.repository.get(task.id)) is not None
    assert requeued.status is TaskStatus.QUEUED
    fleet.scale_to(1)
    done = wait_for(container, task.id, lambda t: t.status is TaskStatus.SUCCEEDED, 300)
    assert done.attempts == 2


def test_cli_runs_a_fleet_with_metrics_and_stops_on_sigterm(
    local_ray: str, settings: Settings, container: Container
) -> None:
    port = free_port()
    command = [
        *(sys.executable, "-m", "reelserve.cli", "worker", "--ray"),
        *("--ray-address", local_ray, "--replicas", "1", "--gpus-per-replica", "1"),
        *("--cpus-per-replica", "0.5", "--metrics-port", str(port)),
        *("--models", "MiniMax-Hailuo-02"),  # replicas claim only these
        *("--data-dir", str(settings.data_dir)),
    ]
    env = {**os.environ, "REELSERVE_LEASE_S": str(LEASE_S), "REELSERVE_LOG_LEVEL": "WARNING"}
    log = settings.data_dir.parent / "fleet.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    try:
        task = submit(container, "through the cli")
        done = wait_for(container, task.id, lambda t: t.status is TaskStatus.SUCCEEDED, 300)
        assert done.attempts == 1
        # The task is visible as Success a moment before its thread counts itself free again.
        idle = 'reelserve_worker_busy_slots{worker="replica-1"} 0.0'
        deadline = time.monotonic() + 60
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        while idle not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'reelserve_worker_claims_total{worker="replica-1"} 1.0' in page, page
        assert idle in page, page
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
