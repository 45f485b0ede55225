"""One storage URL to one file store: ``file:///path`` (default) or ``s3://bucket/prefix``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reelserve.ports import FileStore


def file_store_for(
    url: str,
    *,
    download_ttl: timedelta,
    s3_public_endpoint: str | None = None,
    multipart_threshold: int = 16 * 1024 * 1024,
) -> FileStore:
    """Raises ValueError naming the URL when it names no store we have."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"storage URL {url!r}: expected file:///absolute/path")
        from reelserve.adapters.files.local import LocalFileStore

        return LocalFileStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        from reelserve.adapters.files.s3 import PRESIGN_LIMIT, S3FileStore, S3Location

        if download_ttl > PRESIGN_LIMIT:
            raise ValueError(
                f"download URL TTL {int(download_ttl.total_seconds())} s is over the "
                f"{int(PRESIGN_LIMIT.total_seconds())} s that S3 presigned URLs allow"
            )
        return S3FileStore(
            S3Location.parse(url),
            public_endpoint_url=s3_public_endpoint,
            multipart_threshold=multipart_threshold,
        )
    raise ValueError(f"storage URL {url!r}: expected file:///path or s3://bucket/prefix")
