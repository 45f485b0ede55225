"""The task in V2's shape (query, list items). V2 callbacks use v1's handshake; their body is
this task object's id, status and error (services/callbacks.py: no V2 push shape is documented)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from reelserve.api.dialects.common import percent, unix
from reelserve.api.dialects.minimax_v2.schemas import (
    TaskContent,
    TaskError,
    TaskOut,
    Usage,
    V2Status,
)
from reelserve.domain.catalog import H3_RATIOS, V2_DIALECT
from reelserve.domain.tasks import FailureKind, Task, TaskStatus
from reelserve.services.callbacks import V2_STATUS

DIALECT = V2_DIALECT

STATUS = cast("Mapping[TaskStatus, V2Status]", V2_STATUS)  # one table, shared with callbacks

ERROR_CODES = {
    FailureKind.ENGINE: "generation_failed",
    FailureKind.OUTPUT: "generation_failed",
    FailureKind.UPSTREAM: "upstream_error",
    FailureKind.LEASE: "worker_lost",
    FailureKind.INPUT: "invalid_input",
    FailureKind.CANCELLED: "cancelled",
}


def ratio_of(width: int, height: int) -> str:
    """The named ratio the output size has (within 2 %), else "adaptive" (it followed an image)."""
    for name in H3_RATIOS[1:]:
        across, down = (int(p) for p in name.split(":"))
        if abs(width * down / (height * across) - 1) < 0.02:
            return name
    return "adaptive"


def _error(task: Task) -> TaskError | None:
    if task.status not in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        return None
    kind = FailureKind.CANCELLED if task.status is TaskStatus.CANCELLED else task.failure_kind
    return TaskError(code=ERROR_CODES[kind or FailureKind.ENGINE], message=task.error_message)


def task_view(task: Task, url: str | None, *, has_audio: bool = False) -> TaskOut:
    """``url`` is the freshly signed download URL of a succeeded task; ``has_audio`` says
    whether its file has a soundtrack (a reelserve extension)."""
    created, _ = unix(task)
    succeeded = task.status is TaskStatus.SUCCEEDED
    return TaskOut(
        id=task.id,
        model=task.requested_model,
        status=STATUS[task.status],
        error=_error(task),
        created_at=created,
        updated_at=int(task.updated_at.timestamp()),
        content=TaskContent(url=url, prompt=task.camera_prompt),
        resolution=task.resolution,
        duration=task.duration,
        ratio=ratio_of(task.width, task.height),
        usage=Usage(
            duration=task.duration, resolution=task.resolution, cost_usd=f"{task.cost_usd:.2f}"
        )
        if succeeded
        else None,
        task_type=task.mode.value,
        progress=percent(task),
        warnings=list(task.warnings),
        has_audio=has_audio,
    )
