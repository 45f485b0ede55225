"""Issue 16 item 6: the data dir is 0700; the database, its WAL and SHM, and stored files 0600.

The process umask is set to the common 022 for each test, under which the old code left every
file readable by all local users.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelserve.bootstrap import build
from reelserve.domain.requests import GenerationRequest
from reelserve.settings import Settings
from tests.conftest import png_data_url


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_data_dir_database_and_videos_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    container = build(Settings(data_dir=data))
    try:
        owner = container.keys.create("perm").key
        request = GenerationRequest(
            model="MiniMax-Hailuo-02",
            prompt="a kite [Pan left]",
            resolution="512P",
            duration=6,
            first_frame_image=png_data_url(480, 320),
        )
        task = container.tasks.submit(owner, request)
        container.executor("w").run_next()
        done = container.tasks.get(owner, task.id)
        assert done.file_id, done
        record = container.tasks.get_file(owner, done.file_id)
        video = container.files.local_path(record.storage_key)
        assert video is not None and video.is_file()
        assert mode(data) == 0o700
        for name in ("reelserve.db", "reelserve.db-wal", "reelserve.db-shm", "secret.key"):
            assert (data / name).exists(), name
            assert mode(data / name) == 0o600, name
        assert mode(video) == 0o600
        assert mode(video.parent) == 0o700
        stored = [p for p in (data / "files").rglob("*") if p.is_file()]
        assert stored and all(mode(p) & 0o077 == 0 for p in stored), stored
    finally:
        container.close()


def test_existing_loose_data_dir_and_database_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    for name in ("reelserve.db", "reelserve.db-wal"):
        (data / name).touch(mode=0o644)
    (data / "reelserve.db-wal").unlink()  # an empty db file is a valid new database
    container = build(Settings(data_dir=data))
    try:
        container.keys.create("perm")
        assert mode(data) == 0o700
        for name in ("reelserve.db", "reelserve.db-wal", "reelserve.db-shm"):
            assert mode(data / name) == 0o600, name
    finally:
        container.close()
