"""reelserve's task extensions: list, rich view, cancel, and the model catalog as JSON.

Errors keep the MiniMax shape (HTTP 200 + ``base_resp``) like the v1 routes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reelserve.api.deps import ContainerDep, OwnerDep, is_digits
from reelserve.api.dialects.common import has_audio, percent
from reelserve.api.dialects.minimax_v1.router import QUERY_STATUS
from reelserve.api.errors import base_resp
from reelserve.api.schemas import SUCCESS, iso, ok_example
from reelserve.bootstrap import Container
from reelserve.domain import catalog
from reelserve.domain.camera import CameraMove
from reelserve.domain.errors import InvalidParams
from reelserve.domain.sizes import sizes_of
from reelserve.domain.tasks import Task, TaskStatus

router = APIRouter(tags=["tasks (reelserve extension)"])

_VIEW_EXAMPLE: dict[str, Any] = {
    "task_id": "106916112212032",
    "status": "processing",
    "minimax_status": "Processing",
    "model": "MiniMax-Hailuo-02",
    "requested_model": "MiniMax-Hailuo-02",
    "mode": "t2v",
    "prompt": "A lighthouse at dusk [Push in]",
    "duration": 6,
    "resolution": "768P",
    "width": 1366,
    "height": 768,
    "progress": 41,
    "phase": "rendering",
    "step": 61,
    "total": 150,
    "queue_position": None,
    "eta_s": 3.2,
    "attempts": 1,
    "cancel_requested": False,
    "file_id": None,
    "error": None,
    "cost_usd": "0",
    "warnings": [],
    "fps": 25,
    "dialect": "minimax",
    "remixed_from": None,
    "created_at": "2025-01-01T12:00:00+00:00",
    "started_at": "2025-01-01T12:00:01+00:00",
    "finished_at": None,
}


def task_view(container: Container, task: Task, *, live: bool = True) -> dict[str, Any]:
    """The rich JSON view of a task; ``live`` adds queue position and ETA (two more queries)."""
    position = container.tasks.queue_position(task) if live else None
    eta = (
        container.tasks.eta_seconds(
            task, queue_position=position, workers=container.settings.workers
        )
        if live
        else None
    )
    error = None
    if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        kind = task.failure_kind.value if task.failure_kind else None
        error = {"code": task.error_code or 1000, "message": task.error_message, "kind": kind}
    return {
        "task_id": task.id,
        "status": task.status.value,
        "minimax_status": QUERY_STATUS[task.status],
        "model": task.model,
        "requested_model": task.requested_model,
        "mode": task.mode.value,
        "prompt": task.camera_prompt,
        "duration": task.duration,
        "resolution": task.resolution,
        "width": task.width,
        "height": task.height,
        "progress": percent(task),
        "phase": task.progress.phase.value,
        "step": task.progress.step,
        "total": task.progress.total,
        "queue_position": position,
        "eta_s": round(eta, 1) if eta is not None else None,
        "attempts": task.attempts,
        "cancel_requested": task.cancel_requested,
        "file_id": task.file_id,
        "error": error,
        "cost_usd": str(task.cost_usd),
        "warnings": list(task.warnings),
        "fps": task.fps,
        "dialect": task.dialect,
        "remixed_from": task.remixed_from,
        "audio": task.audio,  # the request's flag
        "has_audio": has_audio(container, task),  # the file's soundtrack
        "created_at": iso(task.created_at),
        "started_at": iso(task.started_at),
        "finished_at": iso(task.finished_at),
    }


def parse_status(value: str | None) -> TaskStatus | None:
    if not value:
        return None
    try:
        return TaskStatus(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in TaskStatus)
        raise InvalidParams(f"status: {value!r} is not one of {allowed}") from None


@router.get(
    "/v1/tasks",
    summary="List this key's tasks, newest first (cursor pagination)",
    responses=ok_example({"tasks": [_VIEW_EXAMPLE], "next_cursor": None, "base_resp": SUCCESS}),
)
def list_tasks(
    container: ContainerDep,
    owner: OwnerDep,
    status: Annotated[
        str | None, Query(description="queued, preparing, processing, succeeded, failed, cancelled")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Tasks per page (1–100).")] = 20,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` from the previous page.")
    ] = None,
) -> JSONResponse:
    if cursor is not None and not is_digits(cursor.strip()):
        raise InvalidParams(f"cursor: {cursor!r} is not a valid cursor (digits expected)")
    cursor = cursor.strip() if cursor is not None else None
    page = container.tasks.list(owner, status=parse_status(status), limit=limit, cursor=cursor)
    views = [
        task_view(container, task, live=task.status is TaskStatus.QUEUED) for task in page.tasks
    ]
    return JSONResponse({"tasks": views, "next_cursor": page.next_cursor, "base_resp": base_resp()})


def upstream_cost(container: Container, task: Task) -> dict[str, Any]:
    """A relayed task's upstream cost beside ours (docs/relay.md); null where none is known."""
    relay = container.relay
    cost = relay.upstream_cost(task.id) if relay is not None else None
    return {
        "upstream_cost_usd": str(cost.usd) if cost else None,
        "upstream_cost_estimated": cost.estimated if cost else None,
    }


