"""API keys: create (shown once), authenticate by hash, list, revoke."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reelserve.domain.errors import InvalidApiKey, InvalidParams, Unauthorized
from reelserve.domain.ids import new_id
from reelserve.domain.keys import ApiKey, hash_secret, hint_for, new_secret
from reelserve.ports import Clock, KeyStore, TaskRepository
from reelserve.services.webhooks import new_webhook_secret


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once, never stored


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokedKey:
    key: ApiKey
    cancelled: int  # queued tasks cancelled (running ones were asked to stop)


class KeyService:
    def __init__(
        self, *, keys: KeyStore, clock: Clock, tasks: TaskRepository | None = None
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._tasks = tasks

    def create(
        self,
        name: str,
        *,
        rpm_limit: int | None = None,
        max_in_flight: int | None = None,
        balance_usd: Decimal | None = None,
    ) -> CreatedKey:
        name = name.strip()
        if not name:
            raise InvalidParams("name: must not be empty")
        if any(k.name == name for k in self._keys.all()):
            raise InvalidParams(f"name: a key named {name!r} already exists")
        secret = new_secret()
        key = ApiKey(
            id=new_id(self._clock.now()),
            name=name,
            hint=hint_for(secret),
            key_hash=hash_secret(secret),
            created_at=self._clock.now(),
            webhook_secret=new_webhook_secret(),
            rpm_limit=rpm_limit,
            max_in_flight=max_in_flight,
            balance_usd=balance_usd,
        )
        self._keys.add(key)
        return CreatedKey(key=key, secret=secret)

    def authenticate(self, authorization: str | None) -> ApiKey:
        """The active key named by an ``Authorization: Bearer <key>`` header value."""
        if not authorization:
            raise Unauthorized("missing Authorization header (expected 'Bearer <API key>')")
        scheme, _, secret = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("Authorization header must be 'Bearer <API key>'")
        wanted = hash_secret(secret.strip())
        key = self._keys.by_hash(wanted)
        if key is None or not hmac.compare_digest(key.key_hash, wanted):
            raise InvalidApiKey()
        if not key.active:
            raise Unauthorized("API key revoked")
        return key

    def all(self) -> Sequence[ApiKey]:
        return self._keys.all()

    def revoke(self, id_or_name: str, *, keep_queued: bool = False) -> RevokedKey:
        """Revoke a key and stop its work: its queued tasks are cancelled (``keep_queued``:
        left to run), its running ones asked to stop; its pushes stop (the outbox skips a
        revoked key) and its event streams close (the event hub checks)."""
        now = self._clock.now()
        key = self._keys.revoke(id_or_name, now)
        if key is None:
            raise InvalidParams(f"key: no key with id or name {id_or_name!r}")
        cancelled = 0
        if self._tasks is not None:
            cancelled = self._tasks.cancel_owned(key.id, now, queued=not keep_queued)
        return RevokedKey(key=key, cancelled=cancelled)

    def has_any(self) -> bool:
        return bool(self._keys.all())
