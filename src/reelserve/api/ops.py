"""Operations: liveness, readiness, and a request log line that names the task."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelserve import __version__
from reelserve.api.deps import ContainerDep
from reelserve.logs import current_trace_id, task_context

router = APIRouter(tags=["operations"])
log = logging.getLogger("reelserve.access")


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__})


@router.get(
    "/readyz",
    summary="Readiness: the database answers",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ready", "database": "ok"}}}},
        503: {
            "content": {
                "application/json": {
                    "example": {"status": "unavailable", "database": "unavailable"}
                }
            }
        },
    },
)
async def readyz(container: ContainerDep) -> JSONResponse:
    problem = await run_in_threadpool(container.health.problem)
    if problem:
        # The driver's text names hosts, users and paths: the log has it, the answer does not.
        log.warning("readiness: the database does not answer: %s", problem)
        return JSONResponse({"status": "unavailable", "database": "unavailable"}, status_code=503)
    upstreams = container.relay.problems() if container.relay is not None else {}
    if upstreams:  # other models still work: degraded, not unavailable
        return JSONResponse({"status": "degraded", "database": "ok", "upstreams": upstreams})
    return JSONResponse({"status": "ready", "database": "ok"})


def _task_id_of(path: str, query: str) -> str | None:
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "task_id" and value.isdigit():
            return value
    parts = path.split("/")
    if "tasks" in parts[:-1]:
        candidate = parts[parts.index("tasks") + 1]
        return candidate if candidate.isdigit() else None
    return None


def _facts(scope: Scope, ms: float, task_id: str | None) -> dict[str, object]:
    """What an access line carries besides the request line: time taken, trace id, the caller's
    address and (once authenticated) key id."""
    facts: dict[str, object] = {"ms": ms, "trace_id": current_trace_id.get()}
    if task_id:
        facts["task_id"] = task_id
    client = scope.get("client")
    if client:
        facts["client"] = client[0]
    key_id = scope.get("state", {}).get("key_id")
    if key_id:
        facts["key_id"] = key_id
    return facts


class AccessLog:
    """One access line per request (method, path, status, ms, trace id, client address, key id),
    carrying the task id if any.

    Plain ASGI rather than ``BaseHTTPMiddleware`` so that event streams pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        path = scope.get("path", "")

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        query = scope.get("query_string", b"").decode("latin-1")
        task_id = _task_id_of(path, query)
        with task_context(task_id):
            try:
                await self.app(scope, receive, sending)
            finally:
                ms = round((time.perf_counter() - started) * 1000, 1)
                facts = _facts(scope, ms, task_id)
                log.info("%s %s %s", scope.get("method"), path, status, extra=facts)
