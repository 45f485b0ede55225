"""Thumbnails and sprite sheets of a finished video, made once and kept beside it."""

from __future__ import annotations

from fastapi.responses import Response

from reelserve.bootstrap import Container
from reelserve.domain.files import FileRecord

SHEET_COLUMNS, SHEET_ROWS, SHEET_TILE_WIDTH = 5, 5, 160


def _thumbnail_format(accept: str) -> str:
    """WebP unless the client asks for JPEG and not WebP."""
    accept = accept.lower()
    return "jpeg" if "image/jpeg" in accept and "image/webp" not in accept else "webp"


def still_response(container: Container, record: FileRecord, variant: str, accept: str) -> Response:
    fmt = _thumbnail_format(accept) if variant == "thumbnail" else "jpeg"
    key = f"stills/{record.id}/{variant}.{fmt}"
    if container.files.exists(key):
        with container.files.open(key) as stream:
            data = stream.read()
    else:
        with container.files.open(record.storage_key) as video:
            if variant == "thumbnail":
                data = container.stills.thumbnail(video, fmt="jpeg" if fmt == "jpeg" else "webp")
            else:
                data = container.stills.spritesheet(
                    video, columns=SHEET_COLUMNS, rows=SHEET_ROWS, width=SHEET_TILE_WIDTH
                )
        container.files.put(key, data)
    return Response(data, media_type=f"image/{fmt}")
