"""Pool sizes are configuration, and DATABASE_PGBOUNCER makes the app safe behind PgBouncer in
transaction mode: no server-side prepared statements (issue 23.7)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from server.config import load_config
from server.db import Database


def test_pool_sizes_come_from_the_settings(database_url):
    settings = load_config({"DATABASE_URL": database_url, "DATABASE_POOL_SIZE": 3, "DATABASE_MAX_OVERFLOW": 4})
    db = Database.from_settings(settings)
    try:
        if db.is_postgres:
            assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (3, 4)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()


@pytest.mark.postgres_only
@pytest.mark.parametrize("pgbouncer", [False, True])
def test_behind_pgbouncer_nothing_is_prepared_on_the_server(database_url, pgbouncer):
    settings = load_config({"DATABASE_URL": database_url, "DATABASE_PGBOUNCER": pgbouncer})
    db = Database.from_settings(settings)
    try:
        with db.engine.connect() as conn:
            for _ in range(8):  # psycopg prepares a statement on the server after 5 runs by default
                conn.execute(text("SELECT count(*) FROM region WHERE code = :c"), {"c": "11"}).scalar()
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        assert (prepared == 0) is pgbouncer
    finally:
        db.dispose()
