"""Ports: one Protocol per external concern. Adapters implement them; services depend on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from reelserve.domain.camera import CameraPlan
from reelserve.domain.files import FileRecord
from reelserve.domain.idempotency import IdempotencyClaim, IdempotencyOutcome
from reelserve.domain.keys import ApiKey
from reelserve.domain.limits import KeyLimits
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import FailureKind, Phase, Progress, Task, TaskStatus


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


# --- tasks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    alive: bool  # False: the lease is gone (taken over, or the task ended); stop working on it
    cancel_requested: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReapResult:
    requeued: tuple[str, ...]
    failed: tuple[str, ...]
    cancelled: tuple[str, ...] = ()  # their owner had asked to cancel them


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskPage:
    tasks: tuple[Task, ...]
    next_cursor: str | None


class TaskStore(Protocol):
    """The tasks table is the queue. Every write after a claim is fenced by the lease token."""

    def add(
        self,
        task: Task,
        *,
        idempotency: IdempotencyClaim | None = None,
        limits: KeyLimits | None = None,
    ) -> None:
        """Insert a queued task. In the same transaction: check the key's tasks in flight and
        balance (raising RateLimited / InsufficientBalance) and mark the idempotency key done."""
        ...

    def begin_idempotent(self, claim: IdempotencyClaim, now: datetime) -> IdempotencyOutcome:
        """Look the key up: STARTED (no finished request used it), DONE (replay its task) or
        MISMATCH (another body). The key is recorded by ``add`` with the task, atomically."""
        ...

    def get(self, task_id: str, owner_key_id: str | None = None) -> Task | None: ...

    def list(
        self, owner_key_id: str, *, status: TaskStatus | None, limit: int, cursor: str | None
    ) -> TaskPage: ...

    def queue_position(self, task_id: str) -> int | None:
        """0-based place among queued tasks, or None when the task is not queued."""
        ...

    def claim(self, worker_id: str, now: datetime, lease_for: timedelta) -> Task | None:
        """Atomically take the oldest queued task: status preparing, attempts + 1, a new lease."""
        ...

    def heartbeat(
        self,
        task_id: str,
        token: str,
        now: datetime,
        lease_for: timedelta,
        progress: Progress | None = None,
    ) -> Heartbeat: ...

    def start_processing(self, task_id: str, token: str, now: datetime) -> bool:
        """preparing → processing, only by the lease holder."""
        ...

    def complete(
        self,
        task_id: str,
        token: str,
        now: datetime,
        *,
        file: FileRecord,
        cost: Decimal,
        video: RenderedVideo,
    ) -> bool:
        """Record success, the real video size and the file in one transaction, only by the
        lease holder."""
        ...

    def fail(
        self,
        task_id: str,
        token: str,
        now: datetime,
        *,
        code: int,
        message: str,
        kind: FailureKind,
        cancelled: bool = False,
    ) -> bool: ...

    def request_cancel(self, task_id: str, owner_key_id: str, now: datetime) -> Task | None:
        """Queued tasks are cancelled at once; running ones are flagged for their worker."""
        ...

    def reap(self, now: datetime) -> ReapResult:
        """Requeue tasks whose lease expired; cancel those whose owner asked to (as a cancel
        does), and fail those out of attempts (1000)."""
        ...

    def get_file(self, file_id: str, owner_key_id: str | None = None) -> FileRecord | None: ...

    def recent_durations(self, model: str, limit: int) -> Sequence[float]:
        """Seconds from start to finish of the latest successful tasks of a model (for ETAs)."""
        ...


class KeyStore(Protocol):
    def add(self, key: ApiKey) -> None: ...

    def by_hash(self, key_hash: str) -> ApiKey | None: ...

    def all(self) -> Sequence[ApiKey]: ...

    def revoke(self, id_or_name: str, now: datetime) -> ApiKey | None: ...


# --- files -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredObject:
    size: int  # bytes
    etag: str  # changes when the content does (for HTTP caches and conditional requests)


class FileStore(Protocol):
    """Object storage: immutable blobs under slash-separated keys. Nothing here assumes a local
    disk (local folder, S3 bucket or memory); engines render in a ``ScratchSpace`` instead."""

    def put(self, key: str, source: Path | bytes) -> int:
        """Store a file (its path: it may be moved away) or bytes under ``key``; its size.
        Raises on any failure: nothing is visible under ``key`` then."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Read the whole object; FileNotFoundError when there is none."""
        ...

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """Read bytes ``start`` to ``end`` inclusive (as HTTP Range counts them)."""
        ...

    def url_for(self, key: str, *, filename: str, content_type: str, ttl: timedelta) -> str | None:
        """A URL a client can download the object from for ``ttl``, without our API in the way;
        None when this store has none (the API then serves the bytes with its own signed URL)."""
        ...

    def stat(self, key: str) -> StoredObject | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None:
        """Raise when the store cannot be used now (readiness: the folder or bucket answers)."""
        ...


