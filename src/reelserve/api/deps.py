"""Request-scoped helpers: the container, the caller's key, the body with a size cap."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from reelserve.bootstrap import Container
from reelserve.domain.errors import InvalidParams
from reelserve.domain.keys import ApiKey


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_owner(
    container: ContainerDep, authorization: Annotated[str | None, Header()] = None
) -> ApiKey:
    return container.keys.authenticate(authorization)


OwnerDep = Annotated[ApiKey, Depends(get_owner)]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (2013) past ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
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
