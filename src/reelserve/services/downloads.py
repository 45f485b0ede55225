"""Signed, expiring download URLs (HMAC-SHA256 over the file id and the expiry time)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta


class DownloadSigner:
    def __init__(self, secret: bytes, ttl: timedelta) -> None:
        self._secret = secret
        self.ttl = ttl

    def _signature(self, file_id: str, expires: int) -> str:
        message = f"{file_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, file_id: str, now: datetime) -> tuple[int, str]:
        """(expires as unix seconds, signature) for a URL valid from ``now`` for the TTL."""
        expires = int((now + self.ttl).timestamp())
        return expires, self._signature(file_id, expires)

    def verify(self, file_id: str, expires: int, signature: str, now: datetime) -> bool:
        if expires < now.timestamp():
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not False).
        return hmac.compare_digest(self._signature(file_id, expires).encode(), signature.encode())
