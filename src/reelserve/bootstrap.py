"""The composition root: ``build(settings)`` picks the adapters and wires the services."""

from __future__ import annotations

import ipaddress
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine as DbEngine

from reelserve.adapters.clock import SystemClock
from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.keys import SqlKeyStore
from reelserve.adapters.db.outbox import SqlOutbox
from reelserve.adapters.db.store import SqlTaskStore
from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.registry import EngineRouter, load_router
from reelserve.adapters.files.factory import file_store_for
from reelserve.adapters.files.scratch import LocalScratch
from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.adapters.net.webhooks import SafeHttpWebhookSender
from reelserve.ports import Clock, FileStore, TaskStore
from reelserve.services.downloads import DownloadSigner
from reelserve.services.execution import Executor, LeaseTimes, WorkerStats
from reelserve.services.keys import KeyService
from reelserve.services.tasks import TaskLimits, TaskService
from reelserve.services.webhooks import RetryPolicy, WebhookService
from reelserve.settings import Settings


@dataclass(kw_only=True)
class Container:
    settings: Settings
    database: DbEngine
    clock: Clock
    task_store: TaskStore
    files: FileStore
    router: EngineRouter
    keys: KeyService
    tasks: TaskService
    signer: DownloadSigner
    webhooks: WebhookService  # callback delivery (outbox), its log and redelivery
    work_available: threading.Event = field(default_factory=threading.Event)

    def executor(self, worker_id: str, stats: WorkerStats | None = None) -> Executor:
        return Executor(
            tasks=self.task_store,
            files=self.files,
            engine_for=self.router.engine_for,
            clock=self.clock,
            worker_id=worker_id,
            scratch=LocalScratch(self.settings.resolved_scratch_dir),
            stats=stats,
            times=LeaseTimes(
                lease_for=timedelta(seconds=self.settings.lease_s),
                heartbeat_every=timedelta(seconds=self.settings.heartbeat_s),
            ),
        )

    def close(self) -> None:
        self.database.dispose()


def _secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(part.strip(), strict=False)
        for part in settings.allow_networks.split(",")
        if part.strip()
    ]


def build_files(settings: Settings) -> FileStore:
    """The file store that ``REELSERVE_STORAGE_URL`` names (local folder or S3 bucket)."""
    return file_store_for(
        settings.resolved_storage_url,
        download_ttl=timedelta(seconds=settings.download_url_ttl_s),
        s3_public_endpoint=settings.storage_public_endpoint,
        multipart_threshold=settings.storage_multipart_mb * 1024 * 1024,
    )


def build(settings: Settings, *, migrate_schema: bool = True) -> Container:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = make_engine(settings.resolved_database_url)
    if migrate_schema:
        migrate(database)
    clock = SystemClock()
    task_store = SqlTaskStore(database)
    files = build_files(settings)
    preview = PreviewEngine(
        preset=settings.preview_preset,
        crf=settings.preview_crf,
        segments=settings.preview_segments,
    )
    router = load_router(settings.engine_registry, preview=preview, device=settings.engine_device)
    networks = allowed_networks(settings)
    intake = PillowImageIntake(
        HttpImageFetcher(timeout_s=settings.fetch_timeout_s, allow_networks=networks)
    )
    work_available = threading.Event()
    sender = SafeHttpWebhookSender(allow_networks=networks)
    tasks = TaskService(
        tasks=task_store,
        files=files,
        intake=intake,
        clock=clock,
        webhooks=sender,
        limits=TaskLimits(
            max_attempts=settings.max_attempts,
            callback_timeout_s=settings.callback_timeout_s,
            rpm=settings.rpm_limit,
            max_in_flight=settings.max_in_flight,
        ),
        on_submitted=work_available.set,
    )
    return Container(
        settings=settings,
        database=database,
        clock=clock,
        task_store=task_store,
        files=files,
        router=router,
        keys=KeyService(keys=SqlKeyStore(database), clock=clock),
        tasks=tasks,
        signer=DownloadSigner(_secret(settings), timedelta(seconds=settings.download_url_ttl_s)),
        webhooks=WebhookService(
            outbox=SqlOutbox(database),
            tasks=task_store,
            sender=sender,
            clock=clock,
            policy=RetryPolicy(
                scale=settings.webhook_retry_scale, max_attempts=settings.webhook_max_attempts
            ),
            timeout_s=settings.webhook_timeout_s,
        ),
        work_available=work_available,
    )
