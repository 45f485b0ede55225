"""The throwaway PostgreSQL server the contract suites run on: starts, serves, survives a restart."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.postgres import PostgresServer


def test_a_fresh_database_accepts_writes_and_keeps_them_over_a_restart(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (n bigint)"))
        conn.execute(sa.text("INSERT INTO t VALUES (9223372036854775807)"))
    engine.dispose()

    postgres_server.restart()

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM t")).scalar_one() == 2**63 - 1
    engine.dispose()


def test_each_test_gets_its_own_database(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    assert postgres_url != postgres_server.url
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
            == 0
        )
    engine.dispose()
