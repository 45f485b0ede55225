"""The task, its lifecycle table and progress.

Internal statuses and how each dialect names them (ARCHITECTURE.md, "Task lifecycle"):

=========== ============== ================ ===================
internal    MiniMax query  MiniMax callback Vtrix task (seed 2)
=========== ============== ================ ===================
queued      Queueing       —                pending
preparing   Preparing      —                processing
processing  Processing     processing       processing
succeeded   Success        success          completed
failed      Fail           failed           failed
cancelled   Fail           failed           failed
=========== ============== ================ ===================
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from reelserve.domain.camera import CameraPlan, CameraSegment
from reelserve.domain.files import FileRecord
from reelserve.domain.jobs import RenderedVideo
from reelserve.domain.requests import Mode


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def active(self) -> bool:
        """Held by a worker (under a lease)."""
        return self in (TaskStatus.PREPARING, TaskStatus.PROCESSING)


TERMINAL = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED})

_S = TaskStatus
# Every status write of every store is checked against this table (``sources``): the SQL store
# builds its ``WHERE status IN (…)`` from it, the in-memory store calls ``with_status``.
TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = MappingProxyType(
    {
        # a worker claims it; its owner cancels it (a queued task is never failed: the reaper
        # only looks at tasks under a lease)
        _S.QUEUED: frozenset({_S.PREPARING, _S.CANCELLED}),
        # inputs ready; lease expired (the reaper requeues it, or fails it out of attempts);
        # the engine or inputs failed; cancel (by its worker, or by the reaper once expired)
        _S.PREPARING: frozenset({_S.PROCESSING, _S.QUEUED, _S.FAILED, _S.CANCELLED}),
        # result recorded; lease expired; failure; cancel
        _S.PROCESSING: frozenset({_S.SUCCEEDED, _S.QUEUED, _S.FAILED, _S.CANCELLED}),
        _S.SUCCEEDED: frozenset(),
        _S.FAILED: frozenset(),
        _S.CANCELLED: frozenset(),
    }
)


class IllegalTransition(Exception):
    def __init__(self, source: TaskStatus, target: TaskStatus) -> None:
        super().__init__(f"a task cannot go from {source.value} to {target.value}")
        self.source = source
        self.target = target


def can_transition(source: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[source]


def check_transition(source: TaskStatus, target: TaskStatus) -> None:
    if not can_transition(source, target):
        raise IllegalTransition(source, target)


def sources(
    target: TaskStatus, among: frozenset[TaskStatus] | None = None
) -> frozenset[TaskStatus]:
    """The statuses a task may reach ``target`` from: the table read backwards.

    ``among`` narrows them for a move that applies to fewer (a cancel ends only queued tasks at
    once); each of those must be allowed by the table, or this raises IllegalTransition.
    """
    allowed = frozenset(s for s, targets in TRANSITIONS.items() if target in targets)
    for source in among or ():
        check_transition(source, target)
    return allowed if among is None else among


class Phase(enum.StrEnum):
    """What the task is doing right now, finer than its status (for progress displays)."""

    QUEUED = "queued"
    PREPARING = "preparing"
    RENDERING = "rendering"
    ENCODING = "encoding"
    STORING = "storing"
    DONE = "done"
    # A relayed task (the upstream engine), after DONE so that SSE event ids keep growing.
    SUBMITTED = "submitted"  # the upstream accepted it; its id is in the database
    UPSTREAM_QUEUED = "upstream_queued"
    UPSTREAM_PROCESSING = "upstream_processing"
    COPYING = "copying"  # the upstream's MP4 is streamed into our storage


class FailureKind(enum.StrEnum):
    """Why a task failed; each dialect maps it to its own error code."""

    ENGINE = "engine"  # the engine raised
    OUTPUT = "output"  # the engine's output was unusable
    UPSTREAM = "upstream"  # an upstream provider answered with an error
    LEASE = "lease"  # too many attempts lost their lease
    INPUT = "input"  # the inputs could not be prepared
    CANCELLED = "cancelled"


CANCELLED_MESSAGE = "task cancelled by its owner"  # status_msg of a cancelled task (code 1000)
LOST_MESSAGE = "task failed: its worker stopped responding on every attempt"


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    phase: Phase = Phase.QUEUED
    step: int = 0
    total: int = 0

    @property
    def fraction(self) -> float:
        """0.0–1.0 across the whole run, never going back from one phase to the next.

        Rendering dominates (0.02–0.97), encoding follows (0.97–0.98), storing finishes it.
        """
        if self.phase in (Phase.QUEUED, Phase.PREPARING):
            return 0.0
        if self.phase is Phase.DONE:
            return 1.0
        if self.phase in (Phase.STORING, Phase.COPYING):
            return 0.98
        if self.phase in (Phase.SUBMITTED, Phase.UPSTREAM_QUEUED):
            return 0.01
        # An engine may overshoot or report no total; the bar must stay inside its phase.
        within = min(1.0, max(0.0, self.step / self.total)) if self.total > 0 else 0.0
        if self.phase is Phase.ENCODING:
            return 0.97 + 0.01 * within
        return min(0.97, 0.02 + 0.95 * within)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    owner: str
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    id: str
    owner_key_id: str
    model: str  # canonical catalog name
    requested_model: str  # as the client spelled it (an alias stays an alias in its dialect)
    mode: Mode
    prompt: str
    camera_prompt: str  # the prompt as given, brackets and all
    prompt_optimizer: bool
    duration: int
    resolution: str
    width: int
    height: int
    fps: int
    frame_count: int
    aigc_watermark: bool
    seed: int
    created_at: datetime
    updated_at: datetime
    status: TaskStatus = TaskStatus.QUEUED
    progress: Progress = field(default_factory=Progress)
    first_frame_key: str | None = None
    last_frame_key: str | None = None
    callback_url: str | None = None
    warnings: tuple[str, ...] = ()
    attempts: int = 0
    max_attempts: int = 3
    lease: Lease | None = None
    cancel_requested: bool = False
    error_code: int = 0
    error_message: str = ""
    failure_kind: FailureKind | None = None
    file_id: str | None = None
    cost_usd: Decimal = Decimal("0")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    dialect: str = "minimax"  # the wire dialect that created it: it shapes its callbacks
    camera: tuple[CameraSegment, ...] = ()  # the camera directives, parsed once at submit
    remixed_from: str | None = None  # the task whose inputs a remix reused (OpenAI remix)
    audio: bool = True  # the request's "audio" flag: False asks for a silent video

    @property
    def plan(self) -> CameraPlan:
        """The camera plan resolved at submit (its prompt and warnings are the task's)."""
        return CameraPlan(segments=self.camera, prompt=self.prompt, warnings=self.warnings)

    def with_status(self, target: TaskStatus, now: datetime, **changes: object) -> Task:
        """A task in ``target``, checked against ``TRANSITIONS`` (the in-memory stores move
        tasks through it; the SQL store through ``adapters/db/lifecycle.move``)."""
        check_transition(self.status, target)
        return dataclasses.replace(self, status=target, updated_at=now, **changes)  # type: ignore[arg-type]


# --- what the queue's operations take and give --------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Success:
    """A rendered result: the stored file and the video as it really came out."""

    file: FileRecord
    video: RenderedVideo


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """Why a task ended without a result; a cancel is a failure of kind CANCELLED."""

    code: int
    message: str
    kind: FailureKind

    @property
    def status(self) -> TaskStatus:
        return TaskStatus.CANCELLED if self.kind is FailureKind.CANCELLED else TaskStatus.FAILED


CANCELLED = Failure(code=1000, message=CANCELLED_MESSAGE, kind=FailureKind.CANCELLED)
LOST = Failure(code=1000, message=LOST_MESSAGE, kind=FailureKind.LEASE)


def check_result(target: TaskStatus, result: Success | Failure | None) -> None:
    """A success carries its file, a failure its reason, and nothing else carries either."""
    wanted: type | None = {TaskStatus.SUCCEEDED: Success}.get(target)
    if target in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        wanted = Failure
    if (wanted is None and result is not None) or (
        wanted is not None and not isinstance(result, wanted)
    ):
        raise ValueError(f"a move to {target.value} cannot record {result!r}")
    if isinstance(result, Failure) and result.status is not target:
        raise ValueError(f"a {result.kind.value} failure ends a task as {result.status.value}")


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
