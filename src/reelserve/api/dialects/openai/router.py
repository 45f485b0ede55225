"""The OpenAI Videos routes (DIALECTS.md §1), errors rendered by ``openai_error`` alone."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from reelserve.api.admission import create_slots
from reelserve.api.deps import ContainerDep, OwnerDep, read_body
from reelserve.api.dialects.common import digits_id, has_audio
from reelserve.api.dialects.openai.errors import openai_error
from reelserve.api.dialects.openai.intake import read_create
from reelserve.api.dialects.openai.schemas import (
    CreateVideoForm,
    CreateVideoJson,
    ErrorOut,
    RemixIn,
    Video,
    VideoDeleted,
    VideoList,
)
from reelserve.api.dialects.openai.stills import still_response
from reelserve.api.dialects.openai.views import DIALECT, ID_PREFIX, video_view
from reelserve.api.dialects.openai.views import video_id as wire_id
from reelserve.api.dialects.routing import scoped_route
from reelserve.api.filebytes import file_response
from reelserve.api.schemas import inline_schema, parse_body, violations_from
from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidParams, NotFound, Violation
from reelserve.domain.tasks import Task, TaskStatus

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": meaning}
    for status, meaning in [
        (400, "Invalid request; `error.param` names the field."),
        (401, "Missing, unknown or revoked API key."),
        (404, "No such video for this key."),
        (429, "Rate limit, tasks in flight or balance exceeded."),
        (500, "Server failure."),
    ]
}
router = APIRouter(
    prefix="/v1/videos",
    tags=["OpenAI Videos"],
    responses=_ERRORS,
    route_class=scoped_route(openai_error),
)

_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": inline_schema(CreateVideoForm)},
            "application/json": {"schema": inline_schema(CreateVideoJson)},
        },
    }
}
_IMAGES = {"schema": {"type": "string", "format": "binary"}}
_CONTENT = {"video/mp4": _IMAGES, "image/webp": _IMAGES, "image/jpeg": _IMAGES}


def _view(container: Container, task: Task) -> Video:
    return video_view(task, container.signer.ttl, has_audio=has_audio(container, task))


@router.post("", summary="Create a video (multipart/form-data or JSON)", openapi_extra=_CREATE_BODY)
async def create_video(request: Request, container: ContainerDep, owner: OwnerDep) -> Video:
    generation = await read_create(request, container, owner)
    task = await create_slots(request).run(
        owner.id, partial(container.tasks.submit, owner, generation, dialect=DIALECT)
    )
    return _view(container, task)


@router.get("", summary="List videos (cursor: after)")
def list_videos(
    container: ContainerDep,
    owner: OwnerDep,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    order: Literal["asc", "desc"] = "desc",
) -> VideoList:
    cursor = None
    if after:
        try:
            cursor = digits_id(after, ID_PREFIX)
        except NotFound:
            message = f"after: {after!r} is not a video id"
            raise InvalidParams([Violation(field="after", message=message)]) from None
    page = container.tasks.list(
        owner, status=None, limit=limit, cursor=cursor, ascending=order == "asc"
    )
    data = [_view(container, task) for task in page.tasks]
    return VideoList(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=page.next_cursor is not None,
    )


def _poll_after_ms(container: Container, task: Task) -> int:
    """How long the SDK's poll() should wait: a quarter of the expected time left, 0.5–5 s."""
    eta = container.tasks.eta_seconds(task)
    return 1000 if eta is None else int(min(5.0, max(0.5, eta / 4)) * 1000)


@router.get("/{video_id}", summary="Retrieve a video (sets openai-poll-after-ms)")
def retrieve_video(
    response: Response, container: ContainerDep, owner: OwnerDep, video_id: str
) -> Video:
    task = container.tasks.get(owner, digits_id(video_id, ID_PREFIX))
    if not task.status.terminal:
        response.headers["openai-poll-after-ms"] = str(_poll_after_ms(container, task))
    return _view(container, task)


@router.delete("/{video_id}", summary="Delete a video (a running one is cancelled)")
def delete_video(container: ContainerDep, owner: OwnerDep, video_id: str) -> VideoDeleted:
    task, deleted = container.tasks.delete(owner, digits_id(video_id, ID_PREFIX))
    return VideoDeleted(id=wire_id(task.id), deleted=deleted)


@router.get(
    "/{video_id}/content",
    summary="Download the video, a thumbnail (WebP or JPEG) or a sprite sheet (JPEG)",
    response_class=Response,
    responses={200: {"content": _CONTENT}},
)
def download_content(
    request: Request,
    container: ContainerDep,
    owner: OwnerDep,
    video_id: str,
    variant: Literal["video", "thumbnail", "spritesheet"] = "video",
) -> Response:
    task = container.tasks.get(owner, digits_id(video_id, ID_PREFIX))
    if task.status is not TaskStatus.SUCCEEDED or not task.file_id:
        status = video_view(task, container.signer.ttl).status
        message = f"video_id: {video_id!r} is {status}, not completed"
        raise InvalidParams([Violation(field="video_id", message=message)])
    record = container.tasks.get_file(owner, task.file_id)
    if variant == "video":
        return file_response(container, record, request.headers.get("range"))
    return still_response(container, record, variant, request.headers.get("accept", ""))


@router.post(
    "/{video_id}/remix",
    summary="Remix: a new video from this one's inputs with a new prompt",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(RemixIn)}},
        }
    },
)
async def remix_video(
    request: Request, container: ContainerDep, owner: OwnerDep, video_id: str
) -> Video:
    body = parse_body(await read_body(request, container.settings.max_body_bytes))
    try:
        wire = RemixIn.model_validate(body)
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None
    source = digits_id(video_id, ID_PREFIX)
    task = await run_in_threadpool(
        partial(container.tasks.remix, owner, source, wire.prompt, dialect=DIALECT)
    )
    return _view(container, task)
