"""A loopback TCP server that accepts connections and never answers (a receiver or image host
that hangs), for the load tests and the abuse drill."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class HangingServer:
    """Accepts every connection, reads nothing, answers nothing, until ``close()``."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="hanging-server", daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        return len(self._held)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        # shutdown wakes the accept() in progress; close alone leaves the socket listening.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        for conn in self._held:
            conn.close()

    def __enter__(self) -> HangingServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
