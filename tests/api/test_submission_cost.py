"""Filing a complaint stays cheap: a pinned number of SQL statements, and the answer it builds from what
it just wrote (attachments, the submit event) is exactly what reading the complaint back shows."""
from __future__ import annotations

import contextlib
import io

from PIL import Image
from sqlalchemy import event

from server.core.audit import verify_all
from tests.factories import complaint_body

# user with its memberships, the consumer's open and recent complaints (duplicate refusal and the claimant
# signal: server/core/complaints/abuse.py), business, INSERT complaint, UPDATE public_no, INSERT event
# (COMMIT is not counted)
SUBMISSION_STATEMENTS = 5 + 1


def limiter_statements(db, settings) -> int:
    """The complaint rate limit counts in Redis when there is one, else in the database: on PostgreSQL the
    main one (advisory lock, conditional INSERT), on SQLite a file of its own (another engine, not counted)."""
    return 2 if db.is_postgres and not settings.get("REDIS_URL") else 0


@contextlib.contextmanager
def counted(db):
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _sql(statements: list[str]) -> list[str]:
    """Leave out SQLite's BEGIN IMMEDIATE (a transaction marker, issued as a statement there)."""
    return [s for s in statements if not s.lstrip().upper().startswith("BEGIN")]


def _upload(client, who) -> dict:
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 200, 30)).save(buf, format="PNG")
    r = client.post("/api/v1/uploads", headers=who.headers, data={"file": (io.BytesIO(buf.getvalue()), "p.png")})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_submission_statement_count_is_pinned(client, auth, db, settings):
    _owner, biz = auth.business()
    consumer = auth.consumer()
    client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"]))  # warm up
    with counted(db) as statements:
        r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"]))
    assert r.status_code == 201, r.get_json()
    expected = SUBMISSION_STATEMENTS + limiter_statements(db, settings)
    assert len(_sql(statements)) == expected, "\n".join(_sql(statements))


def test_submission_answer_equals_the_stored_complaint(client, auth, db, settings):
    _owner, biz = auth.business()
    consumer = auth.consumer()
    ups = [_upload(client, consumer) for _ in range(3)]
    body = complaint_body(biz["id"], attachment_ids=[ups[2]["id"], ups[0]["id"], ups[1]["id"], ups[0]["id"]])
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=body)
    assert r.status_code == 201, r.get_json()
    filed = r.get_json()
    assert len(filed["attachments"]) == 3 and [e["action"] for e in filed["timeline"]] == ["submit"]
    shown = client.get(f"/api/v1/complaints/{filed['id']}", headers=consumer.headers).get_json()
    assert filed == shown

    no_business = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body()).get_json()
    assert no_business["attachments"] == []
    assert no_business == client.get(f"/api/v1/complaints/{no_business['id']}", headers=consumer.headers).get_json()

    with db.session() as s:
        report = verify_all(s, settings)
    assert report["broken"] == [] and report["checked"] == 2
