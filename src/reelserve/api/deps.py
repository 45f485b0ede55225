"""Request-scoped helpers: the container, the caller's key, the body with a size cap."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidApiKey, InvalidParams, Unauthorized
from reelserve.domain.keys import ApiKey


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


def public_base(container: Container, request: Request) -> str:
    return (container.settings.public_url or str(request.base_url)).rstrip("/")
