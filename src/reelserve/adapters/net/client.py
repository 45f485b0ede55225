"""The one way reelserve makes outbound HTTP requests to addresses a client gave it.

``safe_client()`` builds an ``httpx.Client`` over the guarded backend: no proxies from the
environment (a proxy would fetch anything for us), no automatic redirects. ``open_stream()``
follows redirects by hand, each hop connecting through the guard again. ``read_capped()`` reads a
body with a byte cap that holds while decompressing: httpx's own decoder turned a 199 KiB gzip body
into one 64 MiB chunk (reliability.md §C.4), so we read raw bytes and inflate them in bounded steps.
"""

from __future__ import annotations

import ssl
import zlib
from collections.abc import Sequence

import certifi
import httpcore
import httpx

from reelserve.adapters.net.addresses import IPNetwork
from reelserve.adapters.net.backend import BlockedAddress, GuardedBackend, system_resolver
from reelserve.adapters.net.lookups import Lookups, Resolver

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A request failed; the message says why in words fit for a client (no stack details)."""


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: GuardedBackend, verify: ssl.SSLContext | None) -> None:
        super().__init__(trust_env=False)
        context = verify or ssl.create_default_context(cafile=certifi.where())
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=20,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def safe_client(
    *,
    allow_networks: Sequence[IPNetwork] = (),
    timeout: float = 10.0,
    resolver: Resolver = system_resolver,
    lookups: Lookups | None = None,
    verify: ssl.SSLContext | None = None,
    user_agent: str = "reelserve",
) -> httpx.Client:
    """An httpx client that reaches only public addresses plus ``allow_networks``.

    ``lookups`` bounds DNS lookups per key (one per process). ``resolver`` and ``verify`` exist
    for tests (a fake DNS answer, a local test CA).
    """
    backend = GuardedBackend(allow_networks, resolver=resolver, lookups=lookups)
    return httpx.Client(
        transport=_GuardedTransport(backend, verify),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent},
    )


def checked_url(url: str) -> httpx.URL:
    """``url`` parsed, when it is http(s) with a host and no user name; raises FetchError."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes an IDNA name: "xn--a" is not one
    except UnicodeError:  # idna's errors; before ValueError, which they also are
        raise FetchError("invalid url (the host is not a valid internationalised name)") from None
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"invalid url ({exc})") from exc
    if parsed.scheme not in ("http", "https") or not host:
        raise FetchError("only http and https URLs with a host are accepted")
    if parsed.userinfo:
        raise FetchError("URLs with a user name or password are not accepted")
    return parsed


def open_stream(
    client: httpx.Client, request: httpx.Request, *, max_redirects: int = MAX_REDIRECTS
) -> httpx.Response:
    """Send ``request`` and follow up to ``max_redirects`` redirects; the caller closes the result.

    Raises FetchError for a refused address, a network failure, a timeout or too many redirects.
    """
    hops = 0
    while True:
        try:
            response = client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise FetchError(describe(exc)) from exc
        if not response.has_redirect_location:
            return response
        response.close()
        if hops >= max_redirects:
            raise FetchError(f"more than {max_redirects} redirects")
        hops += 1
        assert response.next_request is not None  # set by httpx for every redirect status
        request = response.next_request
        checked_url(str(request.url))


def describe(exc: BaseException) -> str:
    """A short reason for a failed request, from the exception or the one it wraps."""
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, BlockedAddress):
            return str(chain)
        chain = chain.__cause__ or chain.__context__
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc})"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"invalid url ({exc})"
    return f"request failed ({type(exc).__name__}: {exc})"


def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, refusing it as soon as it grows past ``max_bytes``.

    Raises FetchError. Only identity, gzip and deflate bodies are accepted; each compressed chunk
    is inflated in steps so that memory never holds much more than ``max_bytes``.
    """
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"body is {declared} bytes; the limit is {max_bytes}")
        inflater = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: accept a gzip or zlib header
    else:
        raise FetchError(f"unsupported content-encoding {encoding!r}")
    out = bytearray()
    try:
        for chunk in response.iter_raw(_CHUNK):
            _append(out, chunk, inflater, max_bytes)
        if inflater is not None:
            out += inflater.flush()
    except httpx.HTTPError as exc:
        raise FetchError(describe(exc)) from exc
    except zlib.error as exc:
        raise FetchError(f"corrupt {encoding} body ({exc})") from exc
    if len(out) > max_bytes:
        raise FetchError(f"body is over {max_bytes} bytes")
    return bytes(out)


def _append(out: bytearray, chunk: bytes, inflater: zlib._Decompress | None, cap: int) -> None:
    if inflater is None:
        out += chunk
    else:
        pending = chunk
        while pending and len(out) <= cap:
            out += inflater.decompress(pending, cap + 1 - len(out))
            pending = inflater.unconsumed_tail
    if len(out) > cap:
        raise FetchError(f"body is over {cap} bytes")
