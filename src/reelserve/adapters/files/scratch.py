"""LocalScratch: temporary work folders on this machine's disk, whatever the file store is."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LocalScratch:
    def __init__(self, root: Path | None = None) -> None:
        """``root``: where the folders go (None: the system temp folder)."""
        self._root = root
        if root is not None:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)  # renders are private too

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        path = Path(tempfile.mkdtemp(prefix="task-", dir=self._root))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
