"""Objects the contract suites build their cases from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reelserve.domain.files import FileRecord
from reelserve.domain.jobs import RenderedVideo
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Success, Task

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def make_task(
    task_id: str,
    owner: str = "k1",
    created: datetime = T0,
    max_attempts: int = 3,
    **changes: Any,
) -> Task:
    values: dict[str, Any] = {
        "id": task_id,
        "owner_key_id": owner,
        "model": "MiniMax-Hailuo-02",
        "requested_model": "MiniMax-Hailuo-02",
        "mode": Mode.T2V,
        "prompt": "p",
        "camera_prompt": "p",
        "prompt_optimizer": True,
        "duration": 6,
        "resolution": "768P",
        "width": 1366,
        "height": 768,
        "fps": 25,
        "frame_count": 150,
        "aigc_watermark": False,
        "seed": 1,
        "created_at": created,
        "updated_at": created,
        "max_attempts": max_attempts,
    }
    return Task(**{**values, **changes})


def make_key(key_id: str = "k1", name: str | None = None, **changes: Any) -> ApiKey:
    values: dict[str, Any] = {
        "id": key_id,
        "name": name or f"key-{key_id}",
        "hint": "rs-…abcd",
        "key_hash": f"{key_id:0>64}"[-64:],
        "created_at": T0,
        "webhook_secret": "whsec_c2VjcmV0",
    }
    return ApiKey(**{**values, **changes})


def video() -> RenderedVideo:
    return RenderedVideo(path=Path("x.mp4"), width=1280, height=720, fps=25, frame_count=150)


def record(task_id: str, file_id: str = "77", owner: str = "k1") -> FileRecord:
    return FileRecord(
        id=file_id,
        owner_key_id=owner,
        task_id=task_id,
        storage_key=f"outputs/{task_id}/1.mp4",
        filename="output.mp4",
        purpose="video_generation",
        bytes=10,
        created_at=T0,
    )


def success(task_id: str, file_id: str = "77", owner: str = "k1") -> Success:
    return Success(file=record(task_id, file_id, owner), video=video())
