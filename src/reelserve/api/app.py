"""The FastAPI application: routers per dialect and the one error table."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from reelserve import __version__
from reelserve.api import (
    downloads,
    events,
    metrics,
    ops,
    outage,
    relay_hints,
    tasks_ext,
    ui,
    webhooks_ext,
)
from reelserve.api.dialects import files, minimax_v1, minimax_v2, vtrix
from reelserve.api.dialects import openai as openai_dialect
from reelserve.api.dialects.minimax_v2.errors import v2_error
from reelserve.api.dialects.openai.errors import openai_error
from reelserve.api.dialects.routing import Render, domain_error, rendered
from reelserve.api.edge import Edge
from reelserve.api.errors import minimax_error, vtrix_error
from reelserve.bootstrap import Container
from reelserve.domain.errors import NoRoute, ReelserveError

MINIMAX_PREFIXES = ("", "/minimax", "/task/minimax", "/minimaxi")


# Requests that reach no route (404, 405) or fail before one: the dialect whose paths they
# name answers; a dialect's routes render their own errors (api/dialects/routing.py).
_UNROUTED: tuple[tuple[str, Render], ...] = (
    ("/model/", vtrix_error),
    ("/v1/videos", openai_error),
    ("/v2/", v2_error),
)


def _unrouted_render(path: str) -> Render | None:
    for prefix, render in _UNROUTED:
        if path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/"):
            return render
    return None


async def _on_error(request: Request, error: Exception) -> Response:
    """MiniMax's shape for the routes outside the dialect packages (``tasks_ext``, …)."""
    problem = domain_error(request, error)
    return rendered(_unrouted_render(request.url.path) or minimax_error, problem)


async def _on_http(request: Request, error: Exception) -> Response:
    """404 and 405 from the router, in the dialect's shape (MiniMax: HTTP 200 under /v1)."""
    assert isinstance(error, HTTPException)
    path, method = request.url.path, request.method
    if error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "")
        problem = NoRoute(f"method: {method} is not allowed on {path} (allowed: {allowed})")
    else:
        problem = NoRoute(f"path: {path!r} is not a route of this server")
    render = _unrouted_render(path)
    response = (render or minimax_error)(problem)
    if render is not None or not path.startswith(_MINIMAX_PATHS):
        response.status_code = error.status_code
    response.headers.update(error.headers or {})
    return response


_MINIMAX_PATHS = tuple(f"{prefix}/v1/" for prefix in MINIMAX_PREFIXES)


def _drop_validation_responses(document: dict[str, Any]) -> None:
    """FastAPI documents a 422 ``HTTPValidationError`` on every route with parameters; reelserve
    never sends it (``_on_error`` answers with the dialect's own error instead)."""
    generated = {"$ref": "#/components/schemas/HTTPValidationError"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            content = responses.get("422", {}).get("content", {})
            if content.get("application/json", {}).get("schema") == generated:
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def _documented(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _drop_validation_responses(generate())  # generate() caches it in openapi_schema
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        redirect_slashes=False,  # Edge reads "/path/" as "/path" instead
        docs_url=None,  # ui.mount_docs serves /docs from the package, not from a CDN
        redoc_url=None,
        title="reelserve",
        version=__version__,
        description="A self-hosted video-generation server that speaks the MiniMax (Hailuo) "
        "video API. Authenticate with `Authorization: Bearer <API key>`.",
    )
    app.state.container = container
    for prefix in MINIMAX_PREFIXES:
        app.include_router(minimax_v1.router, prefix=prefix, include_in_schema=prefix == "")
    app.include_router(downloads.router)
    app.include_router(vtrix.router)
    app.include_router(openai_dialect.router)
    app.include_router(minimax_v2.router)
    app.include_router(files.router)
    app.add_exception_handler(ReelserveError, _on_error)
    app.add_exception_handler(RequestValidationError, _on_error)
    app.add_exception_handler(HTTPException, _on_http)
    outage.install(app, container.outage_errors, _on_error)
    app.include_router(tasks_ext.router)
    app.include_router(webhooks_ext.router)
    app.include_router(events.router)
    app.include_router(ops.router)
    app.include_router(metrics.router)
    app.include_router(relay_hints.router)
    app.state.metrics_registry = metrics.registry_for(
        container.stats, relay=lambda: container.relay.stats() if container.relay else []
    )
    ui.mount(app)
    ui.mount_docs(app)
    _documented(app)
    app.add_middleware(ops.AccessLog)
    app.add_middleware(Edge, render=_on_error)  # outermost: unexpected errors stop here
    return app
