"""MiniMax V2 routes (DIALECTS.md §2): create, query, list, delete; errors by ``v2_error``."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from reelserve.api.admission import create_slots
from reelserve.api.deps import ContainerDep, OwnerDep, read_body
from reelserve.api.dialects.common import digits_id, result_file, signed_url
from reelserve.api.dialects.minimax_v2.errors import v2_error
from reelserve.api.dialects.minimax_v2.intake import to_request
from reelserve.api.dialects.minimax_v2.schemas import (
    CreateIn,
    CreateOut,
    DeleteOut,
    ErrorOut,
    ListOut,
    QueryOut,
    TaskOut,
)
from reelserve.api.dialects.minimax_v2.views import DIALECT, task_view
from reelserve.api.dialects.routing import scoped_route
from reelserve.api.schemas import inline_schema, parse_body, violations_from
from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidParams
from reelserve.domain.idempotency import fingerprint
from reelserve.domain.tasks import Task

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": meaning}
    for status, meaning in [
        (400, "Invalid request (the message names the field and the value)."),
        (401, "Missing, unknown or revoked API key."),
        (402, "Insufficient balance."),
        (404, "No such task for this key."),
        (429, "Rate limit or tasks in flight exceeded."),
        (500, "Server failure."),
    ]
}
router = APIRouter(tags=["MiniMax V2"], responses=_ERRORS, route_class=scoped_route(v2_error))


def _view(container: Container, request: Request, task: Task) -> TaskOut:
    record = result_file(container, task)
    url = signed_url(container, request, record)
    return task_view(task, url, has_audio=record is not None and record.has_audio)


@router.post(
    "/v2/video_generation",
    summary="Create a MiniMax-H3 task from content[] (text, frames, references)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(CreateIn)}},
        }
    },
)
async def create(request: Request, container: ContainerDep, owner: OwnerDep) -> CreateOut:
    raw = await read_body(request, container.settings.max_body_bytes)  # 64 MB by default
    body = parse_body(raw)
    if not isinstance(body, dict):
        raise InvalidParams(f"body: must be a JSON object, got {type(body).__name__}")
    try:
        wire = CreateIn.model_validate(body)
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None
    generation = await run_in_threadpool(to_request, wire, container.uploads, owner)
    task = await create_slots(request).run(
        owner.id,
        partial(
            container.tasks.submit,
            owner,
            generation,
            idempotency_key=request.headers.get("idempotency-key"),
            fingerprint=fingerprint(raw),
            dialect=DIALECT,
        ),
    )
    return CreateOut(task_id=task.id, warnings=list(task.warnings))


@router.get("/v2/query/video_generation/{task_id}", summary="Query a task (fresh content.url)")
def query(request: Request, container: ContainerDep, owner: OwnerDep, task_id: str) -> QueryOut:
    task = container.tasks.get(owner, digits_id(task_id))
    return QueryOut(task=_view(container, request, task))


@router.get("/v2/query/video_generation", summary="List tasks, newest first")
def list_tasks(
    request: Request,
    container: ContainerDep,
    owner: OwnerDep,
    page_num: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut:
    skip = (page_num - 1) * page_size
    cursor = None
    if skip:
        before = container.tasks.list(owner, status=None, limit=skip, cursor=None)
        cursor = before.next_cursor
    tasks: tuple[Task, ...] = ()
    if not skip or cursor is not None:
        page = container.tasks.list(owner, status=None, limit=page_size, cursor=cursor)
        tasks = page.tasks
    return ListOut(
        items=[_view(container, request, t) for t in tasks],
        total=container.tasks.count(owner),
    )


@router.delete(
    "/v2/video_generation/{task_id}", summary="Cancel a running task; remove a finished one"
)
def delete(container: ContainerDep, owner: OwnerDep, task_id: str) -> DeleteOut:
    task = container.tasks.get(owner, digits_id(task_id))
    if not task.status.terminal:
        task = container.tasks.cancel(owner, task.id)
        return DeleteOut(task_id=task.id, status="cancelled" if task.status.terminal else "running")
    container.tasks.delete(owner, task.id)
    return DeleteOut(task_id=task.id, status="deleted")
