"""Error rendering scoped to one router: its routes catch their own errors and answer in their
dialect's shape, so ``app.py`` never looks at a path to pick the shape."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ClassVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from reelserve.api.schemas import violation
from reelserve.domain.errors import (
    InternalError,
    InvalidParams,
    ReelserveError,
    ServiceUnavailable,
)

log = logging.getLogger("reelserve.api")

Render = Callable[[ReelserveError], Response]
_SOURCES = ("query", "path", "header", "body")  # where a field came from, not its name


def domain_error(request: Request, error: Exception) -> ReelserveError:
    """Any exception as the domain error the dialect renders (unexpected ones are logged)."""
    if isinstance(error, ReelserveError):
        return error
    container = getattr(request.app.state, "container", None)
    if container is not None and isinstance(error, container.outage_errors):
        log.warning("database unavailable on %s: %s", request.url.path, error)
        return ServiceUnavailable()  # the database is away (api/outage.py for the other routes)
    if isinstance(error, HTTPException) and error.status_code < 500:
        # Starlette's multipart parser refuses a malformed body this way (too many fields, …).
        return InvalidParams(f"body: {error.detail}")
    if isinstance(error, RequestValidationError):
        found = []
        for item in error.errors():
            loc = [str(p) for p in item.get("loc", ()) if p not in _SOURCES]
            found.append(violation(".".join(loc) or "request", item))
        return InvalidParams(found)
    log.exception("unexpected error on %s", request.url.path, exc_info=error)
    return InternalError("unexpected server error")


def rendered(render: Render, error: ReelserveError) -> Response:
    """``render``'s answer; a database outage also says when to try again (api/outage.py)."""
    response = render(error)
    if isinstance(error, ServiceUnavailable) and "retry-after" not in response.headers:
        response.headers["Retry-After"] = str(round(error.retry_after_s))
    return response


class _ScopedRoute(APIRoute):
    render: ClassVar[Render]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        render = type(self).render

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:  # every error answers in the dialect
                return rendered(render, domain_error(request, error))

        return answer


def scoped_route(render: Render) -> type[APIRoute]:
    """An APIRoute class whose routes render every error with ``render``."""
    namespace: Mapping[str, Any] = {"render": staticmethod(render)}
    return type("ScopedRoute", (_ScopedRoute,), dict(namespace))
