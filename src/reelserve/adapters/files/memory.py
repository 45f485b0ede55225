"""MemoryFileStore: objects in a dict, for tests and for services run without a disk."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from reelserve.adapters.files.keys import checked_key, checked_range
from reelserve.domain.files import StoredObject


class MemoryFileStore:
    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, source: Path | bytes) -> int:
        checked_key(key)
        data = source if isinstance(source, bytes) else source.read_bytes()
        with self._lock:
            self._objects[key] = data
        return len(data)

    def _get(self, key: str) -> bytes:
        checked_key(key)
        with self._lock:
            data = self._objects.get(key)
        if data is None:
            raise FileNotFoundError(key)
        return data

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self._get(key))

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        checked_range(start, end)
        return io.BytesIO(self._get(key)[start : end + 1])

    def url_for(self, key: str, *, filename: str, content_type: str, ttl: timedelta) -> str | None:
        return None

    def stat(self, key: str) -> StoredObject | None:
        try:
            data = self._get(key)
        except FileNotFoundError:
            return None
        return StoredObject(size=len(data), etag=hashlib.sha1(data).hexdigest()[:16])

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def delete(self, key: str) -> None:
        checked_key(key)
        with self._lock:
            self._objects.pop(key, None)

    def check(self) -> None:
        return None

    def keys(self) -> list[str]:
        """Every stored key, sorted (tests look for orphans with it)."""
        with self._lock:
            return sorted(self._objects)
