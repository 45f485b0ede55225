"""SqlKeyStore: API keys (hashes only) in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from reelserve.adapters.db.engine import reading, writing
from reelserve.adapters.db.rows import key_to_row, row_to_key
from reelserve.adapters.db.tables import api_keys
from reelserve.domain.keys import ApiKey


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, key: ApiKey) -> None:
        with writing(self._engine) as conn:
            conn.execute(insert(api_keys).values(key_to_row(key)))

    def by_hash(self, key_hash: str) -> ApiKey | None:
        with reading(self._engine) as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).mappings()
            found = row.first()
        return row_to_key(found) if found else None

    def all(self) -> Sequence[ApiKey]:
        with reading(self._engine) as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings().all()
        return [row_to_key(r) for r in rows]

    def revoke(self, id_or_name: str, now: datetime) -> ApiKey | None:
        match = (api_keys.c.id == id_or_name) | (api_keys.c.name == id_or_name)
        with writing(self._engine) as conn:
            conn.execute(
                update(api_keys)
                .where(match, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(select(api_keys).where(match)).mappings().first()
        return row_to_key(row) if row else None
