"""Helpers for the intake tests: real image files made with Pillow, a real HTTP server."""

from __future__ import annotations

import base64
import contextlib
import io
import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]

Handler = Callable[[BaseHTTPRequestHandler], None]


def encode(
    size: tuple[int, int] = (640, 480),
    fmt: str = "PNG",
    mode: str = "RGB",
    color: Any = (200, 30, 30),
    **save: Any,
) -> bytes:
    """A real image file of one colour."""
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def data_url(data: bytes, label: str = "png") -> str:
    return f"data:image/{label};base64," + base64.b64encode(data).decode()


def decoded(png: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(png), formats=["PNG"])
    im.load()
    return im


@dataclass
class LocalServer:
    """A threaded HTTP server on 127.0.0.1; ``routes`` map a path to a handler function."""

    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.httpd is not None
        return int(self.httpd.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def serve_bytes(self, path: str, body: bytes, content_type: str = "image/png") -> str:
        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = handler
        return self.url(path)


def start_server(server: LocalServer, host: str = "127.0.0.1") -> LocalServer:
    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            server.hits.append(path)
            route = server.routes.get(path)
            if route is None:
                self.send_error(404)
                return
            # The client may hang up on purpose (byte caps, deadlines).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)

        do_POST = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.httpd = ThreadingHTTPServer((host, 0), _Handler)
    server.httpd.daemon_threads = True
    threading.Thread(target=server.httpd.serve_forever, args=(0.02,), daemon=True).start()
    return server
