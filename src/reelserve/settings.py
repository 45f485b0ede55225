"""Settings from ``REELSERVE_*`` environment variables (and CLI flags); every field described.

Only the edges (CLI, bootstrap) read this; nothing below them reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_BYTES = 32  # HMAC-SHA256 signs download URLs: a shorter key is guessable


class SettingsError(ValueError):
    """A setting that the server refuses to start with; the message says which and why."""


def checked_secret(secret: bytes, source: str) -> bytes:
    """``secret`` when it is long enough to sign download URLs; raises SettingsError."""
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"{source}: the signing secret is {len(secret)} bytes; at least "
            f"{MIN_SECRET_BYTES} are needed (an empty or short one lets anyone forge "
            "download URLs)"
        )
    return secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELSERVE_", extra="ignore")

    data_dir: Path = Field(
        Path("data"), description="Folder for the SQLite database, stored files and the secret."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the task database; default: SQLite (WAL) in the data dir. "
        "postgresql+psycopg://… for PostgreSQL (extra 'postgres').",
    )
    db_pool_size: int = Field(
        10, ge=1, description="PostgreSQL: connections each process keeps in its pool."
    )
    db_max_overflow: int = Field(
        10, ge=0, description="PostgreSQL: connections a process may open beyond its pool."
    )
    db_pool_timeout_s: float = Field(
        2.0, gt=0, description="PostgreSQL: seconds a request waits for a free connection."
    )
    db_connect_timeout_s: int = Field(
        2, ge=2, description="PostgreSQL: seconds to open a connection (libpq's minimum: 2)."
    )
    db_statement_timeout_s: float = Field(
        5.0, gt=0, description="PostgreSQL: longest a statement may run, in seconds."
    )
    host: str = Field("127.0.0.1", description="Address `reelserve serve` listens on.")
    port: int = Field(8000, description="Port `reelserve serve` listens on.")
    public_url: str | None = Field(
        None,
        description="Base URL clients reach the server at, for download URLs; default: the URL "
        "of the incoming request.",
    )
    secret_key: str | None = Field(
        None,
        description="Secret for signing download URLs, at least 32 bytes; default: a random key "
        "kept in <data_dir>/secret.key. The server refuses to start with a shorter one.",
    )
    ssl_certfile: Path | None = Field(
        None,
        description="PEM certificate (chain) for serving HTTPS directly; download URLs then "
        "use https. Same name as uvicorn's option.",
    )
    ssl_keyfile: Path | None = Field(
        None, description="PEM private key for `ssl_certfile` (omit if the certfile holds it)."
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Seconds a connection has to send a request's line and headers, counted "
        "from its opening or its previous answer; then it is closed.",
    )
    keep_alive_s: int = Field(
        5, ge=1, description="Seconds an idle keep-alive connection is held open."
    )
    max_connections: int = Field(
        1000,
        ge=0,
        description="Connections and requests in progress at once; over it new requests "
        "get HTTP 503 (0: no limit).",
    )
    metrics_token: str | None = Field(
        None,
        description="When set, GET /metrics needs `Authorization: Bearer <token>` (the "
        "figures name every key's counts).",
    )
    download_url_ttl_s: int = Field(
        32400,
        ge=3600,
        description="Lifetime of signed download URLs in seconds (at least 1 h; MiniMax's "
        "observed 9 h by default).",
    )
    workers: int = Field(
        1, ge=0, description="In-process worker threads started by `reelserve serve` (0: none)."
    )
    lease_s: float = Field(30.0, gt=0, description="Worker lease length in seconds.")
    heartbeat_s: float = Field(
        2.0, gt=0, description="Seconds between a worker's heartbeats (renews the lease)."
    )
    max_attempts: int = Field(
        3, ge=1, description="Attempts before a task whose worker keeps vanishing fails (1000)."
    )
    poll_interval_s: float = Field(
        0.5, gt=0, description="Seconds an idle worker waits before looking for work again."
    )
    reap_interval_s: float = Field(
        5.0, gt=0, description="Seconds between sweeps that requeue tasks with expired leases."
    )
    engine_registry: Path | None = Field(
        None,
        description="TOML file mapping model names to engines (see engines.example.toml); "
        "default: every model on the preview engine.",
    )
    engine_device: str = Field(
        "auto", description="Device for the diffusers engine: auto, cuda, cuda:N or cpu."
    )
    preview_preset: str = Field("veryfast", description="x264 preset of the preview engine.")
    preview_crf: int = Field(21, ge=0, le=51, description="x264 CRF of the preview engine.")
    preview_segments: int = Field(
        0,
        ge=0,
        description="Clip segments the preview engine renders and encodes in parallel; "
        "0: one per CPU, each at least 2 s long.",
    )
    preview_stop_at_frame: int | None = Field(
        None,
        ge=0,
        description="Test hook for the crash drills: the process stops itself (SIGSTOP) the "
        "first time the preview engine reaches this frame of a clip. Unset in production.",
    )
    fetch_timeout_s: float = Field(
        10.0, gt=0, description="Timeout for fetching image URLs, in seconds."
    )
    allow_networks: str = Field(
        "",
        description="Comma-separated CIDRs that image and callback URLs may reach although "
        "private (empty: only public addresses).",
    )
    create_threads: int = Field(
        32,
        ge=0,
        description="Threads that run creates (image fetches, the callback check), apart from "
        "the threads serving other requests; 0: share those (not recommended).",
    )
    create_threads_per_key: int = Field(
        8,
        ge=1,
        description="Create threads one API key may hold; its further creates wait for them "
        "without holding a thread.",
    )
    events_max_streams_per_key: int = Field(
        16,
        ge=0,
        description="Live-event streams (GET /v1/tasks/{id}/events) one API key may hold open "
        "(1002 past it); 0: no limit.",
    )
    events_poll_s: float = Field(
        0.3, gt=0, description="Seconds between the reads that feed the live-event streams."
    )
    events_shared: bool = Field(
        True,
        description="One loop per process reads the watched tasks for every live-event stream; "
        "false: a loop per stream (the old behaviour, for comparison only).",
    )
    dns_lookups_per_key: int = Field(
        4,
        ge=1,
        description="DNS lookups one API key may have in progress (image and callback URLs); "
        "more are refused at once, so one key's hanging names never delay another key's.",
    )
    dns_lookups_total: int = Field(
        64, ge=1, description="DNS lookups the process may have in progress, all keys together."
    )
    dns_timeout_s: float = Field(
        5.0, gt=0, description="Time one DNS lookup may take, in seconds, counted on its own."
    )
    callback_timeout_s: float = Field(
        3.0, gt=0, description="Time a callback URL has to answer the challenge, in seconds."
    )
    webhook_timeout_s: float = Field(
        10.0, gt=0, description="Time a callback URL has to answer one status push, in seconds."
    )
    webhook_max_attempts: int = Field(
        8,
        ge=1,
        description="Attempts at one status push before it is given up (redeliver through "
        "POST /v1/tasks/{task_id}/deliveries/redeliver).",
    )
    webhook_retry_scale: float = Field(
        1.0,
        gt=0,
        description="Factor on the retry schedule of status pushes (5 s, 5 min, 30 min, 2 h, "
        "5 h, 10 h, 10 h, ±10 % jitter); below 1 compresses it, for tests and demos.",
    )
    webhook_poll_s: float = Field(
        1.0, gt=0, description="Seconds between the workers' looks for due status pushes."
    )
    webhook_concurrency: int = Field(
        16,
        ge=1,
        description="Status pushes a worker process sends at once; 1: one at a time (a slow "
        "receiver then delays every other push).",
    )
    webhook_per_receiver: int = Field(
        2, ge=1, description="Status pushes sent at once to one callback URL."
    )
    webhook_per_key: int = Field(4, ge=1, description="Status pushes of one API key sent at once.")
    webhook_redeliver_per_minute: int = Field(
        10,
        ge=0,
        description="Redeliveries (POST /v1/tasks/{task_id}/deliveries/redeliver) one key may "
        "ask for per minute (1002 past it); 0: no limit.",
    )
    max_body_bytes: int = Field(
        64 * 1024 * 1024, description="Largest request body accepted, in bytes."
    )
    rpm_limit: int = Field(
        0,
        ge=0,
        description="Creates per minute per key (1002 over it); 0: no limit. "
        "A key's own limit (`keys create --rpm`) wins.",
    )
    max_in_flight: int = Field(
        0, ge=0, description="Queued + running tasks per key (1002 over it); 0: no limit."
    )
    max_camera_segments: int = Field(
        12, ge=1, description="Camera directives in sequence allowed in one prompt (2013 over it)."
    )
    max_camera_magnification: float = Field(
        16.0,
        ge=1.0,
        description="Largest ratio between the most and least magnified view a prompt's camera "
        "directives may make (2013 over it).",
    )
    decode_budget_pixels: int = Field(
        48_000_000,
        ge=1,
        description="Pixels of client images decoded at once per process; a larger image waits "
        "and then decodes alone.",
    )
    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING, ERROR).")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None:
            checked_secret(value.encode(), "REELSERVE_SECRET_KEY")
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'reelserve.db').resolve()}"
