"""Object storage for inputs and outputs."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


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
