"""Stored output files, as the retrieve endpoints see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reelserve.domain.ids import new_id

PURPOSE_VIDEO = "video_generation"
VIDEO_FILENAME = "output.mp4"
AIGC_VIDEO_FILENAME = "output_aigc.mp4"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRecord:
    id: str  # digit string; the retrieve endpoint answers it as an integer
    owner_key_id: str
    task_id: str
    storage_key: str
    filename: str
    purpose: str
    bytes: int
    created_at: datetime
    content_type: str = "video/mp4"
    has_audio: bool = False  # the MP4 carries a soundtrack (RenderedVideo.has_audio)


def video_output(
    *,
    owner_key_id: str,
    task_id: str,
    watermark: bool,
    key: str,
    size: int,
    now: datetime,
    has_audio: bool = False,
) -> FileRecord:
    """The record of a task's MP4 result stored under ``key`` (rendered here or copied from an
    upstream): one rule for its id, filename and purpose."""
    return FileRecord(
        id=new_id(now),
        owner_key_id=owner_key_id,
        task_id=task_id,
        storage_key=key,
        filename=AIGC_VIDEO_FILENAME if watermark else VIDEO_FILENAME,
        purpose=PURPOSE_VIDEO,
        bytes=size,
        created_at=now,
        has_audio=has_audio,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredObject:
    """What a file store knows of one stored object."""

    size: int  # bytes
    etag: str  # changes when the content does (for HTTP caches and conditional requests)
