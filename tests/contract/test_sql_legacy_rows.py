"""Rows written before migration 0004 still read back right on the SQL stores."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from tests.contract.helpers import make_task

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.stores import sql_stores
from reelserve.adapters.db.tables import tasks
from reelserve.domain import camera


def test_a_task_without_a_stored_camera_plan_is_parsed_from_its_prompt(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    prompt = "a kite [Truck left] over the sea"
    plan = camera.parse(prompt)
    stores = sql_stores(engine)
    stores.repository.add(make_task("1", camera_prompt=prompt, prompt=plan.prompt))
    with engine.begin() as conn:  # as the row was before 0004 added the column
        conn.execute(update(tasks).values(camera=None))
    assert stores.repository.get("1").plan == plan
    engine.dispose()
