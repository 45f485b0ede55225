"""Seed 002's gateway task view (Vtrix, MINIMAX_API.md §11.1), and its create envelope."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from reelserve.api.admission import create_slots
from reelserve.api.deps import ContainerDep, OwnerDep, public_base, read_body
from reelserve.api.dialects.minimax_v1.router import retrieve_body
from reelserve.api.dialects.routing import scoped_route
from reelserve.api.errors import vtrix_error
from reelserve.api.schemas import (
    VideoGenerationIn,
    VtrixErrorOut,
    inline_schema,
    parse_body,
    parse_create_object,
)
from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidParams
from reelserve.domain.tasks import FailureKind, Task, TaskStatus

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": VtrixErrorOut, "description": meaning}
    for status, meaning in [
        (400, "Invalid parameters (MiniMax code 2013 in ``error.code``)."),
        (401, "Missing, unknown or revoked API key."),
        (403, "Insufficient balance."),
        (404, "No such task for this key."),
        (429, "Rate limit or tasks in flight exceeded."),
        (500, "Generation or server failure."),
    ]
}
router = APIRouter(
    prefix="/model/v1/generation",
    tags=["Vtrix gateway (seed 002)"],
    responses=_ERRORS,
    route_class=scoped_route(vtrix_error),
)


def _create_body_schema() -> dict[str, Any]:
    """The envelope around the MiniMax fields; ``model`` may sit outside ``params``."""
    params = inline_schema(VideoGenerationIn)
    params["required"] = [name for name in params.get("required", []) if name != "model"]
    return {
        "type": "object",
        "required": ["input"],
        "properties": {
            "model": {"type": "string", "description": "Wins over `params.model` when given."},
            "input": {
                "type": "array",
                "minItems": 1,
                "description": "Only the first item is read.",
                "items": {
                    "type": "object",
                    "required": ["params"],
                    "properties": {"params": params},
                },
            },
        },
        "examples": [{"model": "MiniMax-Hailuo-02", "input": [{"params": {"prompt": "A cat"}}]}],
    }


STATUS = {
    TaskStatus.QUEUED: "pending",
    TaskStatus.PREPARING: "processing",
    TaskStatus.PROCESSING: "processing",
    TaskStatus.SUCCEEDED: "completed",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "failed",
}

# Seed 002's 9-digit codes (010004095…), sent as the documented integer type.
ERROR_CODES = {
    FailureKind.ENGINE: 10004095,  # internal generation error
    FailureKind.CANCELLED: 10004095,
    FailureKind.OUTPUT: 10004096,  # result parsing error
    FailureKind.UPSTREAM: 10004097,  # HTTP error response
    FailureKind.LEASE: 10004098,  # status check error
    FailureKind.INPUT: 10004099,  # task creation error
}


def task_view(container: Container, task: Task, base: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": task.id,
        "status": STATUS[task.status],
        "model": task.requested_model,
        "created_at": int(task.created_at.timestamp()),
        "progress": round(
            1.0 if task.status is TaskStatus.SUCCEEDED else task.progress.fraction, 4
        ),
        "metadata": {"task_id": task.id, "mode": task.mode.value},
    }
    # Seed 002: ``output`` and ``usage`` appear when completed, ``error`` when failed; a
    # client that tests a key's presence must not see an empty one on a running task.
    if task.status is TaskStatus.SUCCEEDED and task.file_id:
        record = container.tasks.get_file(None, task.file_id)
        url = retrieve_body(container, record, base)["file"]["download_url"]
        view["output"] = [
            {
                "content": [
                    {"type": "video", "url": url, "duration": task.duration, "id": task.file_id}
                ]
            }
        ]
        cost = f"{task.cost_usd:.2f}"
        view["usage"] = {
            "cost": cost,
            "discount": 0,
            "quantity": 1,
            "unit_price": cost,
            "extra_info": {"resolution": task.resolution, "duration": task.duration},
        }
    if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        kind = task.failure_kind or FailureKind.ENGINE
        view["error"] = {"code": ERROR_CODES[kind], "error_message": task.error_message}
    return view


@router.get("/task/{task_id}", summary="Poll a task in the gateway's shape (seed 002)")
def get_task(
    request: Request, container: ContainerDep, owner: OwnerDep, task_id: str
) -> JSONResponse:
    task = container.tasks.get(owner, task_id)
    return JSONResponse(task_view(container, task, public_base(container, request)))


@router.post(
    "",
    summary="Create a task with the gateway's envelope {model, input:[{params}]}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _create_body_schema()}},
        }
    },
)
async def create_task(request: Request, container: ContainerDep, owner: OwnerDep) -> JSONResponse:
    body = parse_body(await read_body(request, container.settings.max_body_bytes))
    if not isinstance(body, dict):
        raise InvalidParams("body: must be a JSON object")
    inputs = body.get("input")
    params = (
        inputs[0].get("params")
        if isinstance(inputs, list) and inputs and isinstance(inputs[0], dict)
        else None
    )
    if not isinstance(params, dict):
        raise InvalidParams('input: must be a list holding one {"params": {...}} object')
    wire = parse_create_object({**params, "model": body.get("model", params.get("model"))})
    submit = partial(container.tasks.submit, owner, wire.to_domain(), wire.seed)
    task = await create_slots(request).run(owner.id, submit)
    return JSONResponse(task_view(container, task, public_base(container, request)))
