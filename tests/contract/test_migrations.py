"""Migration 0004 on a database that has data, on SQLite and PostgreSQL: outbox rows become
neutral events (their status from the event and the task), tasks keep working, and it goes back
down cleanly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from reelserve.adapters.db.engine import alembic_config, make_engine
from reelserve.adapters.db.stores import sql_stores

T0 = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
TASK = (
    "INSERT INTO tasks (id, owner_key_id, model, requested_model, mode, prompt, camera_prompt,"
    " prompt_optimizer, duration, resolution, width, height, fps, frame_count, aigc_watermark,"
    " seed, status, phase, progress_step, progress_total, warnings, attempts, max_attempts,"
    " cancel_requested, error_code, error_message, cost_usd, created_at, updated_at)"
    " VALUES (:id, 'k1', 'T2V-01', 'T2V-01', 't2v', 'p', 'p [Zoom in]', true, 6, '768P', 1366,"
    " 768, 25, 150, false, 1, :status, 'done', 0, 0, '[]', 1, 3, false, 0, '', '0', :t, :t)"
)
PUSH = (
    "INSERT INTO webhook_deliveries (id, task_id, owner_key_id, event, seq, url, body, state,"
    " attempts, next_at, last_error, created_at, updated_at) VALUES (:id, :task, 'k1', :event,"
    " :seq, 'https://e.com/h', '{}', 'pending', 0, :t, '', :t, :t)"
)


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    built = make_engine(url)
    yield built  # type: ignore[misc]
    built.dispose()


def test_0004_turns_pushes_into_neutral_events(engine: Engine) -> None:
    _migrate(engine, "0003")
    with engine.begin() as conn:
        for task_id, status in (("1", "succeeded"), ("2", "cancelled")):
            conn.execute(text(TASK), {"id": task_id, "status": status, "t": T0})
        for task_id, event, seq in (
            ("1", "processing", 1),
            ("1", "success", 2),
            ("2", "failed", 2),
        ):
            push = {"id": f"msg_{task_id}_{event}", "task": task_id, "event": event, "seq": seq}
            conn.execute(text(PUSH), {**push, "t": T0})
    _migrate(engine, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, dialect FROM webhook_deliveries ORDER BY id"))
        assert [tuple(r) for r in rows] == [
            ("msg_1_processing", "processing", "minimax"),
            ("msg_1_success", "succeeded", "minimax"),
            ("msg_2_failed", "cancelled", "minimax"),
        ]
    stores = sql_stores(engine)
    task = stores.repository.get("1")
    assert task.dialect == "minimax" and [m.value for m in task.plan.moves] == ["Zoom in"]
    claimed = stores.outbox.claim(datetime(2026, 1, 2, tzinfo=UTC), timedelta(seconds=30))
    assert claimed is not None and claimed.id == "msg_1_processing"
    _migrate(engine, "0003", down=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar_one() == 3


FILE = (
    "INSERT INTO files (id, owner_key_id, task_id, storage_key, filename, purpose, bytes,"
    " content_type, created_at) VALUES ('9', 'k1', '1', 'outputs/1/a.mp4', 'output.mp4',"
    " 'video_generation', 10, 'video/mp4', :t)"
)


def test_0007_older_tasks_keep_sound_and_older_files_are_silent(engine: Engine) -> None:
    _migrate(engine, "0006")
    with engine.begin() as conn:
        conn.execute(text(TASK), {"id": "1", "status": "succeeded", "t": T0})
        conn.execute(text(FILE), {"t": T0})
    _migrate(engine, "head")
    stores = sql_stores(engine)
    assert stores.repository.get("1").audio is True
    record = stores.catalog.get("9")
    assert record is not None and record.has_audio is False
    _migrate(engine, "0006", down=True)
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM files")).keys()
        assert "has_audio" not in columns
