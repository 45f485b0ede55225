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

import hmac
import threading
from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, DateTime, String, column, func, select, table

from reelserve.bootstrap import Container
from reelserve.domain.tasks import TaskStatus

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
