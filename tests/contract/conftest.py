"""Every contract here runs over every backend: ``[memory]``, ``[sqlite]`` and ``[postgres]``.

``stores`` is the set of stores of one backend (``reelserve.testing.memory_stores()`` or
``adapters.db.stores.sql_stores(engine)``, same attribute names), on an empty database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.stores import sql_stores
from reelserve.testing import memory_stores

BACKENDS = ["memory", "sqlite", "postgres"]


@dataclass(frozen=True)
class Backend:
    name: str
    stores: Any  # MemoryStores | SqlStores: the same attributes


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield Backend("memory", memory_stores())
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    yield Backend(request.param, sql_stores(engine))
    engine.dispose()


@pytest.fixture
def stores(backend: Backend) -> Any:
    return backend.stores
