"""Helpers for the security tests: loopback servers that count every connection, bomb builders."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image


def png_bytes(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


class CountingServer(ThreadingHTTPServer):
    """Counts every accepted connection, so a refused request leaves ``connections`` at 0.

    GET answers an image; POST echoes a JSON ``challenge``; ``redirect`` (if set) answers 302.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family
        self.connections = 0
        self.redirect: str | None = None
        self.body = png_bytes()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def do_GET(self) -> None:
        if self.server.redirect is not None:
            self.send_response(302)
            self.send_header("Location", self.server.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._answer(self.server.body, "image/png")

    def do_POST(self) -> None:
        if self.server.redirect is not None:
            self.do_GET()
            return
        length = int(self.headers.get("Content-Length", "0"))
        sent = json.loads(self.rfile.read(length) or b"{}")
        self._answer(json.dumps({"challenge": sent.get("challenge")}).encode(), "application/json")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(hosts: Sequence[str], port: int = 0) -> Iterator[list[CountingServer]]:
    """One CountingServer per host, all on the same port (the first one's, when port is 0)."""
    servers: list[CountingServer] = []
    try:
        for host in hosts:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            server = CountingServer((host, port), family)
            port = server.port
            servers.append(server)
            threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        yield servers
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def fake_dns(table: dict[str, list[str]]) -> Callable[[str, int], Sequence[str]]:
    """A resolver for tests: names from ``table``, anything else through the system resolver."""

    def resolve(host: str, port: int) -> Sequence[str]:
        if host in table:
            return table[host]
        return [str(i[4][0]) for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]

    return resolve


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` but whose pixel data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF marker is patched to declare another size."""
    out = io.BytesIO()
    Image.new("RGB", (400, 400), (90, 90, 90)).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def gzip_bomb(decoded_mib: int) -> bytes:
    """gzip of ``decoded_mib`` MiB of zeros, built without holding the decoded bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(decoded_mib)) + packer.flush()


def rss_mib(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


@contextlib.contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """Measures the peak resident memory added inside the block (Linux: VmHWM after a reset)."""
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    result = {"base_mib": rss_mib("VmRSS")}
    yield result
    result["peak_added_mib"] = rss_mib("VmHWM") - result["base_mib"]
