"""The repository methods the dialects added, on every backend (memory, SQLite, PostgreSQL):
list in both orders, count, delete of an ended task with its files; and, on SQL, uploads per key
and the task's remix source column."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.contract.helpers import LEASE, T0, make_task, success

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.stores import sql_stores
from reelserve.adapters.db.uploads import SqlUploadStore
from reelserve.domain.files import FileRecord
from reelserve.domain.tasks import TaskStatus


def test_list_pages_both_ways_and_counts(stores: Any) -> None:
    repository = stores.repository
    for i in range(5):
        repository.add(make_task(f"10{i}", created=T0 + timedelta(seconds=i)))
    repository.add(make_task("200", owner="k2"))
    newest = repository.list("k1", status=None, limit=2, cursor=None)
    assert [t.id for t in newest.tasks] == ["104", "103"] and newest.next_cursor == "103"
    oldest = repository.list("k1", status=None, limit=2, cursor=None, ascending=True)
    assert [t.id for t in oldest.tasks] == ["100", "101"]
    rest = repository.list("k1", status=None, limit=5, cursor="101", ascending=True)
    assert [t.id for t in rest.tasks] == ["102", "103", "104"] and rest.next_cursor is None
    counts = (repository.count("k1"), repository.count("k2"), repository.count("k3"))
    assert counts == (5, 1, 0)


def test_delete_removes_an_ended_task_and_its_files_only(stores: Any) -> None:
    repository, queue = stores.repository, stores.queue
    task = replace(make_task("300"), first_frame_key="inputs/300/first.png", remixed_from="299")
    repository.add(task)
    assert repository.get("300").remixed_from == "299"
    assert list(repository.delete("300", "k1")) == []  # still queued: kept
    token = queue.claim("w", T0, LEASE).lease.token
    assert queue.transition("300", token, T0, TaskStatus.PROCESSING)
    assert queue.transition("300", token, T0, TaskStatus.SUCCEEDED, result=success("300"))
    assert list(repository.delete("300", "k2")) == []  # another key's
    removed = sorted(repository.delete("300", "k1"))
    assert removed == ["inputs/300/first.png", "outputs/300/1.mp4"]
    assert repository.get("300") is None and stores.catalog.get("77") is None
    assert list(repository.delete("300", "k1")) == []


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    built = make_engine(url)
    migrate(built)
    return built


def test_uploads_are_per_key_and_apart_from_task_files(engine: Engine) -> None:
    uploads, stores = SqlUploadStore(engine), sql_stores(engine)
    mine = FileRecord(
        id="500",
        owner_key_id="k1",
        task_id="",
        storage_key="uploads/500/a.png",
        filename="a.png",
        purpose="prompt_image",
        bytes=3,
        created_at=T0,
        content_type="image/png",
    )
    uploads.add(mine)
    uploads.add(replace(mine, id="501", owner_key_id="k2"))
    stores.repository.add(make_task("400"))
    assert [r.id for r in uploads.list("k1", None)] == ["500"]
    assert (uploads.get("500", "k1"), uploads.get("500", "k2")) == (mine, None)
    assert uploads.list("k1", "video_generation") == []
    assert uploads.remove("500", "k2") is None
    assert uploads.remove("500", "k1") == mine
    assert uploads.list("k1", None) == [] and stores.repository.get("400") is not None
