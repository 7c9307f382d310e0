"""Migration 0016_contact on a database with history: existing complaints keep their timeline and choose the
message thread, existing businesses get the name key complaints are linked by, and down again removes the
columns and keeps every complaint, event and business."""
from __future__ import annotations

import importlib

from sqlalchemy import MetaData, create_engine, select

from server.migrate import downgrade, upgrade
from tests.conftest import _make_test_database
from tests.test_migration_appeals import T0, _complaint, _event

MINE = importlib.import_module("server.migrations.versions.0016_contact")
COMPLAINT_COLUMNS = {"business_address", "business_phone", "business_credit_code", "contact_preference"}


def test_upgrade_backfills_name_keys_and_downgrade_keeps_history():
    url, drop = _make_test_database()
    if url.startswith("sqlite"):
        url = url.replace("test.sqlite3", "migration-0016-contact.sqlite3")
    engine = create_engine(url)
    try:
        upgrade(url, MINE.down_revision)
        meta = MetaData()
        meta.reflect(engine, only=("complaint", "complaint_event", "business"))
        c, e, b = (meta.tables[t] for t in ("complaint", "complaint_event", "business"))
        with engine.begin() as conn:
            conn.execute(b.insert(), [{"id": 1, "name": "北京优品（电器）有限公司", "credit_code": "911101050000000001",
                                       "industry_code": "appliance", "region_code": "110105", "contact_name": "",
                                       "status": "verified", "created_at": T0}])
            conn.execute(c.insert(), [_complaint(n) for n in (1, 2)])
            conn.execute(e.insert(), [_event(1, 1, "consumer", "submit", T0), _event(2, 1, "consumer", "submit", T0)])
        upgrade(url, MINE.revision)
        meta = MetaData()
        meta.reflect(engine)
        complaint, business = meta.tables["complaint"], meta.tables["business"]
        with engine.connect() as conn:
            rows = conn.execute(select(complaint.c.contact_preference, complaint.c.business_address,
                                       complaint.c.business_credit_code)).all()
            assert [tuple(r) for r in rows] == [("message", None, None)] * 2
            assert conn.execute(select(business.c.name_key)).scalar_one() == "北京优品(电器)有限公司"
        downgrade(url, MINE.down_revision)
        meta = MetaData()
        meta.reflect(engine)
        assert COMPLAINT_COLUMNS.isdisjoint(meta.tables["complaint"].c.keys())
        assert "name_key" not in meta.tables["business"].c.keys()
        with engine.connect() as conn:
            assert conn.execute(select(meta.tables["complaint"].c.id)).scalars().all() == [1, 2]
            assert len(conn.execute(select(meta.tables["complaint_event"].c.id)).all()) == 2
            assert len(conn.execute(select(meta.tables["business"].c.id)).all()) == 1
    finally:
        engine.dispose()
        drop()
