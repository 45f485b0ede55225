"""What every dialect's task view shares: the percent done, the end time, the signed URL."""

from __future__ import annotations

from fastapi import Request

from reelserve.api.deps import public_base
from reelserve.api.dialects.minimax_v1.router import retrieve_body
from reelserve.bootstrap import Container
from reelserve.domain.errors import NotFound
from reelserve.domain.files import FileRecord
from reelserve.domain.tasks import Task, TaskStatus


def percent(task: Task) -> int:
    """0–100; 100 only once the task succeeded."""
    return 100 if task.status is TaskStatus.SUCCEEDED else int(task.progress.fraction * 100)


def unix(task: Task) -> tuple[int, int | None]:
    """(created_at, finished_at) as Unix seconds."""
    finished = task.finished_at if task.status.terminal else None
    return int(task.created_at.timestamp()), int(finished.timestamp()) if finished else None


def result_file(container: Container, task: Task) -> FileRecord | None:
    """The record of a succeeded task's video, or None."""
    if task.status is not TaskStatus.SUCCEEDED or not task.file_id:
        return None
    try:
        return container.tasks.get_file(None, task.file_id)
    except NotFound:
        return None


def has_audio(container: Container, task: Task) -> bool:
    """Whether the task's video has a soundtrack (False until there is a video)."""
    record = result_file(container, task)
    return record is not None and record.has_audio


def download_url(container: Container, request: Request, task: Task) -> str | None:
    """A freshly signed URL of the task's video (each call signs anew), or None."""
    return signed_url(container, request, result_file(container, task))


def signed_url(container: Container, request: Request, record: FileRecord | None) -> str | None:
    if record is None:
        return None
    url: str = retrieve_body(container, record, public_base(container, request))["file"][
        "download_url"
    ]
    return url


def digits_id(value: str, prefix: str = "") -> str:
    """The task id inside a dialect's id (``video_123`` → ``123``); NotFound when malformed."""
    bare = value.removeprefix(prefix) if prefix else value
    if not (0 < len(bare) <= 32 and bare.isascii() and bare.isdigit()):
        raise NotFound("task", value)
    return bare
