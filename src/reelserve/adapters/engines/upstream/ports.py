"""The upstream port: one small Protocol per role, each dialect an adapter behind it.

``UpstreamClient`` is the wire (create, status, a fresh download link, cancel); ``ParkedStore``
is where parked tasks live (adapters/db/parked.py). Errors are the classes in ``errors``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from reelserve.domain.relay import ParkedTask, ParkState
from reelserve.domain.requests import Mode


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamJob:
    """What an upstream create needs, built from our task (images as PNG bytes)."""

    task_id: str
    model: str  # the upstream's name for it
    mode: Mode
    prompt: str  # as the client wrote it, camera brackets and all
    prompt_optimizer: bool
    duration: int
    resolution: str
    width: int
    height: int
    watermark: bool
    first_frame: bytes | None
    last_frame: bytes | None
    idempotency_key: str
    callback_url: str | None = None  # our hint route, where the dialect takes one


class UpstreamState(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamStatus:
    state: UpstreamState
    percent: int | None = None  # 0–100 where the dialect reports it
    file_ref: str = ""  # what the download needs (MiniMax v1: the file_id)
    code: int = 0  # on FAILED: the upstream's code (MiniMax codes, else 1000)
    message: str = ""
    cost: str | None = None  # the upstream's price in USD, where its answer says one


def said_cost(value: object) -> str | None:
    """An answer's cost field (``"0.49"`` or ``0.49``) as text; anything else says nothing."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadLink:
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)  # auth only for the upstream itself


class UpstreamClient(Protocol):
    name: str
    can_cancel: bool

    def submit(self, job: UpstreamJob) -> str:
        """Create the upstream task; its id. Raises an ``errors.UpstreamError``."""
        ...

    def status(self, upstream_id: str) -> UpstreamStatus: ...

    def download_link(self, upstream_id: str, status: UpstreamStatus) -> DownloadLink:
        """A fresh link to the result (links expire: ask again after a 403/404/410)."""
        ...

    def cancel(self, upstream_id: str) -> None:
        """Cancel upstream (only where ``can_cancel``)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayStats:
    upstream: str
    state: ParkState
    tasks: int
    checks: int
    resubmits: int


class ParkedStore(Protocol):
    """The ``upstream_tasks`` rows. Every write commits before it returns."""

    def get(self, task_id: str) -> ParkedTask | None: ...

    def begin(self, row: ParkedTask, now: datetime) -> None:
        """Insert (or replace) the row of a task about to be submitted or made to wait."""
        ...

    def reserve(
        self, task_id: str, upstream: str, room: int | None, now: datetime, hold: timedelta
    ) -> bool:
        """Take a slot on ``upstream`` (state submitting) while fewer than ``room`` tasks are
        open there (None: no limit); atomically, so two workers cannot both take the last.
        A row still submitting ``hold`` later is taken by a poller (its submitter died)."""
        ...

    def submitted(self, task_id: str, upstream: str, upstream_id: str, now: datetime) -> bool:
        """Record the upstream id (state parked); False when the row is no longer open."""
        ...

    def resubmitting(self, task_id: str, now: datetime) -> None:
        """Count a submission again after a crash inside the window."""
        ...

    def claim_due(
        self, upstream: str, states: Sequence[ParkState], now: datetime, limit: int, hold: timedelta
    ) -> list[ParkedTask]:
        """Take rows due for a look (oldest due first); their next look moves ``hold`` ahead,
        so that another poller (process) does not take them meanwhile."""
        ...

    def checked(
        self, task_id: str, now: datetime, *, status: str, next_check_at: datetime, error: bool
    ) -> None:
        """One status call made: count it, note the upstream's status, schedule the next."""
        ...

    def move(self, task_id: str, state: ParkState, now: datetime, **extra: object) -> None: ...

    def open_count(self, upstream: str) -> int:
        """Tasks submitted (or being submitted) upstream and not finished: the in-flight."""
        ...

    def cancel_requested(self, upstream: str) -> list[ParkedTask]:
        """Open rows whose task's owner asked to cancel it."""
        ...

    def hint(self, upstream: str, upstream_task_id: str, now: datetime) -> bool:
        """Make a parked task due now; False when no open row has that upstream id."""
        ...

    def stats(self) -> list[RelayStats]: ...
