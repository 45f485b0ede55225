"""Prometheus ``/metrics`` (prefix ``reelserve_``).

Task counts, queue depth and callback delivery attempts are read from the database at scrape
time, so they are right whichever process ran the work (``reelserve serve`` threads or
``reelserve worker`` processes, which deliver the pushes too). Durations are observed at scrape
time as well: each scrape feeds the histograms with the tasks that finished since the previous
one (the first scrape takes the whole history).

The collector reads the ``tasks`` and ``webhook_attempts`` tables with SQLAlchemy Core directly
(three small queries); a ``TaskStore.stats()`` port method would let it go through the store
instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, DateTime, String, column, func, select, table

from reelserve.bootstrap import Container
from reelserve.domain.tasks import TaskStatus


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


_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600)
_tasks = table(
    "tasks",
    column("status", String),
    column("model", String),
    column("created_at", DateTime),
    column("started_at", DateTime),
    column("finished_at", DateTime),
)
# One row per delivery attempt, never deleted: a count that only grows, as a counter must.
_attempts = table("webhook_attempts", column("outcome", String))
OUTCOMES = ("delivered", "retry", "gave_up")

router = APIRouter(tags=["operations"])


class TaskCollector(Collector):
    def __init__(self, container: Container) -> None:
        self._container = container
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
        with self._container.database.connect() as conn:
            rows = conn.execute(select(_tasks.c.status, func.count()).group_by(_tasks.c.status))
            counts: dict[str, int] = {str(status): int(n) for status, n in rows}
            outcomes = conn.execute(
                select(_attempts.c.outcome, func.count()).group_by(_attempts.c.outcome)
            )
            attempts: dict[str, int] = {str(outcome): int(n) for outcome, n in outcomes}
            with self._lock:
                self._observe_finished(conn)
        by_status = GaugeMetricFamily(
            "reelserve_tasks", "Tasks in the database by status.", labels=["status"]
        )
        for status in TaskStatus:
            by_status.add_metric([status.value], counts.get(status.value, 0))
        yield by_status
        yield GaugeMetricFamily(
            "reelserve_queue_depth",
            "Tasks waiting for a worker.",
            value=counts.get(TaskStatus.QUEUED.value, 0),
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
        if self._container.relay is not None:
            yield from _relay_metrics(self._container.relay.stats())

    def _observe_finished(self, conn: Connection) -> None:
        query = select(_tasks).where(_tasks.c.finished_at.is_not(None))
        if self._seen_until is not None:
            query = query.where(_tasks.c.finished_at > self._seen_until)
        rows = conn.execute(query.order_by(_tasks.c.finished_at)).all()
        for row in rows:
            self._total.labels(row.status).observe(
                (row.finished_at - row.created_at).total_seconds()
            )
            if row.status == TaskStatus.SUCCEEDED.value and row.started_at is not None:
                self._render.labels(row.model).observe(
                    (row.finished_at - row.started_at).total_seconds()
                )
            self._seen_until = row.finished_at


def _relay_metrics(stats: Iterable[RelayStatsLike]) -> Iterator[Metric]:
    """Relayed tasks by upstream and state, status calls made, and crash-window resubmits."""
    rows = list(stats)
    parked = GaugeMetricFamily(
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
    for row in rows:
        parked.add_metric([row.upstream, str(row.state)], row.tasks)
        checks, resubmits = totals.get(row.upstream, (0, 0))
        totals[row.upstream] = (checks + row.checks, resubmits + row.resubmits)
    for name, (checks, resubmits) in totals.items():
        calls.add_metric([name], checks)
        window.add_metric([name], resubmits)
    yield from (parked, calls, window)


def registry_for(container: Container) -> CollectorRegistry:
    """A registry per app, so that several apps (tests) never share or clash."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TaskCollector(container))
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
        }
    },
)
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
