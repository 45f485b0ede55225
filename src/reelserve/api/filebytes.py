"""Serving a stored file's bytes from any file store, with single-range HTTP Range support,
and the download URL a client gets for it (the store's own, e.g. presigned S3, or ours)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from fastapi.responses import Response, StreamingResponse

from reelserve.bootstrap import Container
from reelserve.domain.errors import NotFound
from reelserve.domain.files import FileRecord

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CHUNK = 1 << 16


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end) inclusive that a Range header asks for; None for the whole file (no
    header, or one we may ignore: several ranges, another unit). ValueError: unsatisfiable."""
    match = _RANGE.fullmatch((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise ValueError(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise ValueError(header)
    return start, end


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def file_response(container: Container, record: FileRecord, range_header: str | None) -> Response:
    """The file's bytes; NotFound when its record outlived the stored object (removed by hand)."""
    files = container.files
    stored = files.stat(record.storage_key)
    if stored is None:
        raise NotFound("file", record.id)
    headers = {
        "accept-ranges": "bytes",
        "etag": f'"{stored.etag}"',
        "content-disposition": f'attachment; filename="{record.filename}"',
    }
    try:
        wanted = byte_range(range_header, stored.size)
    except ValueError:
        return Response(status_code=416, headers={"content-range": f"bytes */{stored.size}"})
    try:
        if wanted is None:
            stream = files.open(record.storage_key)
            status, length = 200, stored.size
        else:
            stream = files.open_range(record.storage_key, *wanted)
            status, length = 206, wanted[1] - wanted[0] + 1
            headers["content-range"] = f"bytes {wanted[0]}-{wanted[1]}/{stored.size}"
    except FileNotFoundError:
        raise NotFound("file", record.id) from None
    headers["content-length"] = str(length)
    return StreamingResponse(
        _chunks(stream), status_code=status, media_type=record.content_type, headers=headers
    )


def download_url(container: Container, record: FileRecord, base: str) -> str:
    """A presigned URL straight from the store when it has one; else our HMAC-signed route."""
    direct = container.files.url_for(
        record.storage_key,
        filename=record.filename,
        content_type=record.content_type,
        ttl=container.signer.ttl,
    )
    if direct is not None:
        return direct
    expires, signature = container.signer.sign(record.id, container.clock.now())
    query = f"expires={expires}&signature={signature}"
    return f"{base}/v1/files/download/{record.id}/{record.filename}?{query}"
