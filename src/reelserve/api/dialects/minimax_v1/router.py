"""The MiniMax v1 dialect: create, query, retrieve, retrieve_content (MINIMAX_API.md §2)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reelserve.api.admission import create_slots
from reelserve.api.deps import (
    ContainerDep,
    CreatorDep,
    OwnerDep,
    is_digits,
    public_base,
    read_body,
)
from reelserve.api.dialects.routing import scoped_route
from reelserve.api.errors import base_resp, minimax_error
from reelserve.api.filebytes import download_url, file_response
from reelserve.api.schemas import (
    SUCCESS,
    CreateOut,
    ErrorOut,
    QueryOut,
    RetrieveOut,
    VideoGenerationIn,
    inline_schema,
    parse_create,
)
from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidParams
from reelserve.domain.files import FileRecord
from reelserve.domain.idempotency import fingerprint
from reelserve.domain.tasks import Task, TaskStatus

# MINIMAX_API.md §12: a failed create answers with an empty ``task_id`` beside ``base_resp``.
_create = APIRouter(route_class=scoped_route(partial(minimax_error, task_id="")))
_reads = APIRouter(route_class=scoped_route(minimax_error))

QUERY_STATUS = {
    TaskStatus.QUEUED: "Queueing",
    TaskStatus.PREPARING: "Preparing",
    TaskStatus.PROCESSING: "Processing",
    TaskStatus.SUCCEEDED: "Success",
    TaskStatus.FAILED: "Fail",
    TaskStatus.CANCELLED: "Fail",
}

_CREATE_EXAMPLE = {
    "task_id": "106916112212032",
    "base_resp": SUCCESS,
}
_IDEMPOTENCY = "An `Idempotency-Key` conflict (reelserve extension): "
VIDEO_CONTENT = {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}


@_create.post(
    "/v1/video_generation",
    summary="Create a video generation task (text, first frame, first+last frame, subject)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(VideoGenerationIn)}},
        }
    },
    responses={
        200: {"model": CreateOut, "content": {"application/json": {"example": _CREATE_EXAMPLE}}},
        409: {"model": ErrorOut, "description": _IDEMPOTENCY + "the first request is running."},
        422: {"model": ErrorOut, "description": _IDEMPOTENCY + "the key came with another body."},
    },
)
async def create_video(
    request: Request, container: ContainerDep, owner: CreatorDep
) -> JSONResponse:
    raw = await read_body(request, container.settings.max_body_bytes)
    wire = parse_create(raw)
    task = await create_slots(request).run(
        owner.id,
        partial(
            container.tasks.submit,
            owner,
            wire.to_domain(),
            wire.seed,
            idempotency_key=request.headers.get("idempotency-key"),
            fingerprint=fingerprint(raw),
        ),
    )
    body: dict[str, Any] = {"task_id": task.id, "base_resp": base_resp()}
    if task.warnings:
        body["warnings"] = list(task.warnings)  # extension: unknown [camera] text, kept as text
    return JSONResponse(body)


def query_body(task: Task, queue_position: int | None = None) -> dict[str, Any]:
    """MiniMax's query shape, plus reelserve's additions (clients ignore unknown fields):
    ``progress`` (0–100 percent), ``phase``, and ``queue_position`` (0 = next) while queued."""
    succeeded = task.status is TaskStatus.SUCCEEDED
    body: dict[str, Any] = {
        "task_id": task.id,
        "status": QUERY_STATUS[task.status],
        "file_id": task.file_id if succeeded and task.file_id else "",
        "video_width": task.width if succeeded else 0,
        "video_height": task.height if succeeded else 0,
        "base_resp": base_resp(),
    }
    body["progress"] = 100 if succeeded else int(task.progress.fraction * 100)
    body["phase"] = task.progress.phase.value
    if task.status is TaskStatus.QUEUED:
        body["queue_position"] = queue_position
    if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        body["base_resp"] = {
            "status_code": task.error_code or 1000,
            "status_msg": task.error_message or "unknown error",
        }
    return body


@_reads.get(
    "/v1/query/video_generation",
    summary="Query a task's status",
    responses={
        200: {
            "model": QueryOut,
            "content": {
                "application/json": {
                    "example": {
                        "task_id": "176843862716480",
                        "status": "Success",
                        "file_id": "176844028768320",
                        "video_width": 1366,
                        "video_height": 768,
                        "base_resp": SUCCESS,
                    }
                }
            },
        }
    },
)
def query_video(
    container: ContainerDep, owner: OwnerDep, task_id: str | None = None
) -> JSONResponse:
    if not task_id:
        raise InvalidParams("task_id: is required")
    task = container.tasks.get(owner, task_id.strip())
    return JSONResponse(query_body(task, container.tasks.queue_position(task)))


def _file_id(value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidParams("file_id: is required")
    if not is_digits(value.strip()):
        raise InvalidParams(f"file_id: {value!r} is not a valid file id (digits expected)")
    return str(int(value.strip()))


def retrieve_body(container: Container, record: FileRecord, base: str) -> dict[str, Any]:
    return {
        "file": {
            "file_id": int(record.id),
            "bytes": record.bytes,
            "created_at": int(record.created_at.timestamp()),
            "filename": record.filename,
            "purpose": record.purpose,
            "download_url": download_url(container, record, base),
            "has_audio": record.has_audio,  # reelserve extension
        },
        "base_resp": base_resp(),
    }


@_reads.get(
    "/v1/files/retrieve",
    summary="File metadata and a signed download URL",
    responses={200: {"model": RetrieveOut}},
)
def retrieve_file(
    request: Request, container: ContainerDep, owner: OwnerDep, file_id: str | None = None
) -> JSONResponse:
    record = container.tasks.get_file(owner, _file_id(file_id))
    return JSONResponse(retrieve_body(container, record, public_base(container, request)))


@_reads.get(
    "/v1/files/retrieve_content",
    summary="The file's bytes (HTTP Range supported)",
    response_class=Response,
    responses={
        200: {
            "description": "The video; a MiniMax error (JSON) when the file is unknown.",
            "content": {**VIDEO_CONTENT, "application/json": {"schema": inline_schema(ErrorOut)}},
        },
        206: {"description": "The requested byte range.", "content": VIDEO_CONTENT},
        416: {"description": "The requested range is outside the file."},
    },
)
def retrieve_content(
    request: Request, container: ContainerDep, owner: OwnerDep, file_id: str | None = None
) -> Response:
    record = container.tasks.get_file(owner, _file_id(file_id))
    return file_response(container, record, request.headers.get("range"))


# HEAD answers what GET would, without the body (a client's size check before a download).
_reads.add_api_route(
    "/v1/files/retrieve_content", retrieve_content, methods=["HEAD"], include_in_schema=False
)

router = APIRouter(tags=["MiniMax v1"])
router.include_router(_create)
router.include_router(_reads)
