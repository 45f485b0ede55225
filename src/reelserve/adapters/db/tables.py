"""SQLAlchemy Core tables. The tasks table is also the queue (ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
    true,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite stores naive text)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("hint", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("webhook_secret", String(100), nullable=False, default=""),
    Column("rpm_limit", Integer, nullable=True),
    Column("max_in_flight", Integer, nullable=True),
    Column("balance_usd", String(40), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_key_id", String(32), nullable=False, index=True),
    Column("model", String(64), nullable=False),
    Column("requested_model", String(64), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("camera_prompt", Text, nullable=False),
    Column("prompt_optimizer", Boolean, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("resolution", String(8), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("fps", Integer, nullable=False),
    Column("frame_count", Integer, nullable=False),
    Column("aigc_watermark", Boolean, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("phase", String(16), nullable=False),
    Column("progress_step", Integer, nullable=False, default=0),
    Column("progress_total", Integer, nullable=False, default=0),
    Column("first_frame_key", String(200), nullable=True),
    Column("last_frame_key", String(200), nullable=True),
    Column("callback_url", Text, nullable=True),
    Column("warnings", Text, nullable=False, default="[]"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_token", String(64), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("error_code", Integer, nullable=False, default=0),
    Column("error_message", Text, nullable=False, default=""),
    Column("failure_kind", String(16), nullable=True),
    Column("file_id", String(32), nullable=True),
    Column("cost_usd", String(40), nullable=False, default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("dialect", String(16), nullable=False, server_default="minimax"),
    Column("camera", Text, nullable=True),  # JSON segments; NULL: parse camera_prompt (older rows)
    Column("remixed_from", String(32), nullable=True),  # 0005
    Column("audio", Boolean, nullable=False, server_default=true()),  # 0007
    Index("ix_tasks_status_created", "status", "created_at"),
    Index("ix_tasks_owner_created", "owner_key_id", "created_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner_key_id", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # pending | done
    Column("task_id", String(32), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

files = Table(
    "files",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_key_id", String(32), nullable=False, index=True),
    Column("task_id", String(32), nullable=False, index=True),
    Column("storage_key", String(300), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("has_audio", Boolean, nullable=False, server_default=false()),  # 0007
)

# --- callbacks (services/webhooks.py): the outbox and its attempt log ---------------------

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(80), primary_key=True),  # the webhook-id: msg_<task_id>_<event>
    Column("task_id", String(32), nullable=False, index=True),
    Column("owner_key_id", String(32), nullable=False),
    Column("event", String(16), nullable=False),  # processing | success | failed
    Column("seq", Integer, nullable=False),  # order of the task's events
    Column("url", Text, nullable=False),
    # the neutral event: the body is rendered at send time by the task's dialect
    Column("status", String(16), nullable=False),
    Column("dialect", String(16), nullable=False, server_default="minimax"),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),  # since the last (re)delivery
    Column("next_at", UtcDateTime, nullable=False),
    Column("lease_token", String(64), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("last_http_status", Integer, nullable=True),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Index("ix_webhook_deliveries_state_next", "state", "next_at"),
)

# --- per-key request rate (adapters/db/limits.py), shared by every API process --------------

rate_hits = Table(
    "rate_hits",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("key_id", String(32), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_rate_hits_key_at", "key_id", "at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(80), nullable=False),
    Column("task_id", String(32), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("http_status", Integer, nullable=False),  # 0: no answer
    Column("outcome", String(16), nullable=False),  # delivered | retry | gave_up
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text, nullable=False, default=""),
)
