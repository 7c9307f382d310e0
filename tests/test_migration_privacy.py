"""Migration 0005_privacy on a database with history: complaints the public could read before it (consented
and accepted) stay public (approved); the rest wait for a person; downgrading keeps events and messages."""
from __future__ import annotations

from sqlalchemy import MetaData, create_engine, func, select

from server.migrate import downgrade, upgrade
from tests.conftest import _make_test_database
from tests.test_migration_appeals import T0, _complaint, _event


def test_public_complaints_stay_public_and_others_wait():
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0003.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, "0004_rule_sets")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event"))
        c, e = meta.tables["complaint"], meta.tables["complaint_event"]
        rows = [_complaint(n) | {"public_consent": n != 3, "accepted_at": T0 if n != 2 else None}
                for n in (1, 2, 3)]
        with engine.begin() as conn:
            conn.execute(c.insert(), rows)
            conn.execute(e.insert(), [_event(n, 1, "consumer", "submit", T0) for n in (1, 2, 3)])
        upgrade(url, "head")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "upload"))
        c = meta.tables["complaint"]
        with engine.connect() as conn:
            states = dict(conn.execute(select(c.c.id, c.c.publication_state)).all())
        assert states == {1: "approved", 2: "pending", 3: "pending"}
        assert "erase_after_case" in meta.tables["upload"].c
        downgrade(url, "0004_rule_sets")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(e)).scalar_one() == 3
    finally:
        engine.dispose()
        drop()
