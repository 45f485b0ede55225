"""Typed results: a task as the query endpoint reports it, a stored file, a finished video."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DONE_STATUSES = ("Success", "Fail")


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """``GET /v1/query/video_generation``.

    ``status`` is MiniMax's: ``Queueing``, ``Preparing``, ``Processing``, ``Success``, ``Fail``.
    ``progress`` (0–100 percent), ``phase`` and ``queue_position`` are reelserve extensions: they
    are None against servers that do not send them (MiniMax itself).
    """

    task_id: str
    status: str
    file_id: str | None = None
    video_width: int = 0
    video_height: int = 0
    progress: int | None = None
    phase: str | None = None
    queue_position: int | None = None
    error_code: int = 0
    error_message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "Success"

    @property
    def failed(self) -> bool:
        return self.status == "Fail"

    @classmethod
    def from_query(cls, body: Mapping[str, Any]) -> Task:
        resp = body.get("base_resp") or {}
        progress = body.get("progress")
        position = body.get("queue_position")
        return cls(
            task_id=str(body.get("task_id", "")),
            status=str(body.get("status", "")),
            file_id=str(body["file_id"]) if body.get("file_id") else None,
            video_width=int(body.get("video_width") or 0),
            video_height=int(body.get("video_height") or 0),
            progress=int(progress) if isinstance(progress, int | float) else None,
            phase=str(body["phase"]) if body.get("phase") else None,
            queue_position=int(position) if isinstance(position, int) else None,
            error_code=int(resp.get("status_code") or 0) if body.get("status") == "Fail" else 0,
            error_message=str(resp.get("status_msg") or "") if body.get("status") == "Fail" else "",
            raw=dict(body),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInfo:
    """``GET /v1/files/retrieve``: metadata and a signed, expiring ``download_url``."""

    file_id: str
    bytes: int
    created_at: int
    filename: str
    purpose: str
    download_url: str
    has_audio: bool | None = None  # reelserve extension; None against servers without it

    @classmethod
    def from_retrieve(cls, body: Mapping[str, Any]) -> FileInfo:
        file = body.get("file") or {}
        return cls(
            file_id=str(file.get("file_id", "")),
            bytes=int(file.get("bytes") or 0),
            created_at=int(file.get("created_at") or 0),
            filename=str(file.get("filename") or "output.mp4"),
            purpose=str(file.get("purpose") or ""),
            download_url=str(file.get("download_url") or ""),
            has_audio=bool(file["has_audio"]) if "has_audio" in file else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedVideo:
    """What ``generate()`` returns: the finished task, its file and where it was saved."""

    task: Task
    file: FileInfo
    path: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskPage:
    """``GET /v1/tasks`` (reelserve only): rich task views, newest first."""

    tasks: list[dict[str, Any]]
    next_cursor: str | None
