"""Database engines: SQLite in WAL mode with explicit write transactions, or PostgreSQL.

PostgreSQL connections come from a pool sized per process (`PoolSizes`), open with a connect
timeout and run every statement under a statement timeout, so a database that went away makes
a request fail fast (`OUTAGE_ERRORS`, answered as "service unavailable, try again") instead of
hanging; a check at checkout replaces the connections a restart cut before they are used again.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url

MIGRATIONS = Path(__file__).parent / "migrations"

# What a database that is down, restarting or overloaded raises (connect refused, connection
# cut, statement timeout, no pooled connection free in time): the caller may try again.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolSizes:
    """Connections one process may hold, and how long it waits for the database.

    One process holds at most ``size + overflow`` connections (plus one LISTEN connection per
    waiting worker process on PostgreSQL).
    """

    size: int = 10
    overflow: int = 10
    wait_s: float = 2.0  # for a free pooled connection
    connect_s: int = 2  # libpq's minimum; a refused connection fails at once
    statement_s: float = 5.0


def make_engine(url: str, sizes: PoolSizes = PoolSizes()) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(make_url(url).database)
        engine = create_engine(url, pool_size=16, max_overflow=32, pool_timeout=30)
        _tune_sqlite(engine)
        return engine
    options = f"-c statement_timeout={round(sizes.statement_s * 1000)}"
    engine = create_engine(
        url,
        pool_size=sizes.size,
        max_overflow=sizes.overflow,
        pool_timeout=sizes.wait_s,
        connect_args={"connect_timeout": sizes.connect_s, "options": options},
    )
    event.listen(engine, "checkout", _drop_if_hung_up)
    return engine


def _drop_if_hung_up(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pre-ping without a round trip: an idle pooled connection has nothing to read unless the
    server closed it (a restart sends its goodbye and hangs up), so a readable socket means
    "open a new one" (SQLAlchemy retries the checkout on ``DisconnectionError``). A round-trip
    ping (``pool_pre_ping``) would cost each transaction one more round trip."""
    if dbapi_connection.closed:
        raise exc.DisconnectionError("connection closed")
    poller = select.poll()  # not select.select: a busy process may hold fds past 1023
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the connection")


def _private_sqlite_file(database: str | None) -> None:
    """Create the database file 0600 (or make an existing one so) before SQLite opens it:
    SQLite gives its -wal and -shm files the database file's permissions."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say that the folder is missing
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    for suffix in ("-wal", "-shm"):  # left by an older version or a crash
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.chmod(0o600)


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a 5 s busy timeout, and BEGIN IMMEDIATE for writers.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's ``begin`` is the
    only place a transaction starts; writers take the write lock up front (no lock upgrades, so
    no ``database is locked`` deadlocks between two readers turning writers).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            yield conn


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A write that is one statement, atomic by itself: on PostgreSQL in autocommit, which
    saves the separate BEGIN and COMMIT round trips (a claim, a heartbeat); SQLite: `writing`."""
    if engine.dialect.name == "sqlite":
        with writing(engine) as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Apply every migration (run on start; safe to run again)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
