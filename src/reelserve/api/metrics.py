"""Prometheus ``/metrics`` (prefix ``reelserve_``).

Task counts, queue depth and callback delivery attempts are read through the ``TaskStats`` port
at scrape time, so they are right whichever process ran the work (``reelserve serve`` threads or
``reelserve worker`` processes, which deliver the pushes too). Durations are observed at scrape
time as well: each scrape feeds the histograms with the tasks that finished since the previous
one (the first scrape takes the whole history).
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reelserve.domain.tasks import TaskStatus
from reelserve.ports import TaskStats

_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600)
OUTCOMES = ("delivered", "retry", "gave_up")

router = APIRouter(tags=["operations"])


class TaskCollector(Collector):
    def __init__(self, stats: TaskStats) -> None:
        self._stats = stats
        self._lock = threading.Lock()
        self._seen_until: datetime | None = None
        self._render = Histogram(
            "reelserve_render_duration_seconds",
            "Seconds from a worker's claim to the finished result, successful tasks.",
            ["model"],
            buckets=_BUCKETS,
            registry=None,
        )
        self._total = Histogram(
            "reelserve_task_duration_seconds",
            "Seconds from submission to the end, every finished task, by final status.",
            ["status"],
            buckets=_BUCKETS,
            registry=None,
        )

    def collect(self) -> Iterator[Metric]:
        counts = self._stats.counts()
        attempts = self._stats.delivery_outcomes()  # attempts are never deleted: only grows
        with self._lock:
            self._observe_finished()
        by_status = GaugeMetricFamily(
            "reelserve_tasks", "Tasks in the database by status.", labels=["status"]
        )
        for status in TaskStatus:
            by_status.add_metric([status.value], counts.get(status, 0))
        yield by_status
        yield GaugeMetricFamily(
            "reelserve_queue_depth",
            "Tasks waiting for a worker.",
            value=counts.get(TaskStatus.QUEUED, 0),
        )
        deliveries = CounterMetricFamily(
            "reelserve_webhook_deliveries",
            "Callback (webhook) delivery attempts by outcome: delivered, retry or gave_up.",
            labels=["outcome"],
        )
        for outcome in OUTCOMES:
            deliveries.add_metric([outcome], attempts.get(outcome, 0))
        yield deliveries
        yield from self._render.collect()
        yield from self._total.collect()

    def _observe_finished(self) -> None:
        for task in self._stats.finished_since(self._seen_until):
            self._total.labels(task.status.value).observe(
                (task.finished_at - task.created_at).total_seconds()
            )
            if task.status is TaskStatus.SUCCEEDED and task.started_at is not None:
                self._render.labels(task.model).observe(
                    (task.finished_at - task.started_at).total_seconds()
                )
            self._seen_until = task.finished_at


class RelayStatsLike(Protocol):
    @property
    def upstream(self) -> str: ...
    @property
    def state(self) -> object: ...
    @property
    def tasks(self) -> int: ...
    @property
    def checks(self) -> int: ...
    @property
    def resubmits(self) -> int: ...


class RelayCollector(Collector):
    """Relayed tasks by upstream and state, status calls made, crash-window resubmits
    (docs/relay.md), read from the database at scrape time like the task counts."""

    def __init__(self, read: Callable[[], Iterable[RelayStatsLike]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        tasks = GaugeMetricFamily(
            "reelserve_relay_tasks",
            "Relayed tasks by upstream and state.",
            labels=["upstream", "state"],
        )
        calls = CounterMetricFamily(
            "reelserve_relay_status_calls", "Upstream status calls made.", labels=["upstream"]
        )
        window = CounterMetricFamily(
            "reelserve_relay_crash_window_resubmits",
            "Creates sent again after a crash between the upstream's answer and our commit.",
            labels=["upstream"],
        )
        totals: dict[str, tuple[int, int]] = {}
        for row in self._read():
            tasks.add_metric([row.upstream, str(row.state)], row.tasks)
            checks, resubmits = totals.get(row.upstream, (0, 0))
            totals[row.upstream] = (checks + row.checks, resubmits + row.resubmits)
        for name, (checks, resubmits) in totals.items():
            calls.add_metric([name], checks)
            window.add_metric([name], resubmits)
        yield from (tasks, calls, window)


def registry_for(
    stats: TaskStats, relay: Callable[[], Iterable[RelayStatsLike]] | None = None
) -> CollectorRegistry:
    """A registry per app, so that several apps (tests) never share or clash."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TaskCollector(stats))
    if relay is not None:
        registry.register(RelayCollector(relay))
    return registry


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": 'reelserve_tasks{status="queued"} 2.0\n'
                    "reelserve_queue_depth 2.0\n"
                    'reelserve_render_duration_seconds_bucket{le="5.0",model="T2V-01"} 3.0\n'
                    'reelserve_webhook_deliveries_total{outcome="delivered"} 7.0\n'
                }
            }
        },
        401: {"description": "`REELSERVE_METRICS_TOKEN` is set and the request lacks it."},
    },
)
async def metrics(request: Request) -> Response:
    token = request.app.state.container.settings.metrics_token
    if token and not _bearer_matches(request.headers.get("authorization", ""), token):
        return Response(
            "metrics need Authorization: Bearer <REELSERVE_METRICS_TOKEN>\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
