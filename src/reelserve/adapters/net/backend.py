"""An httpcore network backend that checks addresses at connect time and enforces a deadline.

Checking a URL string is not enough: ``getaddrinfo`` turns ``2130706433``, ``0x7f000001`` and
``127.1`` into 127.0.0.1, and a second DNS lookup may answer differently from the one that was
checked (rebinding). So the backend resolves the host itself, refuses the connection when *any*
answer is not allowed, and connects to the checked literal address. TLS still verifies the URL's
hostname: httpcore passes the origin host to ``start_tls`` whatever address we connect to.

httpx's timeouts apply per socket operation, so a server that drips a byte every few seconds never
trips them. ``deadline(seconds)`` sets an overall budget for the requests made inside it (in this
thread or task); every connect, read and write is cut to the time left.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import httpcore

from reelserve.adapters.net.addresses import IPAddress, IPNetwork, ip_from_text, refusal
from reelserve.adapters.net.lookups import Lookups, Resolver

log = logging.getLogger("reelserve.net")

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "reelserve_net_deadline", default=None
)


class BlockedAddress(httpcore.ConnectError):
    """The host resolved to an address that outbound requests may not reach."""


def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every network operation inside the block to ``seconds`` from now, in total."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _budget(timeout: float | None, timeout_exc: type[Exception]) -> float | None:
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise timeout_exc("the overall deadline passed")
    return left if timeout is None else min(timeout, left)


@functools.cache
def shared_lookups() -> Lookups:
    """The process's lookups when none was given (tests, scripts); ``build`` passes its own."""
    return Lookups()


def _lookup(
    lookups: Lookups, resolve: Resolver, host: str, port: int, timeout: float | None
) -> Sequence[str]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return resolve(host, port)  # a literal address needs no lookup, and no thread
    return lookups.resolve(resolve, host, port, timeout)


class _DeadlineStream(httpcore.NetworkStream):
    """Cuts every read and write to the time left before the caller's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, budget))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    def __init__(
        self,
        allow_networks: Sequence[IPNetwork] = (),
        *,
        resolver: Resolver = system_resolver,
        lookups: Lookups | None = None,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._allow = tuple(allow_networks)
        self._resolve = resolver
        self._lookups = lookups or shared_lookups()
        self._inner = inner or httpcore.SyncBackend()

    def checked_addresses(
        self, host: str, port: int, timeout: float | None = None
    ) -> list[IPAddress]:
        """Every address ``host`` resolves to; raises BlockedAddress if any one is not allowed."""
        name = host.strip("[]")
        try:
            answers = [
                ip_from_text(a) for a in _lookup(self._lookups, self._resolve, name, port, timeout)
            ]
        except (OSError, UnicodeError, ValueError):
            raise httpcore.ConnectError(f"could not resolve {host!r}") from None
        if not answers:
            raise httpcore.ConnectError(f"could not resolve {host!r}")
        for address in answers:
            reason = refusal(address, self._allow)
            if reason is not None:
                # The reason names the address; a client that gave a name must not learn what
                # it resolves to (a probe of internal DNS), so only the log says.
                log.info("outbound %r refused: %s", host, reason)
                literal = name == str(address)
                raise BlockedAddress(reason if literal else f"{host!r} is not allowed")
        return list(dict.fromkeys(answers))  # keep the resolver's order, drop repeats

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        budget = _budget(timeout, httpcore.ConnectTimeout)
        for address in self.checked_addresses(host, port, budget):
            budget = _budget(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(
                    str(address), port, budget, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # try the next checked address, as getaddrinfo callers do
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress("unix sockets are not allowed for outbound requests")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
