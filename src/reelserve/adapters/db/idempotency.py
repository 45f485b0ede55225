"""Idempotency keys in the database: look a key up; record it with the task that it created.

A key's row is written only by ``finish``, inside the transaction that inserts its task. A
request that dies before that commit (kill -9, a lost connection) therefore leaves nothing that
could block its retry, and of two requests racing with one key only one commits: the other finds
the key taken, or hits the primary key, and its whole transaction — task included — rolls back.
Requests still in progress are told apart in the process that runs them (services/tasks.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, delete, insert, select

from reelserve.adapters.db.engine import reading
from reelserve.adapters.db.tables import idempotency_keys
from reelserve.domain.idempotency import (
    KEEP_FOR,
    IdempotencyClaim,
    IdempotencyConflict,
    IdempotencyOutcome,
    IdempotencyState,
)


def _mine(claim: IdempotencyClaim) -> list[ColumnElement[bool]]:
    return [
        idempotency_keys.c.owner_key_id == claim.owner_key_id,
        idempotency_keys.c.key == claim.key,
    ]


def begin(engine: Engine, claim: IdempotencyClaim, now: datetime) -> IdempotencyOutcome:
    """STARTED when no live request finished with this key; DONE (replay) or MISMATCH if one did.

    Rows left ``pending`` by an earlier version, which reserved keys before creating the task,
    belong to no live request once read here: they are ignored, and ``finish`` replaces them.
    """
    with reading(engine) as conn:
        row = conn.execute(select(idempotency_keys).where(*_mine(claim))).mappings().first()
    if row is None or row["state"] != "done" or row["created_at"] < now - KEEP_FOR:
        return IdempotencyOutcome(state=IdempotencyState.STARTED)
    if row["fingerprint"] != claim.fingerprint:
        return IdempotencyOutcome(state=IdempotencyState.MISMATCH)
    return IdempotencyOutcome(state=IdempotencyState.DONE, task_id=row["task_id"])


def finish(conn: Connection, claim: IdempotencyClaim, task_id: str, now: datetime) -> None:
    """Record the key as done with ``task_id``; in the caller's transaction, which inserts the
    task. Raises IdempotencyConflict (rolling that transaction back) when another request with
    the key committed first."""
    row = conn.execute(select(idempotency_keys).where(*_mine(claim))).mappings().first()
    if row is not None and row["state"] == "done" and row["created_at"] >= now - KEEP_FOR:
        raise IdempotencyConflict(claim.key, IdempotencyState.IN_FLIGHT)
    conn.execute(delete(idempotency_keys).where(*_mine(claim)))
    conn.execute(  # a concurrent insert of the same key fails on the primary key (PostgreSQL)
        insert(idempotency_keys).values(
            owner_key_id=claim.owner_key_id,
            key=claim.key,
            fingerprint=claim.fingerprint,
            state="done",
            task_id=task_id,
            created_at=now,
        )
    )
