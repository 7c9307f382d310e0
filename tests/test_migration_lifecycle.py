"""Migration 0012_lifecycle on a database with history: existing complaints are not paused, have no
paused time and were never reopened, and up and down again keep every timeline event and message (plain
ADD COLUMN, no batch-mode copy of `complaint`, whose children go with ON DELETE CASCADE)."""
from __future__ import annotations

import importlib

from sqlalchemy import MetaData, create_engine, select

from server.migrate import downgrade, upgrade
from tests.conftest import _make_test_database
from tests.test_migration_appeals import T0, _complaint, _event

MINE = importlib.import_module("server.migrations.versions.0012_lifecycle")
COLUMNS = {"paused", "paused_reason", "paused_at", "paused_seconds", "reopened_at", "materials_due_at"}


def test_upgrade_and_downgrade_keep_history():
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0012-lifecycle.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, "0002_appeals")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event", "message"))
        c, e, m = (meta.tables[t] for t in ("complaint", "complaint_event", "message"))
        with engine.begin() as conn:
            conn.execute(c.insert(), [_complaint(n) for n in (1, 2)])
            conn.execute(e.insert(), [_event(1, 1, "consumer", "submit", T0), _event(2, 1, "consumer", "submit", T0)])
            conn.execute(m.insert(), [{"complaint_id": 1, "author_role": "consumer", "body": "请尽快处理",
                                       "created_at": T0}])
        upgrade(url, MINE.revision)
        meta = MetaData()
        meta.reflect(engine)
        complaint = meta.tables["complaint"]
        with engine.connect() as conn:
            rows = conn.execute(select(complaint.c.paused, complaint.c.paused_seconds, complaint.c.reopened_at,
                                       complaint.c.materials_due_at)).all()
            assert [tuple(r) for r in rows] == [(False, 0, None, None)] * 2
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 2
        downgrade(url, MINE.down_revision)
        meta = MetaData()
        meta.reflect(engine)
        assert COLUMNS.isdisjoint(meta.tables["complaint"].c.keys())
        with engine.connect() as conn:
            assert conn.execute(select(meta.tables["complaint"].c.id)).scalars().all() == [1, 2]
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 2
            assert len(conn.execute(select(meta.tables["message"].c.id)).all()) == 1
    finally:
        engine.dispose()
        drop()
