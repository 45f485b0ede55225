"""Request-scoped helpers: the container, the caller's key, the body with a size cap."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidApiKey, InvalidParams, Unauthorized
from reelserve.domain.keys import ApiKey

log = logging.getLogger("reelserve.api")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


# Declares the scheme in the OpenAPI document only: the key service reads the raw header itself,
# so that a missing, malformed or unknown key gets its own MiniMax 1004 message.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer <API key>` (create keys with `reelserve keys create`).",
)


def get_creator(
    request: Request,
    container: ContainerDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> ApiKey:
    """The caller of a create: an unknown key is 2049 ``invalid api key`` (MINIMAX_API.md §8)."""
    key = container.keys.authenticate(request.headers.get("authorization"))
    request.state.key_id = key.id  # for the access log line
    return key


def get_owner(
    request: Request,
    container: ContainerDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> ApiKey:
    """The caller of any other route: every key problem is 1004 there (§8 lists no 2049)."""
    try:
        return get_creator(request, container)
    except InvalidApiKey:
        raise Unauthorized("invalid API key") from None


CreatorDep = Annotated[ApiKey, Depends(get_creator)]
OwnerDep = Annotated[ApiKey, Depends(get_owner)]


def is_digits(text: str, max_len: int = 32) -> bool:
    """ASCII digits only, and not absurdly many: ``str.isdigit`` also accepts "²" or "٣",
    which ``int()`` refuses, and ``int()`` refuses more than 4300 digits."""
    return 0 < len(text) <= max_len and text.isascii() and text.isdigit()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (2013) past ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared and is_digits(declared) and int(declared) > limit:
        raise InvalidParams(f"body: {declared} bytes is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidParams(f"body: over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto")


def public_base(container: Container, request: Request) -> str:
    """The base of the URLs handed to clients: ``REELSERVE_PUBLIC_URL``, else the scheme and
    host this request came in on (uvicorn applies ``X-Forwarded-Proto`` from trusted proxies)."""
    if container.settings.public_url:
        return container.settings.public_url.rstrip("/")
    if not getattr(request.app.state, "proxy_warned", False) and any(
        name in request.headers for name in _PROXY_HEADERS
    ):
        request.app.state.proxy_warned = True  # once per process
        log.warning(
            "requests come through a proxy but REELSERVE_PUBLIC_URL is not set: download URLs "
            "name %s, which clients may not reach (or reach only over plain http); set "
            "REELSERVE_PUBLIC_URL to the address clients use",
            str(request.base_url).rstrip("/"),
        )
    return str(request.base_url).rstrip("/")