class ScratchSpace(Protocol):
    """Local folders for work in progress: engines read inputs and write outputs on a disk."""

    def workdir(self) -> AbstractContextManager[Path]:
        """A new empty folder, removed with its contents when the block ends."""
        ...


# --- images ------------------------------------------------------------------------------


class ImageFetcher(Protocol):
    def fetch(self, url: str, *, max_bytes: int) -> bytes:
        """The body of an http(s) URL; raises InvalidParams naming the URL when it fails."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedImage:
    """A decoded, checked input image, normalised to an RGB PNG (EXIF rotation applied)."""

    png: bytes
    width: int
    height: int
    source_format: str  # JPEG, PNG or WEBP, sniffed from the content


class ImageIntake(Protocol):
    def load(self, field: str, source: str) -> LoadedImage:
        """Fetch (URL) or decode (data URL), check the §2.1.1 rules; raises InvalidParams."""
        ...

    def crop_to_aspect(self, image: LoadedImage, aspect: tuple[int, int]) -> LoadedImage: ...


# --- engines -----------------------------------------------------------------------------

ProgressCallback = Callable[[Phase, int, int], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationJob:
    """Everything an engine needs, fully resolved."""

    task_id: str
    model: str
    mode: Mode
    prompt: str  # recognised camera directives removed
    raw_prompt: str  # as the client wrote it
    prompt_optimizer: bool
    plan: CameraPlan
    first_frame: Path | None  # RGB PNG
    last_frame: Path | None  # RGB PNG, already cropped to the first frame's aspect
    width: int
    height: int
    fps: int
    frame_count: int
    seed: int
    watermark: bool
    output_path: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedVideo:
    path: Path
    width: int
    height: int
    fps: int
    frame_count: int


class Engine(Protocol):
    name: str

    def supports(self, mode: Mode) -> bool: ...

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        """Render the job to ``job.output_path``. Raise TaskCancelled when should_cancel()."""
        ...


# --- webhooks ----------------------------------------------------------------------------


class WebhookSender(Protocol):
    def challenge(self, url: str, value: str, timeout_s: float) -> bool:
        """POST {"challenge": value}; True when the answer echoes it in time."""
        ...

    def deliver(self, url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        """POST a status push; the HTTP status, or 0 when no answer came."""
        ...


# Where an attempt leaves a push: acknowledged, to be tried again, or abandoned.
Outcome = Literal["delivered", "retry", "gave_up"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedDelivery:
    id: str  # the webhook-id
    task_id: str
    event: str
    url: str
    body: bytes
    attempt: int  # this attempt's number, counted from the last (re)delivery
    secret: str  # the owner key's webhook secret
    lease_token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    delivery_id: str
    attempt: int
    at: datetime
    http_status: int  # 0: no answer (timeout, refused, connection failure)
    outcome: Outcome
    duration_ms: int
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    id: str
    task_id: str
    event: str
    url: str
    state: str  # pending | delivered | failed
    attempts: int
    next_at: datetime | None
    last_http_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    log: tuple[AttemptRecord, ...] = ()


class OutboxStore(Protocol):
    """The callback pushes waiting to be sent; a row is written with its task's status change."""

    def claim(self, now: datetime, lease_for: timedelta) -> ClaimedDelivery | None:
        """Atomically take one due delivery (earlier events of its task first) under a lease."""
        ...

    def record(
        self, delivery: ClaimedDelivery, attempt: AttemptRecord, next_at: datetime | None
    ) -> bool:
        """Log the attempt; settle the delivery when the lease still holds (False otherwise)."""
        ...

    def deliveries(self, task_id: str) -> Sequence[DeliveryRecord]: ...

    def redeliver(
        self, task_id: str, delivery_id: str | None, now: datetime
    ) -> DeliveryRecord | None:
        """Make a delivery (default: the task's latest) due now with a fresh attempt budget."""
        ...
