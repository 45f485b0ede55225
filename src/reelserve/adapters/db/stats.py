"""SqlFileCatalog, SqlTaskStats and SqlHealth: the read-side ports over the same tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select, text

from reelserve.adapters.db.engine import reading
from reelserve.adapters.db.rows import row_to_file
from reelserve.adapters.db.tables import files, tasks, webhook_attempts
from reelserve.domain.files import FileRecord
from reelserve.domain.stats import FinishedTask
from reelserve.domain.tasks import TaskStatus


class SqlFileCatalog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, file_id: str, owner_key_id: str | None = None) -> FileRecord | None:
        query = select(files).where(files.c.id == file_id)
        if owner_key_id is not None:
            query = query.where(files.c.owner_key_id == owner_key_id)
        with reading(self._engine) as conn:
            row = conn.execute(query).mappings().first()
        return row_to_file(row) if row else None


class SqlTaskStats:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recent_durations(self, model: str, limit: int) -> Sequence[float]:
        query = (
            select(tasks.c.started_at, tasks.c.finished_at)
            .where(tasks.c.model == model, tasks.c.status == TaskStatus.SUCCEEDED.value)
            .order_by(tasks.c.finished_at.desc())
            .limit(limit)
        )
        with reading(self._engine) as conn:
            rows = conn.execute(query).all()
        return [
            (r.finished_at - r.started_at).total_seconds()
            for r in rows
            if r.started_at and r.finished_at
        ]

    def counts(self) -> Mapping[TaskStatus, int]:
        with reading(self._engine) as conn:
            rows = conn.execute(select(tasks.c.status, func.count()).group_by(tasks.c.status))
            return {TaskStatus(status): int(n) for status, n in rows}

    def finished_since(self, since: datetime | None) -> Sequence[FinishedTask]:
        columns = (tasks.c.model, tasks.c.status, tasks.c.created_at, tasks.c.started_at)
        query = select(*columns, tasks.c.finished_at).where(tasks.c.finished_at.is_not(None))
        if since is not None:
            query = query.where(tasks.c.finished_at > since)
        with reading(self._engine) as conn:
            rows = conn.execute(query.order_by(tasks.c.finished_at, tasks.c.id)).mappings().all()
        return [FinishedTask(**{**row, "status": TaskStatus(row["status"])}) for row in rows]

    def delivery_outcomes(self) -> Mapping[str, int]:
        outcome = webhook_attempts.c.outcome
        with reading(self._engine) as conn:
            rows = conn.execute(select(outcome, func.count()).group_by(outcome))
            return {str(name): int(n) for name, n in rows}


class SqlHealth:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def problem(self) -> str | None:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as error:  # any driver error means "not ready"; say which
            return f"{type(error).__name__}: {error}"
        return None
