"""Object storage for inputs and outputs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from reelserve.domain.files import FileRecord


class FileStore(Protocol):
    def put_file(self, key: str, source: Path) -> int:
        """Store a file under ``key`` (moved or copied); returns its size in bytes."""
        ...

    def put_bytes(self, key: str, data: bytes) -> int: ...

    def open(self, key: str) -> BinaryIO: ...

    def local_path(self, key: str) -> Path | None:
        """A path on this machine when the store is a local disk (for zero-copy serving)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def scratch_dir(self) -> Path:
        """A local folder for work in progress (engines render here)."""
        ...


class UploadStore(Protocol):
    """Uploaded input files' records, per key (POST /v1/files/upload; ``mm_file://ID``)."""

    def add(self, record: FileRecord) -> None: ...

    def list(self, owner_key_id: str, purpose: str | None) -> Sequence[FileRecord]: ...

    def get(self, file_id: str, owner_key_id: str) -> FileRecord | None: ...

    def remove(self, file_id: str, owner_key_id: str) -> FileRecord | None:
        """Delete an upload's record; the record, or None when the key has no such upload."""
        ...
