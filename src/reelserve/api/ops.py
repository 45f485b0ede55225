"""Operations: liveness, readiness, and a request log line that names the task."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from reelserve import __version__
from reelserve.api.deps import ContainerDep
from reelserve.logs import task_context

router = APIRouter(tags=["operations"])
log = logging.getLogger("reelserve.access")


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__})


def _database_ok(container: ContainerDep) -> str | None:
    try:
        with container.database.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not ready"; say which
        return f"{type(error).__name__}: {error}"
    return None


@router.get(
    "/readyz",
    summary="Readiness: the database answers",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ready", "database": "ok"}}}},
        503: {
            "content": {
                "application/json": {
                    "example": {"status": "unavailable", "database": "OperationalError: …"}
                }
            }
        },
    },
)
async def readyz(container: ContainerDep) -> JSONResponse:
    problem = await run_in_threadpool(_database_ok, container)
    if problem:
        return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok"})


def _task_id_of(request: Request) -> str | None:
    task_id = request.query_params.get("task_id")
    if task_id:
        return task_id
    parts = request.url.path.split("/")
    if "tasks" in parts[:-1]:
        candidate = parts[parts.index("tasks") + 1]
        return candidate if candidate.isdigit() else None
    return None


async def log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """One access line per request (method, path, status, ms), carrying the task id if any."""
    started = time.perf_counter()
    with task_context(_task_id_of(request)):
        response = await call_next(request)
        log.info(
            "%s %s %s",
            request.method,
            request.url.path,
            response.status_code,
            extra={"ms": round((time.perf_counter() - started) * 1000, 1)},
        )
    return response
