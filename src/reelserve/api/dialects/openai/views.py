"""The task as an OpenAI ``Video``. OpenAI's shape has no per-request callback."""

from __future__ import annotations

from datetime import timedelta

from reelserve.api.dialects.common import percent, unix
from reelserve.api.dialects.openai.schemas import Video, VideoError, VideoStatus
from reelserve.domain.tasks import FailureKind, Task, TaskStatus

ID_PREFIX = "video_"
DIALECT = "openai"

STATUS: dict[TaskStatus, VideoStatus] = {
    TaskStatus.QUEUED: "queued",
    TaskStatus.PREPARING: "in_progress",
    TaskStatus.PROCESSING: "in_progress",
    TaskStatus.SUCCEEDED: "completed",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "failed",
}

ERROR_CODES = {
    FailureKind.ENGINE: "generation_failed",
    FailureKind.OUTPUT: "generation_failed",
    FailureKind.UPSTREAM: "upstream_error",
    FailureKind.LEASE: "worker_lost",
    FailureKind.INPUT: "invalid_input",
    FailureKind.CANCELLED: "cancelled",
}


def video_id(task_id: str) -> str:
    return ID_PREFIX + task_id


def _error(task: Task) -> VideoError | None:
    if task.status is TaskStatus.CANCELLED:
        return VideoError(code="cancelled", message=task.error_message or "cancelled")
    if task.status is TaskStatus.FAILED:
        code = ERROR_CODES[task.failure_kind or FailureKind.ENGINE]
        return VideoError(code=code, message=task.error_message or "generation failed")
    return None


def video_view(task: Task, download_ttl: timedelta, *, has_audio: bool = False) -> Video:
    created, finished = unix(task)
    succeeded = task.status is TaskStatus.SUCCEEDED
    return Video(
        id=video_id(task.id),
        model=task.requested_model,
        status=STATUS[task.status],
        progress=percent(task),
        created_at=created,
        completed_at=finished,
        # Each download is signed when asked for; a URL signed at completion lasts this long.
        expires_at=finished + int(download_ttl.total_seconds()) if succeeded and finished else None,
        error=_error(task),
        prompt=task.camera_prompt,
        remixed_from_video_id=video_id(task.remixed_from) if task.remixed_from else None,
        seconds=str(task.duration),
        size=f"{task.width}x{task.height}",
        warnings=list(task.warnings),
        has_audio=has_audio,  # reelserve extension
    )
