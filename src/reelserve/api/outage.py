"""A database that is down or restarting: "service unavailable, try again", never a hang or 500.

The container names what its database raises then (``Container.outage_errors``; the API never
imports the database library); each is answered through the dialect's error table as
`ServiceUnavailable` (MiniMax: HTTP 200, ``base_resp`` 1000; dialects with HTTP codes: 503),
with ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from reelserve.domain.errors import ServiceUnavailable

log = logging.getLogger("reelserve.api")

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def install(app: FastAPI, kinds: tuple[type[Exception], ...], on_error: ErrorHandler) -> None:
    async def on_outage(request: Request, error: Exception) -> Response:
        log.warning("database unavailable on %s: %s", request.url.path, error)
        unavailable = ServiceUnavailable()
        response = await on_error(request, unavailable)
        response.headers["Retry-After"] = str(round(unavailable.retry_after_s))
        return response

    for kind in kinds:
        app.add_exception_handler(kind, on_outage)