@router.get(
    "/v1/tasks/{task_id}",
    summary="One task in detail: progress, phase, queue position, ETA, error, cost",
    responses=ok_example(
        {
            **_VIEW_EXAMPLE,
            "upstream_cost_usd": None,
            "upstream_cost_estimated": None,
            "base_resp": SUCCESS,
        }
    ),
)
def get_task(container: ContainerDep, owner: OwnerDep, task_id: str) -> JSONResponse:
    task = container.tasks.get(owner, task_id)
    view = {**task_view(container, task), **upstream_cost(container, task)}
    return JSONResponse({**view, "base_resp": base_resp()})


@router.post(
    "/v1/tasks/{task_id}/cancel",
    summary="Cancel a task: queued tasks at once, running ones at their worker's next check",
    responses=ok_example(
        {**_VIEW_EXAMPLE, "status": "cancelled", "minimax_status": "Fail", "base_resp": SUCCESS}
    ),
)
async def cancel_task(container: ContainerDep, owner: OwnerDep, task_id: str) -> JSONResponse:
    task = await run_in_threadpool(container.tasks.cancel, owner, task_id)
    return JSONResponse({**task_view(container, task), "base_resp": base_resp()})


def catalog_body() -> dict[str, Any]:
    models = [
        {
            "name": spec.name,
            "modes": {
                mode.value: {res: list(durations) for res, durations in matrix.items()}
                for mode, matrix in spec.modes.items()
            },
            "default_resolution": spec.default_resolution,
            "default_duration": spec.default_duration,
            "fps": spec.fps,
            "sizes": list(sizes_of(spec)),
            "dialects": sorted(spec.dialects) if spec.dialects is not None else None,
            "camera_directives": spec.camera_directives,
            "legacy": spec.legacy,
            "prices_usd": {f"{res} {dur}s": str(p) for (res, dur), p in spec.prices.items()},
        }
        for spec in catalog.MODELS.values()
    ]
    return {
        "models": models,
        "aliases": dict(catalog.ALIASES),
        "camera_moves": [move.value for move in CameraMove],
        "fps": catalog.FPS,
        "base_resp": base_resp(),
    }


@router.get(
    "/v1/models",
    summary="The model catalog: modes, allowed resolution × duration, camera moves (no key)",
    responses=ok_example(
        {
            "models": [
                {
                    "name": "T2V-01",
                    "modes": {"t2v": {"720P": [6]}},
                    "default_resolution": "720P",
                    "default_duration": 6,
                    "camera_directives": False,
                    "legacy": False,
                    "prices_usd": {},
                }
            ],
            "aliases": {"minimax_t2v_01": "T2V-01"},
            "camera_moves": ["Truck left", "Push in", "…"],
            "fps": 25,
            "base_resp": SUCCESS,
        }
    ),
)
def list_models() -> JSONResponse:
    return JSONResponse(catalog_body())
