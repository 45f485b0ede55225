"""``reelserve worker --ray``: the driver of a fleet of worker replicas placed by Ray.

Each replica is a Ray actor running the normal worker loop (claims from the database under
leases). The driver only starts and stops replicas, serves their metrics, and, when asked,
grows and shrinks the fleet from the queue depth it reads from the database.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from reelserve.adapters.db.depth import queue_depth
from reelserve.adapters.db.engine import make_engine
from reelserve.adapters.ray.autoscale import QueueDepthPolicy
from reelserve.adapters.ray.fleet import RayFleet, ReplicaShape
from reelserve.settings import Settings
from reelserve.worker_metrics import serve_worker_metrics

log = logging.getLogger("reelserve.fleet")
ENTRY = "reelserve.worker:ray_replica"


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetOptions:
    address: str | None = None  # None: start a local Ray
    replicas: int = 1
    gpus_per_replica: float = 1.0
    cpus_per_replica: float = 1.0
    threads: int = 1  # task slots per replica
    models: tuple[str, ...] = ()
    autoscale_max: int | None = None  # grow up to this many replicas from queue depth
    look_every_s: float = 5.0
    metrics_port: int | None = None
    ready_timeout_s: float = 600.0


def replica_config(settings: Settings, options: FleetOptions) -> dict[str, Any]:
    """Plain values only: each replica builds its own settings, engines and pools from them."""
    values = settings.model_dump(mode="json")
    values["data_dir"] = str(settings.data_dir.resolve())
    return {"settings": values, "threads": options.threads, "models": list(options.models)}


def start_fleet(settings: Settings, options: FleetOptions) -> RayFleet:
    RayFleet.connect(options.address)
    fleet = RayFleet(
        entry=ENTRY,
        config=replica_config(settings, options),
        shape=ReplicaShape(gpus=options.gpus_per_replica, cpus=options.cpus_per_replica),
    )
    fleet.scale_to(options.replicas)
    fleet.wait_ready(options.ready_timeout_s)
    if options.metrics_port is not None:
        serve_worker_metrics(options.metrics_port, fleet.stats)
    return fleet


def run_fleet(settings: Settings, options: FleetOptions, stop: threading.Event) -> None:
    """Run until ``stop`` is set; then every replica gives back what it runs and stops."""
    fleet = start_fleet(settings, options)
    log.info("ray fleet: %d replica(s) ready", len(fleet.names))
    policy = None
    if options.autoscale_max is not None:
        policy = QueueDepthPolicy(
            min_replicas=options.replicas,
            max_replicas=options.autoscale_max,
            tasks_per_replica=options.threads,
        )
    database = make_engine(settings.resolved_database_url)
    low_looks = 0
    try:
        while not stop.wait(options.look_every_s):
            if policy is None:
                continue
            try:
                depth = queue_depth(database)
            except Exception:  # the database may be away for a moment; keep the fleet as is
                log.exception("ray fleet: queue depth unavailable")
                continue
            target, low_looks = policy.decide(
                len(fleet.names), depth.queued, depth.running, low_looks
            )
            if target != len(fleet.names):
                log.info("ray fleet: %d → %d replicas (%s)", len(fleet.names), target, depth)
                fleet.scale_to(target)
    finally:
        fleet.stop()
        database.dispose()
