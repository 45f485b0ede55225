"""MiniMax's v1 files API beyond retrieve (MINIMAX_API.md §2.5): upload, list, delete, per key.
An uploaded file's id is what ``mm_file://ID`` (V2) and ``{"file_id"}`` (OpenAI) refer to.
MiniMax's shape: HTTP 200 with ``base_resp``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from starlette.datastructures import UploadFile

from reelserve.api.deps import ContainerDep, OwnerDep, is_digits, read_body
from reelserve.api.dialects.routing import scoped_route
from reelserve.api.errors import base_resp, minimax_error
from reelserve.api.schemas import BaseResp, parse_body, violations_from
from reelserve.domain.errors import InvalidParams, NotFound
from reelserve.domain.files import FileRecord
from reelserve.services.uploads import MAX_UPLOAD_BYTES, PURPOSES

router = APIRouter(
    prefix="/v1/files", tags=["MiniMax v1 files"], route_class=scoped_route(minimax_error)
)


class UploadedFile(BaseModel):
    file_id: int
    bytes: int
    created_at: int
    filename: str
    purpose: str


class UploadOut(BaseModel):
    file: UploadedFile | None = None
    base_resp: BaseResp


class ListOut(BaseModel):
    files: list[UploadedFile] = Field(default_factory=list)
    base_resp: BaseResp


class DeleteIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    file_id: int | StrictStr
    purpose: StrictStr | None = None


class DeleteOut(BaseModel):
    file_id: int | None = None
    base_resp: BaseResp


def _out(record: FileRecord) -> UploadedFile:
    return UploadedFile(
        file_id=int(record.id),
        bytes=record.bytes,
        created_at=int(record.created_at.timestamp()),
        filename=record.filename,
        purpose=record.purpose,
    )


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "purpose"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "purpose": {"type": "string", "enum": list(PURPOSES)},
                    },
                }
            }
        },
    }
}


@router.post(
    "/upload", summary="Upload an input file (multipart: file, purpose)", openapi_extra=_UPLOAD_BODY
)
async def upload(request: Request, container: ContainerDep, owner: OwnerDep) -> UploadOut:
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidParams("Content-Type: send multipart/form-data with file and purpose")
    async with request.form(max_files=1, max_fields=32) as form:
        part, purpose = form.get("file"), form.get("purpose")
        if not isinstance(part, UploadFile):
            raise InvalidParams("file: is required (a file part)")
        if not isinstance(purpose, str):
            raise InvalidParams("purpose: is required")
        data = await part.read(MAX_UPLOAD_BYTES + 1)
        record = await run_in_threadpool(
            lambda: container.uploads.put(
                owner,
                filename=part.filename or "upload",
                purpose=purpose,
                data=data,
                content_type=part.content_type or "",
            )
        )
    return UploadOut(file=_out(record), base_resp=BaseResp(**base_resp()))


@router.get("/list", summary="List this key's uploaded files")
def list_files(container: ContainerDep, owner: OwnerDep, purpose: str | None = None) -> ListOut:
    records = container.uploads.list(owner, purpose or None)
    return ListOut(files=[_out(r) for r in records], base_resp=BaseResp(**base_resp()))


@router.post("/delete", summary="Delete an uploaded file")
async def delete_file(request: Request, container: ContainerDep, owner: OwnerDep) -> DeleteOut:
    body = parse_body(await read_body(request, 64 * 1024))
    try:
        wire = DeleteIn.model_validate(body)
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None
    file_id = str(wire.file_id).strip()
    if not is_digits(file_id):
        raise NotFound("file", file_id)
    record = await run_in_threadpool(container.uploads.delete, owner, file_id)
    return DeleteOut(file_id=int(record.id), base_resp=BaseResp(**base_resp()))
