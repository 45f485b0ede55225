"""Storage keys and byte ranges, checked the same way by every file store."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import BinaryIO


def checked_key(key: str) -> tuple[str, ...]:
    """The key's parts; ValueError for a key that could leave its store (``..``, absolute)."""
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(p in ("..", ".", "") for p in parts):
        raise ValueError(f"invalid storage key: {key!r}")
    if key.endswith("/") or "//" in key:
        raise ValueError(f"invalid storage key: {key!r}")
    return parts


def checked_range(start: int, end: int) -> None:
    if start < 0 or end < start:
        raise ValueError(f"invalid byte range: {start}-{end}")


class ChunkReader(io.RawIOBase):
    """A readable binary file over a ``read(n)`` callable (an S3 body, a bounded local file),
    stopping after ``limit`` bytes when one is given."""

    def __init__(
        self, read: Callable[[int], bytes], close: Callable[[], None], limit: int | None = None
    ) -> None:
        self._read, self._close, self._left = read, close, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = len(buffer) if self._left is None else min(len(buffer), self._left)
        data = self._read(want) if want else b""
        buffer[: len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._close()
        super().close()


def buffered(raw: ChunkReader) -> BinaryIO:
    return io.BufferedReader(raw, buffer_size=1 << 16)
