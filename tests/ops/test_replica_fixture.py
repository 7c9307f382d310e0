"""The pg_replica_pair fixture (tests/replica.py) gives a real streaming replica: writes on the primary
reach the standby, the standby is in recovery and refuses writes, its replay can be paused and resumed,
and it can be stopped while the primary keeps serving."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import create_engine, text

from tests.replica import (
    connect,
    pause_replay,
    resume_replay,
    stop_standby,
    wait_replayed,
)


def _count_on(url: str, table: str) -> int | None:
    """Rows in `table` on that server, or None while the table does not exist there yet."""
    with connect(url) as conn:
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
            return None
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _wait_for_count(url: str, table: str, expected: int, timeout: float = 5.0) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        n = _count_on(url, table)
        if n == expected or time.monotonic() >= deadline:
            return n
        time.sleep(0.05)


@pytest.mark.postgres_only
def test_writes_on_the_primary_appear_on_the_standby(pg_replica_pair):
    pair = pg_replica_pair
    with connect(pair.primary_url) as conn:
        conn.execute("CREATE TABLE replicated (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO replicated VALUES (1, 'from the primary')")

    assert _wait_for_count(pair.standby_url, "replicated", 1) == 1
    # The yielded URLs are SQLAlchemy URLs the app can use as they are.
    engine = create_engine(pair.standby_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT note FROM replicated WHERE id = 1")).scalar_one() == "from the primary"
    finally:
        engine.dispose()
    wait_replayed(pair.primary_url, pair.standby_url)


@pytest.mark.postgres_only
def test_the_standby_is_in_recovery_and_refuses_writes(pg_replica_pair):
    pair = pg_replica_pair
    with connect(pair.primary_url) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
        conn.execute("CREATE TABLE replicated (id int PRIMARY KEY)")
    wait_replayed(pair.primary_url, pair.standby_url)

    with connect(pair.standby_url) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO replicated VALUES (1)")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE on_the_standby (id int)")
    assert _count_on(pair.primary_url, "replicated") == 0


@pytest.mark.postgres_only
def test_paused_replay_holds_back_new_rows_until_resumed(pg_replica_pair):
    pair = pg_replica_pair
    with connect(pair.primary_url) as conn:
        conn.execute("CREATE TABLE replicated (id int PRIMARY KEY)")
        conn.execute("INSERT INTO replicated VALUES (1)")
    wait_replayed(pair.primary_url, pair.standby_url)
    assert _count_on(pair.standby_url, "replicated") == 1

    pause_replay(pair.standby_url)
    with connect(pair.primary_url) as conn:
        conn.execute("INSERT INTO replicated VALUES (2)")
    time.sleep(1.0)
    assert _count_on(pair.primary_url, "replicated") == 2
    assert _count_on(pair.standby_url, "replicated") == 1, "a paused standby applied new WAL"
    with pytest.raises(TimeoutError):
        wait_replayed(pair.primary_url, pair.standby_url, timeout=0.5)

    resume_replay(pair.standby_url)
    wait_replayed(pair.primary_url, pair.standby_url)
    assert _count_on(pair.standby_url, "replicated") == 2


@pytest.mark.postgres_only
def test_stop_standby_leaves_the_primary_serving(pg_replica_pair):
    pair = pg_replica_pair
    stop_standby(pair)
    with pytest.raises(psycopg.OperationalError):
        connect(pair.standby_url).close()
    with connect(pair.primary_url) as conn:
        conn.execute("CREATE TABLE still_writable (id int)")
        conn.execute("INSERT INTO still_writable VALUES (1)")
    assert _count_on(pair.primary_url, "still_writable") == 1
