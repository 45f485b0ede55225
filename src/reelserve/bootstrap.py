"""The composition root: ``build(settings)`` picks the adapters and wires the services.

``build`` makes the cheap core only (database, files, keys, the task and webhook services,
wake-ups): what `keys`, `migrate` and the API need. The engines are read from the registry on
first use (``Container.router``: cheap, nothing loaded) and warmed (preloaded weights) only by
whatever runs tasks (``WorkerPool.start``), so `reelserve keys list` never imports torch.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine as DbEngine

from reelserve.adapters.clock import SystemClock
from reelserve.adapters.db.engine import OUTAGE_ERRORS, PoolSizes, make_engine, migrate
from reelserve.adapters.db.stores import sql_stores
from reelserve.adapters.engines.registry import EngineRouter, load_router
from reelserve.adapters.engines.upstream import RelayRuntime, bind_relay
from reelserve.adapters.files.local import LocalFileStore
from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.media.stills import AvStills
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.adapters.net.lookups import Lookups
from reelserve.adapters.net.webhooks import SafeHttpWebhookSender
from reelserve.adapters.wakeups.postgres import PostgresWakeups
from reelserve.adapters.wakeups.unix import UnixSocketWakeups, wake_dir
from reelserve.domain import catalog
from reelserve.domain.camera import PlanLimits
from reelserve.domain.requests import Mode
from reelserve.ports import (
    Clock,
    FileStore,
    Health,
    Stills,
    TaskQueue,
    TaskRepository,
    TaskStats,
    Wakeups,
)
from reelserve.services.downloads import DownloadSigner
from reelserve.services.execution import Executor, LeaseTimes
from reelserve.services.keys import KeyService
from reelserve.services.slots import Slots, plan_slots
from reelserve.services.tasks import TaskLimits, TaskService
from reelserve.services.uploads import UploadService
from reelserve.services.webhooks import RetryPolicy, WebhookService
from reelserve.settings import Settings, checked_secret

log = logging.getLogger("reelserve")


@dataclass(kw_only=True)
class Container:
    settings: Settings
    clock: Clock
    queue: TaskQueue  # workers: claim, heartbeat, transition, reap
    repository: TaskRepository  # the API's reads and writes of tasks
    stats: TaskStats  # ETAs and /metrics
    health: Health  # /readyz
    files: FileStore
    keys: KeyService
    tasks: TaskService
    signer: DownloadSigner
    webhooks: WebhookService  # callback delivery (outbox), its log and redelivery
    uploads: UploadService  # uploaded inputs (/v1/files/upload, mm_file://ID)
    wakeups: Wakeups  # create → idle workers, in this process and others
    on_close: Callable[[], None] = lambda: None  # releases the database (the API never sees it)
    # What the database raises while it is away; the API answers them "service unavailable".
    outage_errors: tuple[type[Exception], ...] = ()
    # Binds relayed models (engine = "upstream") to the stores; None when nothing is relayed.
    make_relay: Callable[[EngineRouter], RelayRuntime | None] = lambda _: None
    _relay: RelayRuntime | None = field(default=None, init=False, repr=False)
    _relay_made: bool = field(default=False, init=False, repr=False)
    _router: EngineRouter | None = field(default=None, init=False, repr=False)
    _router_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    stills: Stills = field(default_factory=AvStills)  # thumbnails and sprite sheets

    @property
    def router(self) -> EngineRouter:
        """The engine registry, read on first use (cheap: engines load weights on ``warm``)."""
        with self._router_lock:
            if self._router is None:
                self._router = load_engines(self.settings)
            return self._router

    @property
    def relay(self) -> RelayRuntime | None:
        """The relay (docs/relay.md), bound on first use; its pollers run with the workers."""
        router = self.router
        with self._router_lock:
            if not self._relay_made:
                self._relay, self._relay_made = self.make_relay(router), True
            return self._relay

    def can_serve(self, model: str, mode: Mode) -> bool:
        return self.router.supports(model, mode)

    def slots(self, models: Collection[str] | None = None) -> Slots:
        """The slots of one worker process serving ``models`` (None: all): one per device."""
        devices = [models for models, _ in self.router.device_groups()]
        return plan_slots(models, devices, catalog.MODELS, on_free=self.wakeups.interrupt)

    def executor(self, worker_id: str, slots: Slots | None = None) -> Executor:
        return Executor(
            tasks=self.queue,
            files=self.files,
            engine_for=self.router.engine_for,
            clock=self.clock,
            worker_id=worker_id,
            times=LeaseTimes(
                lease_for=timedelta(seconds=self.settings.lease_s),
                heartbeat_every=timedelta(seconds=self.settings.heartbeat_s),
            ),
            slots=slots,
        )

    def close(self) -> None:
        if self._relay is not None:
            self._relay.close()
        self.wakeups.close()
        self.on_close()


def load_engines(settings: Settings) -> EngineRouter:
    """The engine router from the registry file; the preview engine serves unmapped models."""
    from reelserve.adapters.engines.preview import PreviewEngine

    preview = PreviewEngine(
        preset=settings.preview_preset,
        crf=settings.preview_crf,
        segments=settings.preview_segments,
        stop_at_frame=settings.preview_stop_at_frame,
    )
    return load_router(settings.engine_registry, preview=preview, device=settings.engine_device)


def make_wakeups(settings: Settings, database: DbEngine) -> Wakeups:
    if database.dialect.name == "postgresql":
        return PostgresWakeups(database)
    return UnixSocketWakeups(wake_dir(settings.data_dir))


def _secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return checked_secret(path.read_text().strip().encode(), str(path))


def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(part.strip(), strict=False)
        for part in settings.allow_networks.split(",")
        if part.strip()
    ]


def private_data_dir(path: Path) -> None:
    """Create the data dir 0700, or take group and other access away from an existing one: it
    holds the database (every key's webhook secret), the signing secret and every video."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("data dir %s was mode %o; setting 0700", path, mode)
        path.chmod(0o700)


def pool_sizes(settings: Settings) -> PoolSizes:
    return PoolSizes(
        size=settings.db_pool_size,
        overflow=settings.db_max_overflow,
        wait_s=settings.db_pool_timeout_s,
        connect_s=settings.db_connect_timeout_s,
        statement_s=settings.db_statement_timeout_s,
    )


def build(settings: Settings, *, migrate_schema: bool = True) -> Container:
    private_data_dir(settings.data_dir)
    database = make_engine(settings.resolved_database_url, pool_sizes(settings))
    if migrate_schema:
        migrate(database)
    clock = SystemClock()
    stores = sql_stores(database)
    files = LocalFileStore(Path(settings.data_dir) / "files")
    networks = allowed_networks(settings)
    lookups = Lookups(
        per_key=settings.dns_lookups_per_key,
        total=settings.dns_lookups_total,
        timeout_s=settings.dns_timeout_s,
    )
    intake = PillowImageIntake(
        HttpImageFetcher(
            timeout_s=settings.fetch_timeout_s, allow_networks=networks, lookups=lookups
        ),
        decode_budget_pixels=settings.decode_budget_pixels,
    )
    wakeups = make_wakeups(settings, database)
    sender = SafeHttpWebhookSender(allow_networks=networks, lookups=lookups)
    tasks = TaskService(
        tasks=stores.repository,
        catalog=stores.catalog,
        stats=stores.stats,
        files=files,
        intake=intake,
        clock=clock,
        rate=stores.limiter,
        webhooks=sender,
        limits=TaskLimits(
            max_attempts=settings.max_attempts,
            callback_timeout_s=settings.callback_timeout_s,
            rpm=settings.rpm_limit,
            max_in_flight=settings.max_in_flight,
            plan=PlanLimits(
                max_segments=settings.max_camera_segments,
                max_magnification=settings.max_camera_magnification,
            ),
        ),
        on_submitted=wakeups.notify,
        can_serve=lambda model, mode: container.can_serve(model, mode),
    )
    container = Container(
        settings=settings,
        clock=clock,
        queue=stores.queue,
        repository=stores.repository,
        stats=stores.stats,
        health=stores.health,
        files=files,
        keys=KeyService(keys=stores.keys, clock=clock, tasks=stores.repository),
        tasks=tasks,
        signer=DownloadSigner(_secret(settings), timedelta(seconds=settings.download_url_ttl_s)),
        webhooks=WebhookService(
            outbox=stores.outbox,
            tasks=stores.repository,
            sender=sender,
            clock=clock,
            policy=RetryPolicy(
                scale=settings.webhook_retry_scale, max_attempts=settings.webhook_max_attempts
            ),
            timeout_s=settings.webhook_timeout_s,
            rate=stores.limiter,
            redeliver_per_minute=settings.webhook_redeliver_per_minute,
        ),
        wakeups=wakeups,
        on_close=database.dispose,
        outage_errors=OUTAGE_ERRORS,
        uploads=UploadService(uploads=stores.uploads, files=files, clock=clock),
        make_relay=lambda router: bind_relay(
            router.engines(),
            database=database,
            queue=stores.queue,
            repository=stores.repository,
            files=files,
            clock=clock,
            public_url=settings.public_url,  # upstreams push status hints there
        ),
    )
    return container
