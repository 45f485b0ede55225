"""How ``reelserve serve`` runs the app under uvicorn: TLS, timeouts, a connection limit, and
uvicorn's own log lines as JSON like every other line.

uvicorn has a keep-alive timeout but no timeout for a request's headers: a client that sends
half a request line and waits holds its connection for ever (issue 16 §13: 500 such connections
were still open after 70 s). ``_protocol`` adds one: a connection whose next request's headers
have not arrived ``header_timeout_s`` after it opened (or after the previous answer) is closed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from typing import TYPE_CHECKING, Any

import h11
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from reelserve.settings import Settings

if TYPE_CHECKING:
    from reelserve.bootstrap import Container

log = logging.getLogger("reelserve.api")


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request headers are late."""

    header_timeout_s: float = 10.0
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
        self._header_timer = self.loop.call_later(self._timeout(), self._headers_late)

    def _timeout(self) -> float:
        return self.header_timeout_s

    def _headers_late(self) -> None:
        self._header_timer = None
        waiting = self.conn.their_state is h11.IDLE  # no complete request line + headers
        if waiting and not self.transport.is_closing():
            log.info("closing a connection whose request headers took over %s s", self._timeout())
            self.transport.close()


class EnvironmentH11Protocol(HeaderTimeoutH11Protocol):
    """The protocol of ``--processes N``: uvicorn pickles its options into each fresh process,
    so the protocol goes by name and reads its timeout from the settings there."""

    def _timeout(self) -> float:
        return _environment_timeout()


@functools.cache
def _environment_timeout() -> float:
    return Settings().header_timeout_s


def _protocol(timeout_s: float) -> type[asyncio.Protocol]:
    class TimedH11Protocol(HeaderTimeoutH11Protocol):
        header_timeout_s = timeout_s

    return TimedH11Protocol


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


def serve(container: Container, settings: Settings) -> None:
    """One process: the app built here. Several: uvicorn's supervisor starts fresh processes
    that build their own app from the same settings (the command line's exported first), with
    the same TLS, timeouts and connection limit."""
    import uvicorn

    if settings.processes == 1:
        from reelserve.api.app import create_app

        run(create_app(container), settings)
        return
    export_settings(settings)
    options = uvicorn_options(settings)
    options["http"] = f"{__name__}:{EnvironmentH11Protocol.__name__}"
    factory = "reelserve.api.process:app_from_environment"
    uvicorn.run(factory, factory=True, workers=settings.processes, **options)


def export_settings(settings: Settings) -> None:
    """Write the settings a command line can set to the environment the processes inherit."""
    values: dict[str, object | None] = {
        "DATA_DIR": settings.data_dir.resolve(),
        "HOST": settings.host,
        "PORT": settings.port,
        "HEADER_TIMEOUT_S": settings.header_timeout_s,
        "SSL_CERTFILE": settings.ssl_certfile,
        "SSL_KEYFILE": settings.ssl_keyfile,
    }
    for name, value in values.items():
        if value is not None:
            os.environ[f"REELSERVE_{name}"] = str(value)
