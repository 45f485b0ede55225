"""API keys: 256 random bits behind an identifiable prefix; only a SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

KEY_PREFIX = "rs_"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    id: str
    name: str
    hint: str  # prefix and last 4 characters, for display
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    webhook_secret: str = ""  # per-key signing secret for callbacks (Standard Webhooks)
    rpm_limit: int | None = None  # None: the server default
    max_in_flight: int | None = None
    balance_usd: Decimal | None = None  # None: unlimited

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hint_for(secret: str) -> str:
    return f"{secret[:6]}…{secret[-4:]}"
