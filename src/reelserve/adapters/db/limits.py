"""SqlRateLimiter: requests per minute per key, counted in the database so that every API
process sees every other's requests (the ``RateLimiter`` port).

One row per counted request. A hit runs in a write transaction that holds the key's lock
(SQLite: BEGIN IMMEDIATE, the database's one writer; PostgreSQL: a transaction-scoped advisory
lock on the key), so two processes cannot both take the last request of a minute.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select

from reelserve.adapters.db.engine import writing
from reelserve.adapters.db.tables import rate_hits
from reelserve.domain.limits import WINDOW, check_rate


class SqlRateLimiter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def hit(self, key_id: str, limit: int, now: datetime) -> None:
        if not limit:
            return
        mine = rate_hits.c.key_id == key_id
        with writing(self._engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key_id))))
            conn.execute(delete(rate_hits).where(mine, rate_hits.c.at <= now - WINDOW))
            oldest, count = conn.execute(
                select(func.min(rate_hits.c.at), func.count()).where(mine)
            ).one()
            check_rate(limit, count, oldest, now)
            conn.execute(insert(rate_hits).values(key_id=key_id, at=now))
