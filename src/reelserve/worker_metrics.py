"""Prometheus metrics per worker (a `reelserve worker` process, a `serve` worker pool, or each
Ray replica): slots, busy slots, claims, lease losses, tasks given back.

Workers have no API of their own, so these are served on a separate port
(``REELSERVE_WORKER_METRICS_PORT``); the Ray driver serves one page for its whole fleet, one
``worker`` label per replica.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

Source = Callable[[], dict[str, dict[str, int]]]  # worker name → WorkerStats.snapshot()

_GAUGES = {
    "slots": ("reelserve_worker_slots", "Task slots (worker threads) of the worker."),
    "busy": ("reelserve_worker_busy_slots", "Slots running a task now."),
}
_COUNTERS = {
    "claims": ("reelserve_worker_claims", "Tasks the worker claimed from the queue."),
    "lease_losses": (
        "reelserve_worker_lease_losses",
        "Attempts that found their lease taken over (paused, cut off, or too slow to beat).",
    ),
    "given_back": (
        "reelserve_worker_given_back",
        "Attempts that gave their task back (storage failed, or the worker was stopping).",
    ),
}


class WorkerCollector(Collector):
    def __init__(self, source: Source) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        stats = self._source()
        for key, (name, text) in _GAUGES.items():
            gauge = GaugeMetricFamily(name, text, labels=["worker"])
            for worker, values in sorted(stats.items()):
                gauge.add_metric([worker], values.get(key, 0))
            yield gauge
        for key, (name, text) in _COUNTERS.items():
            counter = CounterMetricFamily(name, text, labels=["worker"])
            for worker, values in sorted(stats.items()):
                counter.add_metric([worker], values.get(key, 0))
            yield counter


def serve_worker_metrics(port: int, source: Source, host: str = "0.0.0.0") -> Callable[[], None]:
    """Serve ``/metrics`` for these workers on ``port`` from a background thread; the
    function returned stops it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkerCollector(source))
    server, thread = start_http_server(port, addr=host, registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop
