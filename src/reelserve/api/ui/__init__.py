"""The web studio: static HTML, JS and CSS served at ``/`` (no build step, no framework).

The page talks to the same public API as any client: ``GET /v1/models`` for the catalog,
``POST /v1/video_generation``, ``GET /v1/tasks/{id}/events`` read with ``fetch()`` streaming
(so the key stays in the ``Authorization`` header), ``GET /v1/tasks`` and the file routes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, Response

HERE = Path(__file__).parent
# Only the page's own assets are served (not this module's source).
ASSETS = {p.name: p for p in HERE.iterdir() if p.suffix in (".html", ".js", ".css", ".svg")}
_NO_CACHE = {"Cache-Control": "no-cache"}


def mount(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def studio() -> FileResponse:
        return FileResponse(HERE / "index.html", headers=_NO_CACHE)

    @app.get("/ui/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        path = ASSETS.get(name)
        if path is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(path, headers=_NO_CACHE)
