"""Alembic environment: runs on the connection handed over by ``engine.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from reelserve.adapters.db.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # `alembic` CLI use: open our own
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()
