"""The store methods the dialects added, on SQLite and PostgreSQL: list in both orders, count,
delete of an ended task (with its files), uploads per key, and the task's dialect column."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.contract.test_task_store import LEASE, T0, make_task, record, video

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.store import SqlTaskStore
from reelserve.adapters.db.uploads import SqlUploadStore
from reelserve.domain.files import FileRecord
from reelserve.domain.tasks import TaskStatus


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    built = make_engine(url)
    migrate(built)
    return built


def test_list_pages_both_ways_and_counts(engine: Engine) -> None:
    store = SqlTaskStore(engine)
    for i in range(5):
        store.add(make_task(f"10{i}", created=T0 + timedelta(seconds=i)))
    store.add(make_task("200", owner="k2"))
    newest = store.list("k1", status=None, limit=2, cursor=None)
    assert [t.id for t in newest.tasks] == ["104", "103"] and newest.next_cursor == "103"
    oldest = store.list("k1", status=None, limit=2, cursor=None, ascending=True)
    assert [t.id for t in oldest.tasks] == ["100", "101"]
    rest = store.list("k1", status=None, limit=5, cursor="101", ascending=True)
    assert [t.id for t in rest.tasks] == ["102", "103", "104"] and rest.next_cursor is None
    assert (store.count("k1"), store.count("k2"), store.count("k3")) == (5, 1, 0)


def test_delete_removes_an_ended_task_and_its_files_only(engine: Engine) -> None:
    store = SqlTaskStore(engine)
    store.add(replace(make_task("300"), first_frame_key="inputs/300/first.png", dialect="openai"))
    assert store.get("300") is not None and store.get("300").dialect == "openai"  # type: ignore[union-attr]
    assert store.delete("300", "k1") == []  # still queued: kept
    claimed = store.claim("w", T0, LEASE)
    assert claimed is not None and claimed.lease is not None
    assert store.start_processing("300", claimed.lease.token, T0)
    assert store.complete(
        "300", claimed.lease.token, T0, file=record("300"), cost=claimed.cost_usd, video=video()
    )
    assert store.delete("300", "k2") == []  # another key's
    assert sorted(store.delete("300", "k1")) == ["inputs/300/first.png", "outputs/300/1.mp4"]
    assert store.get("300") is None and store.get_file("77") is None
    assert store.delete("300", "k1") == []


def test_uploads_are_per_key_and_apart_from_task_files(engine: Engine) -> None:
    uploads, store = SqlUploadStore(engine), SqlTaskStore(engine)
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
    store.add(make_task("400"))
    assert [r.id for r in uploads.list("k1", None)] == ["500"]
    assert (uploads.get("500", "k1"), uploads.get("500", "k2")) == (mine, None)
    assert uploads.list("k1", "video_generation") == []
    assert uploads.remove("500", "k2") is None
    assert uploads.remove("500", "k1") == mine
    assert uploads.list("k1", None) == [] and store.get("400") is not None
    assert store.get("400").status is TaskStatus.QUEUED  # type: ignore[union-attr]
