"""Idempotency keys in the database: take a key for a request, or say why not; forget it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from reelserve.adapters.db.engine import writing
from reelserve.adapters.db.tables import idempotency_keys
from reelserve.domain.idempotency import (
    KEEP_FOR,
    STALE_AFTER,
    IdempotencyClaim,
    IdempotencyOutcome,
    IdempotencyState,
)


def begin(engine: Engine, claim: IdempotencyClaim, now: datetime) -> IdempotencyOutcome:
    mine = [
        idempotency_keys.c.owner_key_id == claim.owner_key_id,
        idempotency_keys.c.key == claim.key,
    ]
    with writing(engine) as conn:
        row = conn.execute(select(idempotency_keys).where(*mine)).mappings().first()
        expired = row is not None and (
            row["created_at"] < now - KEEP_FOR
            or (row["state"] == "pending" and row["created_at"] < now - STALE_AFTER)
        )
        if row is None or expired:
            conn.execute(delete(idempotency_keys).where(*mine))
            conn.execute(
                insert(idempotency_keys).values(
                    owner_key_id=claim.owner_key_id,
                    key=claim.key,
                    fingerprint=claim.fingerprint,
                    state="pending",
                    created_at=now,
                )
            )
            return IdempotencyOutcome(state=IdempotencyState.STARTED)
    if row["fingerprint"] != claim.fingerprint:
        return IdempotencyOutcome(state=IdempotencyState.MISMATCH)
    if row["state"] == "done":
        return IdempotencyOutcome(state=IdempotencyState.DONE, task_id=row["task_id"])
    return IdempotencyOutcome(state=IdempotencyState.IN_FLIGHT)


def release(engine: Engine, claim: IdempotencyClaim) -> None:
    with writing(engine) as conn:
        conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.owner_key_id == claim.owner_key_id,
                idempotency_keys.c.key == claim.key,
                idempotency_keys.c.state == "pending",
            )
        )
