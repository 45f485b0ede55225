"""``POST /v1/relay/hints/{upstream}``: where an upstream pushes its status (the ``callback_url``
the relay passes on create when ``REELSERVE_PUBLIC_URL`` is set).

A push is a hint, never the truth: it only makes the poller check that task now (a status call
to the upstream decides). The upstream's challenge is echoed, as MiniMax's handshake asks. No
key is needed (the upstream has none of ours); the worst a forged push can do is bring a status
call forward.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reelserve.api.deps import ContainerDep

router = APIRouter(tags=["relay"])


def upstream_task_id(body: Any) -> str | None:
    """The upstream's task id in a v1 push (``task_id``) or a V2 one (``task.id``)."""
    if not isinstance(body, dict):
        return None
    task = body.get("task")
    value = body.get("task_id") or (task.get("id") if isinstance(task, dict) else None)
    return str(value) if value else None


@router.post("/v1/relay/hints/{upstream}", include_in_schema=False)
async def hint(upstream: str, request: Request, container: ContainerDep) -> JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "challenge" in body:
        return JSONResponse({"challenge": body["challenge"]})
    task_id = upstream_task_id(body)
    relay = container.relay
    found = bool(task_id and relay is not None)
    if found and relay is not None and task_id is not None:
        found = await run_in_threadpool(relay.hint, upstream, task_id)
    return JSONResponse({"base_resp": {"status_code": 0, "status_msg": "success"}, "found": found})
