"""Rows ↔ domain objects."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping

from reelserve.domain import camera
from reelserve.domain.camera import CameraMove, CameraSegment
from reelserve.domain.files import FileRecord
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import FailureKind, Lease, Phase, Progress, Task, TaskStatus


def task_to_row(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "owner_key_id": task.owner_key_id,
        "model": task.model,
        "requested_model": task.requested_model,
        "mode": task.mode.value,
        "prompt": task.prompt,
        "camera_prompt": task.camera_prompt,
        "prompt_optimizer": task.prompt_optimizer,
        "duration": task.duration,
        "resolution": task.resolution,
        "width": task.width,
        "height": task.height,
        "fps": task.fps,
        "frame_count": task.frame_count,
        "aigc_watermark": task.aigc_watermark,
        "seed": task.seed,
        "status": task.status.value,
        "phase": task.progress.phase.value,
        "progress_step": task.progress.step,
        "progress_total": task.progress.total,
        "first_frame_key": task.first_frame_key,
        "last_frame_key": task.last_frame_key,
        "callback_url": task.callback_url,
        "warnings": json.dumps(list(task.warnings), ensure_ascii=False),
        "attempts": task.attempts,
        "max_attempts": task.max_attempts,
        "lease_owner": task.lease.owner if task.lease else None,
        "lease_token": task.lease.token if task.lease else None,
        "lease_expires_at": task.lease.expires_at if task.lease else None,
        "cancel_requested": task.cancel_requested,
        "error_code": task.error_code,
        "error_message": task.error_message,
        "failure_kind": task.failure_kind.value if task.failure_kind else None,
        "file_id": task.file_id,
        "cost_usd": str(task.cost_usd),
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
        "dialect": task.dialect,
        "camera": _camera_to_json(task.camera),
        "remixed_from": task.remixed_from,
        "audio": task.audio,
    }


def row_to_task(row: RowMapping) -> Task:
    lease = None
    if row["lease_token"] is not None:
        lease = Lease(
            owner=row["lease_owner"], token=row["lease_token"], expires_at=row["lease_expires_at"]
        )
    return Task(
        id=row["id"],
        owner_key_id=row["owner_key_id"],
        model=row["model"],
        requested_model=row["requested_model"],
        mode=Mode(row["mode"]),
        prompt=row["prompt"],
        camera_prompt=row["camera_prompt"],
        prompt_optimizer=bool(row["prompt_optimizer"]),
        duration=row["duration"],
        resolution=row["resolution"],
        width=row["width"],
        height=row["height"],
        fps=row["fps"],
        frame_count=row["frame_count"],
        aigc_watermark=bool(row["aigc_watermark"]),
        seed=row["seed"],
        status=TaskStatus(row["status"]),
        progress=Progress(
            phase=Phase(row["phase"]), step=row["progress_step"], total=row["progress_total"]
        ),
        first_frame_key=row["first_frame_key"],
        last_frame_key=row["last_frame_key"],
        callback_url=row["callback_url"],
        warnings=tuple(json.loads(row["warnings"] or "[]")),
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        lease=lease,
        cancel_requested=bool(row["cancel_requested"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        failure_kind=FailureKind(row["failure_kind"]) if row["failure_kind"] else None,
        file_id=row["file_id"],
        cost_usd=Decimal(row["cost_usd"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        dialect=row["dialect"],
        camera=_camera_from_row(row),
        remixed_from=row["remixed_from"],
        audio=bool(row["audio"]),
    )


def _camera_to_json(segments: tuple[CameraSegment, ...]) -> str:
    return json.dumps(
        [
            {"moves": [m.value for m in s.moves], "position": s.position, "source": s.source}
            for s in segments
        ],
        ensure_ascii=False,
    )


def _camera_from_row(row: RowMapping) -> tuple[CameraSegment, ...]:
    if row["camera"] is None:  # written before the plan was kept: parse it as submit did
        return camera.parse(row["camera_prompt"]).segments
    return tuple(
        CameraSegment(
            moves=tuple(CameraMove(m) for m in s["moves"]),
            position=s["position"],
            source=s["source"],
        )
        for s in json.loads(row["camera"])
    )


def file_to_row(record: FileRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner_key_id": record.owner_key_id,
        "task_id": record.task_id,
        "storage_key": record.storage_key,
        "filename": record.filename,
        "purpose": record.purpose,
        "bytes": record.bytes,
        "content_type": record.content_type,
        "has_audio": record.has_audio,
        "created_at": record.created_at,
    }


def row_to_file(row: RowMapping) -> FileRecord:
    return FileRecord(**dict(row))


def key_to_row(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "hint": key.hint,
        "key_hash": key.key_hash,
        "webhook_secret": key.webhook_secret,
        "rpm_limit": key.rpm_limit,
        "max_in_flight": key.max_in_flight,
        "balance_usd": None if key.balance_usd is None else str(key.balance_usd),
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def row_to_key(row: RowMapping) -> ApiKey:
    values = dict(row)
    balance = values.pop("balance_usd")
    return ApiKey(**values, balance_usd=None if balance is None else Decimal(balance))
