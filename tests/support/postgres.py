"""A throwaway PostgreSQL server for the tests, from Debian's server package.

`start_postgres()` runs `initdb` into a fresh temporary directory and `pg_ctl start` on a free
loopback port, with durability switched off (tests never need it) and trust authentication on
loopback only. As root, PostgreSQL refuses to run, so every server command goes through
`runuser -u postgres` and the directory is handed to that user.

Binaries are found through `REELSERVE_PG_BINDIR`, else Debian's `/usr/lib/postgresql/<N>/bin`
(the newest), else `initdb` on PATH. `make test` installs the `postgresql` package when missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

_SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "listen_addresses": "'127.0.0.1'",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """The server package is not installed (run `make system-deps`)."""


def find_bindir() -> Path:
    configured = os.environ.get("REELSERVE_PG_BINDIR")
    if configured:
        return Path(configured)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL's server binaries (initdb, pg_ctl) were not found: `apt-get install "
        "postgresql` (make test does this) or set REELSERVE_PG_BINDIR"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One running server; `url` names its `postgres` database."""

    bindir: Path
    root: Path
    port: int
    _as_postgres: list[str] = field(default_factory=list)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._as_postgres, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
        )

    def start(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.root / "server.log"),
            "-o",
            f"-p {self.port} -k {self.root}",
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """`mode` as pg_ctl takes it: smart, fast or immediate (a crash-like stop)."""
        if (self.datadir / "postmaster.pid").exists():
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"
            )

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(base: Path | None = None) -> PostgresServer:
    """initdb + start a server in a new directory (under `base`, else the system temp dir).

    The directory must be reachable by the `postgres` user when running as root, so it is made
    with mode 0755 parents under the system temp dir rather than inside pytest's 0700 tmp_path.
    """
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="reelserve-pg-", dir=base))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    root.chmod(0o700)
    server = PostgresServer(bindir=bindir, root=root, port=_free_port(), _as_postgres=as_postgres)
    server._run(
        str(bindir / "initdb"),
        "-D",
        str(server.datadir),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    with (server.datadir / "postgresql.conf").open("a") as conf:
        for key, value in _SERVER_SETTINGS.items():
            conf.write(f"{key} = {value}\n")
    server.start()
    return server
