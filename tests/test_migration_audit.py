"""Migration 0010_audit on a database with history: every existing event stays, marked as the legacy unkeyed
chain (its hashes still verify, `audit verify` asks for a reseal), `reseal` puts the timelines on the keyed
chain, and a downgrade keeps every event and message."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, create_engine, select

from server.core.auditchain import legacy_hash, reseal, verify_all
from server.db import Database
from server.migrate import downgrade, upgrade
from tests.conftest import _make_test_database
from tests.test_migration_appeals import _complaint

T0 = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
SETTINGS = {"AUDIT_KEY": "migration-test-key"}


def _timeline(cid: int, steps: list[tuple[str, str, str]]) -> list[dict]:
    """Events as the first release wrote them: the unkeyed SHA-256 chain."""
    rows, prev = [], "0" * 64
    for seq, (role, action, to) in enumerate(steps, start=1):
        at = T0 + timedelta(hours=seq)
        h = legacy_hash(cid, seq, None, role, action, None, to, None, {}, at, prev)
        rows.append({"complaint_id": cid, "seq": seq, "actor_role": role, "action": action, "to_status": to,
                     "data": {}, "created_at": at, "prev_hash": prev, "hash": h})
        prev = h
    return rows


def test_existing_timelines_become_legacy_then_resealed_and_survive_downgrade():
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0003-audit.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, "0002_appeals")
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event", "message"))
        c, e, m = meta.tables["complaint"], meta.tables["complaint_event"], meta.tables["message"]
        with engine.begin() as conn:
            conn.execute(c.insert(), [_complaint(n) for n in (1, 2)])
            conn.execute(e.insert(), _timeline(1, [("consumer", "submit", "submitted"),
                                                   ("mediator", "accept", "accepted"),
                                                   ("system", "forward", "forwarded")])
                         + _timeline(2, [("consumer", "submit", "submitted")]))
            conn.execute(m.insert(), [{"complaint_id": 1, "author_role": "consumer", "body": "请尽快处理",
                                       "created_at": T0}])
        upgrade(url, "head")
        db = Database(url)
        with db.session() as s:
            report = verify_all(s, SETTINGS)
            assert report["broken"] == [] and report["checked"] == 4
            assert report["legacy"] == 2 and report["keyed"] == 0 and not report["ok"]
            assert verify_all(s, SETTINGS, allow_legacy=True)["ok"]
            s.rollback()
            assert reseal(s, SETTINGS) == {"resealed": 2, "refused": []}
            report = verify_all(s, SETTINGS)
            assert report["ok"] and report["keyed"] == 2 and report["legacy"] == 0, report
            assert not verify_all(s, {"AUDIT_KEY": "another-key"})["ok"]
            s.rollback()
        db.dispose()

        downgrade(url, "0002_appeals")
        meta = MetaData()
        meta.reflect(engine)
        assert {"chain", "state"}.isdisjoint(meta.tables["complaint_event"].c.keys())
        assert "audit_seq" not in meta.tables["complaint"].c.keys()
        with engine.connect() as conn:
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 4
            assert len(conn.execute(select(meta.tables["message"].c.id)).all()) == 1
    finally:
        engine.dispose()
        drop()
