"""The outermost layer of the app: a trace id on every answer, one path spelling, no escapes.

- ``Trace-Id`` (MINIMAX_API.md §1) is set on every answer and written in the access log line.
- A trailing slash is read as the path without it, instead of a redirect that POST clients do
  not follow.
- An unexpected exception is answered in the dialect's shape here and goes no further: past this
  point uvicorn would close the keep-alive connection without ``Connection: close``, and a pooled
  client's next request on that socket would fail (issue 17 §2).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelserve.logs import current_trace_id

log = logging.getLogger("reelserve.api")

Render = Callable[[Request, Exception], Awaitable[Response]]


def new_trace_id() -> str:
    return secrets.token_hex(16)


class Edge:
    def __init__(self, app: ASGIApp, render: Render) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
        trace_id = new_trace_id()
        token = current_trace_id.set(trace_id)
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"trace-id", trace_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:  # nothing can be said any more; let the server end the connection
                raise
            response = await self.render(Request(scope), error)
            await response(scope, receive, sending)
        finally:
            current_trace_id.reset(token)
