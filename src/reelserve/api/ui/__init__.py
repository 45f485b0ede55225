"""The web studio: static HTML, JS and CSS served at ``/`` (no build step, no framework).

The page talks to the same public API as any client: ``GET /v1/models`` for the catalog,
``POST /v1/video_generation``, ``GET /v1/tasks/{id}/events`` read with ``fetch()`` streaming
(so the key stays in the ``Authorization`` header), ``GET /v1/tasks`` and the file routes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

HERE = Path(__file__).parent
# Only the page's own assets are served (not this module's source).
ASSETS = {p.name: p for p in HERE.iterdir() if p.suffix in (".html", ".js", ".css", ".svg")}
# The page loads only its own files and talks only to this server. The CSP forbids inline
# scripts and styles (the page has none; the JS sets DOM text with textContent), and framing.
_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: https:",  # a download URL may name REELSERVE_PUBLIC_URL's host
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": _CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


SWAGGER = HERE / "swagger"  # swagger-ui-dist, vendored (see its VERSION and LICENSE)
_SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def mount_docs(app: FastAPI) -> None:
    """``/docs`` from the package's own copy of Swagger UI: it works offline (FastAPI's
    default page loads Swagger UI from a CDN and is blank without one)."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media_type = _SWAGGER_FILES.get(name)
        if media_type is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(SWAGGER / name, media_type=media_type)


def mount(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def studio() -> FileResponse:
        return FileResponse(HERE / "index.html", headers=_HEADERS)

    @app.get("/ui/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        path = ASSETS.get(name)
        if path is None:
            return PlainTextResponse("not found", status_code=404, headers=_HEADERS)
        return FileResponse(path, headers=_HEADERS)
