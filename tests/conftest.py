"""Shared fixtures: a real container (SQLite, local files, preview engine) in a temp data dir."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from PIL import Image

from reelserve.bootstrap import Container, build
from reelserve.settings import Settings
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.s3 import s3_bucket, s3_server  # noqa: F401 (fixtures)

# Property tests draw the same examples on every run, so `make test` cannot flake;
# HYPOTHESIS_PROFILE=explore draws new ones (run it when changing rules, and keep what it finds).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole test session (started on first use)."""
    server = start_postgres()
    yield server
    server.destroy()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server: a SQLAlchemy URL."""
    return postgres_server.create_database()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        allow_networks="127.0.0.0/8",
        lease_s=5,
        heartbeat_s=0.5,
        poll_interval_s=0.1,
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = build(settings)
    yield built
    built.close()


@pytest.fixture
def api_key(container: Container) -> str:
    return container.keys.create("test").secret


@pytest.fixture
def other_key(container: Container) -> str:
    return container.keys.create("other").secret


@pytest.fixture
async def client(container: Container, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    from reelserve.api.app import create_app

    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {api_key}"},
    ) as http:
        yield http


def png_data_url(
    width: int = 640, height: int = 360, color: tuple[int, int, int] = (200, 80, 40)
) -> str:
    """A PNG with some structure (gradient + square), as a data URL."""
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 8):
        for y in range(0, height, 8):
            if (x // 40 + y // 40) % 2 == 0:
                image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
