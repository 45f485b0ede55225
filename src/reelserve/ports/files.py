"""Object storage for inputs and outputs, and the local scratch space engines render in."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from reelserve.domain.files import FileRecord, StoredObject


class FileStore(Protocol):
    """Object storage: immutable blobs under slash-separated keys. Nothing here assumes a local
    disk (local folder, S3 bucket or memory); engines render in a ``ScratchSpace`` instead."""

    def put(self, key: str, source: Path | bytes) -> int:
        """Store a file (its path: it may be moved away) or bytes under ``key``; its size.
        Raises on any failure: nothing is visible under ``key`` then."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Read the whole object; FileNotFoundError when there is none."""
        ...

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """Read bytes ``start`` to ``end`` inclusive (as HTTP Range counts them)."""
        ...

    def url_for(self, key: str, *, filename: str, content_type: str, ttl: timedelta) -> str | None:
        """A URL a client can download the object from for ``ttl``, without our API in the way;
        None when this store has none (the API then serves the bytes with its own signed URL)."""
        ...

    def stat(self, key: str) -> StoredObject | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None:
        """Raise when the store cannot be used now (readiness: the folder or bucket answers)."""
        ...


class ScratchSpace(Protocol):
    """Local folders for work in progress: engines read inputs and write outputs on a disk."""

    def workdir(self) -> AbstractContextManager[Path]:
        """A new empty folder, removed with its contents when the block ends."""
        ...


class UploadStore(Protocol):
    """Uploaded input files' records, per key (POST /v1/files/upload; ``mm_file://ID``)."""

    def add(self, record: FileRecord) -> None: ...

    def list(self, owner_key_id: str, purpose: str | None) -> Sequence[FileRecord]: ...

    def get(self, file_id: str, owner_key_id: str) -> FileRecord | None: ...

    def remove(self, file_id: str, owner_key_id: str) -> FileRecord | None:
        """Delete an upload's record; the record, or None when the key has no such upload."""
        ...
