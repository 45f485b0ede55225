"""The one status write of the SQL task store: ``move``.

Every status change — claim, start, success, failure, cancel, requeue, reap — is ``UPDATE tasks
SET status = <target> … WHERE status IN <sources> AND …``, where the sources are read from the
domain's transition table (``domain.tasks.sources``), so the SQL cannot allow a move the table
forbids. The callback event of each moved task is written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, update

from reelserve.adapters.db.outbox import enqueue_events
from reelserve.adapters.db.tables import tasks
from reelserve.domain.tasks import Failure, Phase, TaskStatus, sources

ACTIVE = frozenset({TaskStatus.PREPARING, TaskStatus.PROCESSING})
NO_LEASE: dict[str, Any] = {"lease_token": None, "lease_owner": None, "lease_expires_at": None}


def ending(now: datetime) -> dict[str, Any]:
    """What every end of a task writes besides its status: phase done, the lease given up."""
    return {"phase": Phase.DONE.value, "finished_at": now, **NO_LEASE}


def failure(reason: Failure) -> dict[str, Any]:
    """What a failed or cancelled task records; failures are never charged."""
    return {
        "error_code": reason.code,
        "error_message": reason.message,
        "failure_kind": reason.kind.value,
        "cost_usd": "0",
    }


def move(
    conn: Connection,
    target: TaskStatus,
    now: datetime,
    where: Sequence[ColumnElement[bool]],
    values: dict[str, Any],
    *,
    among: frozenset[TaskStatus] | None = None,
    returning: Sequence[Any] = (tasks.c.id,),
) -> Sequence[RowMapping]:
    """Move the tasks matching ``where`` whose status may reach ``target`` (``among`` narrows
    the sources; the table must allow each); their rows as ``returning`` selects them."""
    allowed = sorted(s.value for s in sources(target, among))
    extra = [c for c in (tasks.c.id, tasks.c.callback_url) if all(c is not r for r in returning)]
    stmt = (
        update(tasks)
        .where(tasks.c.status.in_(allowed), *where)
        .values(status=target.value, updated_at=now, **values)
        .returning(*returning, *extra)
    )
    rows = conn.execute(stmt).mappings().all()
    # Only a task with a callback URL has a push to queue: no extra round trip for the others.
    enqueue_events(conn, [row["id"] for row in rows if row["callback_url"]], now)
    return rows
