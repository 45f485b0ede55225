"""In-memory read-side stores and the key store over a ``MemoryDatabase``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from reelserve.domain.errors import InvalidParams
from reelserve.domain.files import FileRecord
from reelserve.domain.keys import ApiKey
from reelserve.domain.stats import FinishedTask
from reelserve.domain.tasks import Task, TaskStatus
from reelserve.testing.tasks import MemoryDatabase


class MemoryFileCatalog:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def get(self, file_id: str, owner_key_id: str | None = None) -> FileRecord | None:
        record = self._db.files.get(file_id)
        if record is None or owner_key_id not in (None, record.owner_key_id):
            return None
        return record


class MemoryTaskStats:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _tasks(self) -> list[Task]:
        with self._db.lock:
            return list(self._db.tasks.values())

    def recent_durations(self, model: str, limit: int) -> Sequence[float]:
        done = [
            t
            for t in self._tasks()
            if t.model == model and t.status is TaskStatus.SUCCEEDED and t.finished_at
        ]
        done.sort(key=lambda t: t.finished_at or t.updated_at, reverse=True)
        return [
            (t.finished_at - t.started_at).total_seconds()
            for t in done[:limit]
            if t.started_at and t.finished_at
        ]

    def counts(self) -> Mapping[TaskStatus, int]:
        counted: dict[TaskStatus, int] = {}
        for task in self._tasks():
            counted[task.status] = counted.get(task.status, 0) + 1
        return counted

    def finished_since(self, since: datetime | None) -> Sequence[FinishedTask]:
        ended = sorted(
            (
                t
                for t in self._tasks()
                if t.finished_at and (since is None or t.finished_at > since)
            ),
            key=lambda t: (t.finished_at, t.id),
        )
        return [
            FinishedTask(
                model=t.model,
                status=t.status,
                created_at=t.created_at,
                started_at=t.started_at,
                finished_at=t.finished_at or t.updated_at,
            )
            for t in ended
        ]

    def delivery_outcomes(self) -> Mapping[str, int]:
        counted: dict[str, int] = {}
        with self._db.lock:
            for attempt in self._db.attempts:
                counted[attempt.outcome] = counted.get(attempt.outcome, 0) + 1
        return counted


class MemoryHealth:
    """Ready unless a test says otherwise: set ``failure`` to what the store would report."""

    def __init__(self, failure: str | None = None) -> None:
        self.failure = failure

    def problem(self) -> str | None:
        return self.failure


class MemoryKeyStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def add(self, key: ApiKey) -> None:
        with self._db.lock:
            for other in self._db.keys.values():
                if key.id == other.id or key.name == other.name or key.key_hash == other.key_hash:
                    raise InvalidParams(f"name: a key named {key.name!r} already exists")
            self._db.keys[key.id] = key

    def by_hash(self, key_hash: str) -> ApiKey | None:
        with self._db.lock:
            return next((k for k in self._db.keys.values() if k.key_hash == key_hash), None)

    def all(self) -> Sequence[ApiKey]:
        with self._db.lock:
            return sorted(self._db.keys.values(), key=lambda k: (k.created_at, k.id))

    def revoke(self, id_or_name: str, now: datetime) -> ApiKey | None:
        with self._db.lock:
            key = next((k for k in self.all() if id_or_name in (k.id, k.name)), None)
            if key is None:
                return None
            if key.revoked_at is None:
                key = dataclasses.replace(key, revoked_at=now)
                self._db.keys[key.id] = key
            return key
