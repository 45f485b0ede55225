"""The service tier: the real services over reelserve.testing's fakes. No database, no network;
files in memory (MemoryFileStore); engines render in a temp scratch folder."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from reelserve.adapters.files.memory import MemoryFileStore
from reelserve.adapters.files.scratch import LocalScratch
from reelserve.adapters.media.images import PillowImageIntake
from reelserve.domain.keys import ApiKey
from reelserve.services.execution import Executor, LeaseTimes
from reelserve.services.keys import KeyService
from reelserve.services.tasks import TaskLimits, TaskService
from reelserve.services.webhooks import RetryPolicy, WebhookService
from reelserve.testing import (
    FrozenClock,
    MemoryImageFetcher,
    MemoryStores,
    RecordingWebhookSender,
    ScriptedEngine,
    memory_stores,
)

IMAGE_URL = "https://images.example.com/cat.png"


def png(width: int = 640, height: int = 360) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    stores: MemoryStores
    clock: FrozenClock
    sender: RecordingWebhookSender
    engine: ScriptedEngine
    files: MemoryFileStore
    scratch: LocalScratch
    keys: KeyService
    tasks: TaskService
    webhooks: WebhookService

    def executor(
        self, worker_id: str = "w1", lease_s: float = 30, heartbeat_s: float = 2
    ) -> Executor:
        return Executor(
            tasks=self.stores.queue,
            files=self.files,
            engine_for=lambda _model: self.engine,
            clock=self.clock,
            worker_id=worker_id,
            scratch=self.scratch,
            times=LeaseTimes(
                lease_for=timedelta(seconds=lease_s),
                heartbeat_every=timedelta(seconds=heartbeat_s),
            ),
        )

    def owner(
        self, name: str = "owner", *, rpm: int | None = None, balance: str | None = None
    ) -> ApiKey:
        created = self.keys.create(
            name, rpm_limit=rpm, balance_usd=Decimal(balance) if balance else None
        )
        return created.key

    def with_limits(self, limits: TaskLimits) -> TaskService:
        return TaskService(
            tasks=self.stores.repository,
            catalog=self.stores.catalog,
            stats=self.stores.stats,
            files=self.files,
            intake=PillowImageIntake(MemoryImageFetcher({IMAGE_URL: png()})),
            clock=self.clock,
            rate=self.stores.limiter,
            webhooks=self.sender,
            limits=limits,
        )


@pytest.fixture
def world(tmp_path: Path) -> World:
    stores = memory_stores()
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))  # signatures check the age
    sender = RecordingWebhookSender()
    files = MemoryFileStore()
    built = World(
        stores=stores,
        clock=clock,
        sender=sender,
        engine=ScriptedEngine(),
        files=files,
        scratch=LocalScratch(tmp_path / "scratch"),
        keys=KeyService(keys=stores.keys, clock=clock),
        tasks=None,  # type: ignore[arg-type]
        webhooks=WebhookService(
            outbox=stores.outbox,
            tasks=stores.repository,
            sender=sender,
            clock=clock,
            policy=RetryPolicy(jitter=0),
        ),
    )
    built.tasks = built.with_limits(TaskLimits())
    return built
