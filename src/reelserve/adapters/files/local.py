"""LocalFileStore: files on the local disk under the data dir, written atomically.

Stored files are 0600 and folders 0700 whatever the process umask: a video and its inputs belong
to one API key, not to every local user (issue 16 item 6).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self._scratch = self._root / ".scratch"
        self._scratch.mkdir(mode=DIR_MODE, exist_ok=True)

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(p in ("..", ".", "") for p in parts):
            raise ValueError(f"invalid storage key: {key!r}")
        return self._root.joinpath(*parts)

    def _folder_for(self, key: str) -> Path:
        """The path of ``key``, its folders created 0700."""
        target = self._path(key)
        target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        return target

    def put_file(self, key: str, source: Path) -> int:
        target = self._folder_for(key)
        staging = target.with_name(target.name + ".part")
        try:
            os.replace(source, staging)  # same filesystem: a rename
        except OSError:
            shutil.copyfile(source, staging)
        os.chmod(staging, FILE_MODE)  # the engine wrote it under the process umask
        os.replace(staging, target)
        return target.stat().st_size

    def put_bytes(self, key: str, data: bytes) -> int:
        target = self._folder_for(key)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, target)
        return len(data)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def scratch_dir(self) -> Path:
        return Path(tempfile.mkdtemp(dir=self._scratch))
