"""SqlUploadStore: uploaded files in the ``files`` table, told apart by having no task."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, insert, select

from reelserve.adapters.db.engine import reading, writing
from reelserve.adapters.db.rows import file_to_row, row_to_file
from reelserve.adapters.db.tables import files
from reelserve.domain.files import FileRecord

NO_TASK = ""


class SqlUploadStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, record: FileRecord) -> None:
        with writing(self._engine) as conn:
            conn.execute(insert(files).values(file_to_row(record)))

    def list(self, owner_key_id: str, purpose: str | None) -> Sequence[FileRecord]:
        query = select(files).where(
            files.c.owner_key_id == owner_key_id, files.c.task_id == NO_TASK
        )
        if purpose:
            query = query.where(files.c.purpose == purpose)
        with reading(self._engine) as conn:
            rows = conn.execute(query.order_by(files.c.id.desc())).mappings().all()
        return [row_to_file(row) for row in rows]

    def get(self, file_id: str, owner_key_id: str) -> FileRecord | None:
        query = select(files).where(
            files.c.id == file_id, files.c.owner_key_id == owner_key_id, files.c.task_id == NO_TASK
        )
        with reading(self._engine) as conn:
            row = conn.execute(query).mappings().first()
        return row_to_file(row) if row else None

    def remove(self, file_id: str, owner_key_id: str) -> FileRecord | None:
        mine = (files.c.id == file_id, files.c.owner_key_id == owner_key_id)
        with writing(self._engine) as conn:
            row = (
                conn.execute(
                    files.delete().where(*mine, files.c.task_id == NO_TASK).returning(*files.c)
                )
                .mappings()
                .first()
            )
        return row_to_file(row) if row else None
