"""Migration 0002_appeals on a database with history: complaints a person has acted on keep counting in the
index (person_seen_at from their first event or message by a mediator, an admin or the business); complaints
only filed or only moved by the scheduler do not; nothing is excluded."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, create_engine, select

from server.migrate import downgrade, upgrade
from tests.conftest import _make_test_database

T0 = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


def _complaint(n: int) -> dict:
    return {"id": n, "business_name": "某商家", "industry_code": "online_shopping", "region_code": "110105",
            "category": "quality", "title": f"投诉{n}", "description": "质量问题", "demands": [],
            "public_consent": False, "status": "forwarded", "deadline_reminded": False, "created_at": T0,
            "updated_at": T0, "settled_directly": False, "mediation_cooperated": False, "went_to_mediation": False,
            "version": 1, "forwarded_at": T0}


def _event(cid: int, seq: int, role: str, action: str, at: datetime) -> dict:
    return {"complaint_id": cid, "seq": seq, "actor_role": role, "action": action, "to_status": "forwarded",
            "data": {}, "created_at": at, "prev_hash": "0" * 64, "hash": "0" * 64}


def test_backfill_keeps_what_a_person_looked_at():
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0002.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, "0001_initial")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event", "message"))
        c, e, m = meta.tables["complaint"], meta.tables["complaint_event"], meta.tables["message"]
        with engine.begin() as conn:
            conn.execute(c.insert(), [_complaint(n) for n in (1, 2, 3, 4)])
            conn.execute(e.insert(), [
                _event(1, 1, "consumer", "submit", T0), _event(1, 2, "mediator", "accept", T0 + timedelta(hours=2)),
                _event(1, 3, "business_staff", "respond", T0 + timedelta(hours=5)),
                _event(2, 1, "consumer", "submit", T0), _event(2, 2, "system", "auto_accept", T0 + timedelta(days=9)),
                _event(3, 1, "consumer", "submit", T0), _event(3, 2, "system", "auto_accept", T0 + timedelta(days=9)),
                _event(4, 1, "consumer", "submit", T0), _event(4, 2, "system", "auto_accept", T0 + timedelta(days=9)),
                _event(4, 3, "business_staff", "respond", T0 + timedelta(days=12)),
            ])
            conn.execute(m.insert(), [
                {"complaint_id": 3, "author_role": "business_staff", "body": "请提供订单号", "created_at": T0 + timedelta(days=10)},
                {"complaint_id": 4, "author_role": "business_staff", "body": "已收到", "created_at": T0 + timedelta(days=11)},
                {"complaint_id": 2, "author_role": "consumer", "body": "请尽快处理", "created_at": T0 + timedelta(days=10)},
            ])
        upgrade(url, "head")
        meta = MetaData()
        meta.reflect(engine, only=("complaint",))
        c = meta.tables["complaint"]
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(c.c.id, c.c.person_seen_at, c.c.index_excluded))}

        def at(n):
            v = rows[n].person_seen_at
            if isinstance(v, str):
                v = datetime.fromisoformat(v)
            return None if v is None else v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)

        assert at(1) == T0 + timedelta(hours=2)      # a mediator accepted it
        assert at(2) is None                          # only the scheduler and the consumer touched it
        assert at(3) == T0 + timedelta(days=10)       # the business wrote to the consumer
        assert at(4) == T0 + timedelta(days=11)       # its first message, before its answer
        assert not any(r.index_excluded for r in rows.values())
    finally:
        engine.dispose()
        drop()


def test_downgrade_keeps_every_timeline_event_and_message():
    """Going back to 0001 removes the appeal tables and columns, and nothing else: on SQLite a batch-mode
    downgrade copied `complaint` and, with foreign keys on, cascaded away its events and messages."""
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0002-down.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, "0002_appeals")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event", "message"))
        c, e, m = meta.tables["complaint"], meta.tables["complaint_event"], meta.tables["message"]
        with engine.begin() as conn:
            conn.execute(c.insert(), [_complaint(n) for n in (1, 2)])
            conn.execute(e.insert(), [_event(1, 1, "consumer", "submit", T0), _event(2, 1, "consumer", "submit", T0),
                                      _event(2, 2, "mediator", "accept", T0 + timedelta(hours=1))])
            conn.execute(m.insert(), [{"complaint_id": 1, "author_role": "consumer", "body": "请尽快处理",
                                       "created_at": T0}])
        downgrade(url, "0001_initial")
        meta = MetaData()
        meta.reflect(engine)
        assert "complaint_appeal" not in meta.tables
        assert {"index_excluded", "person_seen_at"}.isdisjoint(meta.tables["complaint"].c.keys())
        with engine.connect() as conn:
            assert conn.execute(select(meta.tables["complaint"].c.id)).scalars().all() == [1, 2]
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 3
            assert len(conn.execute(select(meta.tables["message"].c.id)).all()) == 1
    finally:
        engine.dispose()
        drop()
