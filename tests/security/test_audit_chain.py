"""The timeline is tamper-evident: `smart315 audit verify`, run as the operator would (a subprocess
against the database), passes on a clean database and exits 1 naming the broken link after someone
edits an event's note or deletes an event from the middle of a chain."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import text

from tests.factories import complaint_body


def verify(database_url: str) -> tuple[int, dict]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}
    env.pop("SENTRY_DSN", None)
    proc = subprocess.run([sys.executable, "-m", "server.cli", "audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    out = proc.stdout.strip().splitlines()
    assert out, proc.stderr
    return proc.returncode, json.loads(out[-1])


def _complaint_with_history(client, auth) -> int:
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()
    for who, body in ((mediator, {"action": "accept"}), (owner, {"action": "respond", "note": "同意全额退款"}),
                      (consumer, {"action": "confirm", "amount_recovered": "3999"})):
        r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=who.headers, json=body)
        assert r.status_code == 200, r.get_json()
    # a second, untouched complaint: its chain must stay reported as fine
    client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"], title="第二件投诉"))
    return c["id"]


def test_clean_then_edited_note_is_reported(client, auth, db, database_url):
    cid = _complaint_with_history(client, auth)
    code, report = verify(database_url)
    assert code == 0, report
    assert report["broken"] == [] and report["checked"] >= 6

    with db.engine.begin() as conn:  # what a rogue operator with SQL access could do
        n = conn.execute(text("UPDATE complaint_event SET note = '商家拒绝处理' WHERE complaint_id = :c AND seq = 4"),
                         {"c": cid}).rowcount
        assert n == 1
    code, report = verify(database_url)
    assert code == 1
    assert [(b["complaint_id"], b["seq"]) for b in report["broken"]] == [(cid, 4)]
    assert "event content does not match its hash" in report["broken"][0]["problems"]


def test_deleted_middle_event_is_reported(client, auth, db, database_url):
    cid = _complaint_with_history(client, auth)
    assert verify(database_url)[0] == 0
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM complaint_event WHERE complaint_id = :c AND seq = 2"), {"c": cid})
    code, report = verify(database_url)
    assert code == 1
    broken = report["broken"]
    assert broken and broken[0]["complaint_id"] == cid and broken[0]["seq"] == 3
    assert any("sequence gap" in p for p in broken[0]["problems"])
    assert any("link to previous event broken" in p for p in broken[0]["problems"])
    assert {b["complaint_id"] for b in broken} == {cid}
