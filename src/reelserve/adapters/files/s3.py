"""S3FileStore: objects in an S3-compatible bucket (AWS, MinIO, Ceph, R2…) through boto3.

Endpoint, region and credentials come from the standard AWS settings (``AWS_ENDPOINT_URL``,
``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, profiles, instance roles), read by boto3 itself.
Files go up with boto3's managed transfer: multipart above ``multipart_threshold`` bytes, parts
retried, and an upload that fails is aborted, so nothing half-written is visible under a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from reelserve.adapters.files.keys import ChunkReader, buffered, checked_key, checked_range
from reelserve.domain.files import StoredObject

PRESIGN_LIMIT = timedelta(days=7)  # SigV4 refuses longer presigned URLs
_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True, slots=True, kw_only=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending with "/"

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"storage URL {url!r}: expected s3://bucket[/prefix]")
        prefix = parts.path.strip("/")
        return cls(bucket=parts.netloc, prefix=f"{prefix}/" if prefix else "")


def _client(endpoint_url: str | None = None) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "S3 storage needs the 's3' extra: pip install 'reelserve[s3]'"
        ) from error
    config = Config(
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 5},
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


class S3FileStore:
    def __init__(
        self,
        location: S3Location,
        *,
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        multipart_threshold: int = 16 * 1024 * 1024,
    ) -> None:
        """``public_endpoint_url``: the endpoint clients reach for presigned URLs when it is not
        the one this process talks to (a bucket behind a private name in a compose network)."""
        self._location = location
        self._client = _client(endpoint_url)
        self._presigner = _client(public_endpoint_url) if public_endpoint_url else self._client
        self._threshold = multipart_threshold

    def _key(self, key: str) -> str:
        checked_key(key)
        return self._location.prefix + key

    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        chunk = max(self._threshold, 5 * 1024 * 1024)  # S3's smallest part but the last
        return TransferConfig(multipart_threshold=self._threshold, multipart_chunksize=chunk)

    def put(self, key: str, source: Path | bytes) -> int:
        target = self._key(key)
        if isinstance(source, bytes):
            self._client.put_object(Bucket=self._location.bucket, Key=target, Body=source)
            return len(source)
        size = source.stat().st_size
        self._client.upload_file(
            str(source), self._location.bucket, target, Config=self._transfer()
        )
        return size

    def _body(self, key: str, **extra: str) -> Any:
        try:
            return self._client.get_object(
                Bucket=self._location.bucket, Key=self._key(key), **extra
            )["Body"]
        except self._client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(key) from error

    def open(self, key: str) -> BinaryIO:
        body = self._body(key)
        return buffered(ChunkReader(body.read, body.close))

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        checked_range(start, end)
        body = self._body(key, Range=f"bytes={start}-{end}")
        return buffered(ChunkReader(body.read, body.close))

    def url_for(self, key: str, *, filename: str, content_type: str, ttl: timedelta) -> str | None:
        seconds = int(min(ttl, PRESIGN_LIMIT).total_seconds())
        url: str = self._presigner.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._location.bucket,
                "Key": self._key(key),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=seconds,
        )
        return url

    def stat(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=self._location.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return StoredObject(size=int(head["ContentLength"]), etag=str(head["ETag"]).strip('"'))

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self._location.bucket, Key=self._key(key))

    def check(self) -> None:
        self._client.head_bucket(Bucket=self._location.bucket)
