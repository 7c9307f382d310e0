"""Migration 0011_moderation on a database with history: existing complaints and images are 'pass' (nothing
is held by the upgrade), and up and down again keep every timeline event and message (no batch-mode copy of
`complaint`, whose children go with ON DELETE CASCADE)."""
from __future__ import annotations

from sqlalchemy import MetaData, create_engine, select

from server.migrate import downgrade, upgrade
from tests.conftest import _make_test_database
from tests.test_migration_appeals import T0, _complaint, _event


def test_upgrade_and_downgrade_keep_history():
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0003-moderation.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, "0002_appeals")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event", "message", "upload"))
        c, e, m, u = (meta.tables[t] for t in ("complaint", "complaint_event", "message", "upload"))
        with engine.begin() as conn:
            conn.execute(c.insert(), [_complaint(n) for n in (1, 2)])
            conn.execute(e.insert(), [_event(1, 1, "consumer", "submit", T0), _event(2, 1, "consumer", "submit", T0)])
            conn.execute(m.insert(), [{"complaint_id": 1, "author_role": "consumer", "body": "请尽快处理",
                                       "created_at": T0}])
            conn.execute(u.insert(), [{"id": "a" * 32, "complaint_id": 1, "storage_name": "x.png", "sha256": "0" * 64,
                                       "mime": "image/png", "size": 1, "created_at": T0}])
        upgrade(url, "0011_moderation")
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            assert conn.execute(select(meta.tables["complaint"].c.moderation)).scalars().all() == ["pass", "pass"]
            assert conn.execute(select(meta.tables["upload"].c.moderation)).scalars().all() == ["pass"]
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 2
        downgrade(url, "0010_audit")
        meta = MetaData()
        meta.reflect(engine)
        assert "wechat_push_nonce" not in meta.tables
        assert "moderation" not in meta.tables["complaint"].c.keys()
        assert {"moderation", "moderation_trace_id"}.isdisjoint(meta.tables["upload"].c.keys())
        with engine.connect() as conn:
            assert conn.execute(select(meta.tables["complaint"].c.id)).scalars().all() == [1, 2]
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 2
            assert len(conn.execute(select(meta.tables["message"].c.id)).all()) == 1
            assert len(conn.execute(select(meta.tables["upload"].c.id)).all()) == 1
    finally:
        engine.dispose()
        drop()
