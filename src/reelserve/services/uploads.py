"""Uploaded input files (MiniMax's /v1/files API): store, list, delete, and read them back for
``mm_file://ID`` (MiniMax V2) or ``{"file_id"}`` (OpenAI) inputs. Each key sees its own only."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reelserve.domain.errors import InvalidParams, NotFound
from reelserve.domain.files import FileRecord
from reelserve.domain.ids import new_id
from reelserve.domain.keys import ApiKey
from reelserve.ports import Clock, FileStore, UploadStore

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
PURPOSES = ("video_generation", "prompt_image", "prompt_video", "prompt_audio")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MM_FILE = "mm_file://"


class UploadService:
    def __init__(self, *, uploads: UploadStore, files: FileStore, clock: Clock) -> None:
        self._uploads = uploads
        self._files = files
        self._clock = clock

    def put(
        self, owner: ApiKey, *, filename: str, purpose: str, data: bytes, content_type: str
    ) -> FileRecord:
        if purpose not in PURPOSES:
            raise InvalidParams(f"purpose: {purpose!r} is not one of {', '.join(PURPOSES)}")
        if not data:
            raise InvalidParams("file: is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise InvalidParams(f"file: {len(data)} bytes is over {MAX_UPLOAD_BYTES} bytes")
        now = self._clock.now()
        file_id = new_id(now)
        name = _SAFE_NAME.sub("_", filename).strip("._")[:100] or "upload"
        record = FileRecord(
            id=file_id,
            owner_key_id=owner.id,
            task_id="",
            storage_key=f"uploads/{file_id}/{name}",
            filename=name,
            purpose=purpose,
            bytes=len(data),
            created_at=now,
            content_type=content_type or "application/octet-stream",
        )
        self._files.put(record.storage_key, data)
        self._uploads.add(record)
        return record

    def list(self, owner: ApiKey, purpose: str | None = None) -> Sequence[FileRecord]:
        return self._uploads.list(owner.id, purpose)

    def delete(self, owner: ApiKey, file_id: str) -> FileRecord:
        record = self._uploads.remove(file_id, owner.id)
        if record is None:
            raise NotFound("file", file_id)
        self._files.delete(record.storage_key)
        return record

    def read(self, owner: ApiKey, file_id: str, field: str) -> bytes:
        """An upload's bytes for an input field; InvalidParams naming the field when the key
        has no such file."""
        record = self._uploads.get(file_id, owner.id)
        if record is None or not self._files.exists(record.storage_key):
            raise InvalidParams(f"{field}: no uploaded file {file_id!r} for this key")
        with self._files.open(record.storage_key) as stream:
            return stream.read()

    def resolve(self, owner: ApiKey, source: str, field: str) -> str | bytes:
        """``mm_file://ID`` as the upload's bytes; any other source unchanged."""
        if source.startswith(MM_FILE):
            return self.read(owner, source.removeprefix(MM_FILE), field)
        return source
