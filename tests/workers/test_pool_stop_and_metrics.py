"""A worker pool that stops gives its running task back at once (lease released, not waited
out), and its Prometheus page counts claims, busy slots, lease losses and tasks given back."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from reelserve.bootstrap import Container
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import TaskStatus
from reelserve.worker import WorkerPool
from reelserve.worker_metrics import serve_worker_metrics
from tests.e2e.server import free_port


def test_stopping_a_pool_gives_the_task_back_and_metrics_count_it(container: Container) -> None:
    owner = container.keys.create("k").key
    request = GenerationRequest(model="MiniMax-Hailuo-02", prompt="a long take", duration=10)
    task_id = container.tasks.submit(owner, request).id
    pool = WorkerPool(container, 2, name="pool-a")
    port = free_port()
    stop_metrics = serve_worker_metrics(port, lambda: {pool.name: pool.snapshot()}, "127.0.0.1")
    try:
        pool.start()
        check_give_back(container, task_id, pool, port)
    finally:
        pool.stop()
        stop_metrics()


def check_give_back(container: Container, task_id: str, pool: WorkerPool, port: int) -> None:
    deadline = time.monotonic() + 60
    while (seen := container.repository.get(task_id)) and seen.status is not TaskStatus.PROCESSING:
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
    busy = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'reelserve_worker_busy_slots{worker="pool-a"} 1.0' in busy
    assert 'reelserve_worker_slots{worker="pool-a"} 2.0' in busy
    pool.stop()
    released = container.repository.get(task_id)
    assert released is not None and released.status is TaskStatus.PROCESSING
    assert released.lease is not None and released.lease.expires_at <= datetime.now(UTC)
    container.executor("reaper").reap()
    requeued = container.repository.get(task_id)
    assert requeued is not None and requeued.status is TaskStatus.QUEUED
    page = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    for line in (
        'reelserve_worker_claims_total{worker="pool-a"} 1.0',
        'reelserve_worker_given_back_total{worker="pool-a"} 1.0',
        'reelserve_worker_lease_losses_total{worker="pool-a"} 0.0',
        'reelserve_worker_busy_slots{worker="pool-a"} 0.0',
    ):
        assert line in page, page
