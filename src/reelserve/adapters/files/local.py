"""LocalFileStore: files on the local disk under the data dir, written atomically.

Stored files are 0600 and folders 0700 whatever the process umask: a video and its inputs belong
to one API key, not to every local user (issue 16 item 6).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from reelserve.adapters.files.keys import ChunkReader, buffered, checked_key, checked_range
from reelserve.domain.files import StoredObject

FILE_MODE = 0o600
DIR_MODE = 0o700


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self._root.joinpath(*checked_key(key))

    def put(self, key: str, source: Path | bytes) -> int:
        target = self._path(key)
        target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
            staging = Path(part.name)  # created 0600 by mkstemp
            if isinstance(source, bytes):
                part.write(source)
        try:
            if isinstance(source, Path):
                _move_or_copy(source, staging)
            os.chmod(staging, FILE_MODE)  # an engine's render was written under the umask
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        checked_range(start, end)
        handle = self._path(key).open("rb")
        handle.seek(start)
        return buffered(ChunkReader(handle.read, handle.close, limit=end - start + 1))

    def url_for(self, key: str, *, filename: str, content_type: str, ttl: timedelta) -> str | None:
        return None  # the API serves local files behind its own signed URLs

    def stat(self, key: str) -> StoredObject | None:
        try:
            info = self._path(key).stat()
        except FileNotFoundError:
            return None
        tag = hashlib.sha1(f"{key}:{info.st_size}:{info.st_mtime_ns}".encode()).hexdigest()
        return StoredObject(size=info.st_size, etag=tag[:16])

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise PermissionError(f"storage folder {self._root} is not writable")


def _move_or_copy(source: Path, staging: Path) -> None:
    try:
        os.replace(source, staging)  # same filesystem: a rename
    except OSError:
        shutil.copyfile(source, staging)
