"""How ``reelserve serve`` runs the app under uvicorn: TLS, timeouts, a connection limit, and
uvicorn's own log lines as JSON like every other line.

uvicorn has a keep-alive timeout but no timeout for a request's headers: a client that sends
half a request line and waits holds its connection for ever (issue 16 §13: 500 such connections
were still open after 70 s). ``_protocol`` adds one: a connection whose next request's headers
have not arrived ``header_timeout_s`` after it opened (or after the previous answer) is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from reelserve.settings import Settings

log = logging.getLogger("reelserve.api")


def _protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    class HeaderTimeoutH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_late)

        def _headers_late(self) -> None:
            self._header_timer = None
            waiting = self.conn.their_state is h11.IDLE  # no complete request line + headers
            if waiting and not self.transport.is_closing():
                log.info(
                    "closing a connection whose request headers took over %s s", header_timeout_s
                )
                self.transport.close()

    return HeaderTimeoutH11Protocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` from the settings."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": _protocol(settings.header_timeout_s),
        "timeout_keep_alive": settings.keep_alive_s,
        "limit_concurrency": settings.max_connections or None,
        "log_config": None,  # uvicorn's loggers propagate to the root: JSON lines (logs.py)
        "log_level": settings.log_level.lower(),
        "access_log": False,  # the app writes its own access line (api/ops.py)
    }
    if settings.ssl_certfile is not None:
        options["ssl_certfile"] = str(settings.ssl_certfile)
        options["ssl_keyfile"] = str(settings.ssl_keyfile) if settings.ssl_keyfile else None
    return options


def run(app: FastAPI, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(app, **uvicorn_options(settings))
