"""Cross-process wake-ups on one machine (the SQLite deployment): Unix datagram sockets.

Each process that waits for work binds one datagram socket in a shared folder (``wake/`` in the
data dir); ``notify`` sends one byte to every socket there. A socket whose process died refuses
the datagram and is removed. Sending never blocks: a full receive buffer already means "wake
up". Unix socket paths are limited to about 100 bytes, so a long data dir uses a folder under
the system temp dir named by a hash of it instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import socket
import tempfile
import threading
from pathlib import Path

from reelserve.adapters.wakeups.local import LocalWakeups

log = logging.getLogger(__name__)
_MAX_PATH = 100  # sockaddr_un holds 108 bytes on Linux, 104 on macOS
_SUFFIX = ".sock"


def wake_dir(data_dir: Path) -> Path:
    """The folder every process on ``data_dir`` uses: short enough for socket paths."""
    preferred = data_dir.resolve() / "wake"
    if len(str(preferred)) + 24 <= _MAX_PATH:
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"reelserve-wake-{digest}"


class UnixSocketWakeups:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._local = LocalWakeups()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._path: Path | None = None
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)

    def notify(self) -> None:
        self._local.notify()
        try:
            peers = [p for p in self._dir.iterdir() if p.name.endswith(_SUFFIX)]
        except FileNotFoundError:
            return  # no process has waited yet
        for peer in peers:
            if peer != self._path:
                self._send(peer)

    def _send(self, peer: Path) -> None:
        try:
            self._sender.sendto(b"!", str(peer))
        except (ConnectionRefusedError, FileNotFoundError):
            with contextlib.suppress(FileNotFoundError):
                peer.unlink()  # its process is gone
        except (BlockingIOError, OSError):
            pass  # its buffer is full: it has a wake-up pending already

    def interrupt(self) -> None:
        self._local.interrupt()

    def wait(self, timeout: float) -> bool:
        self._listen()
        return self._local.wait(timeout)

    def _listen(self) -> None:
        """Bind this process's socket on its first wait (processes that only notify never do)."""
        with self._lock:
            if self._sock is not None:
                return
            self._dir.mkdir(parents=True, exist_ok=True)
            path = self._dir / f"{os.getpid()}-{secrets.token_hex(4)}{_SUFFIX}"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(path))
            sock.settimeout(1.0)  # the receiver looks at ``_sock`` each second: close ends it
            self._sock, self._path = sock, path
        threading.Thread(target=self._receive, args=(sock,), name="wakeups", daemon=True).start()

    def _receive(self, sock: socket.socket) -> None:
        while self._sock is sock:
            try:
                sock.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            self._local.notify()

    def close(self) -> None:
        with self._lock:
            sock, path, self._sock, self._path = self._sock, self._path, None, None
        if sock is not None:
            sock.close()
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._sender.close()
        self._local.close()
