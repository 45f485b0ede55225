"""API keys and the per-key request rate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from reelserve.domain.keys import ApiKey


class KeyStore(Protocol):
    def add(self, key: ApiKey) -> None:
        """Store a new key; a name or hash already taken raises (nothing is stored)."""
        ...

    def by_hash(self, key_hash: str) -> ApiKey | None: ...

    def all(self) -> Sequence[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        ...

    def revoke(self, id_or_name: str, now: datetime) -> ApiKey | None:
        """Revoke once (a second revoke keeps the first time); None when no key matches."""
        ...


class RateLimiter(Protocol):
    """Requests per minute per key, counted wherever the request arrived (every API process)."""

    def hit(self, key_id: str, limit: int, now: datetime) -> None:
        """Count one request, or raise RateLimited (with retry_after_s) when ``limit`` requests
        were already counted in the minute before ``now``. ``limit`` 0: no limit, nothing kept."""
        ...
