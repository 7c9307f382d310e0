"""Moving a complaint stays cheap: a pinned number of SQL statements for an accept (routed to the
business: two events, the outbox fan-out, the index) and a business respond, and the answer it
builds from what it read and wrote (the timeline, the attachments) is exactly what reading it back shows."""
from __future__ import annotations

import threading
import time

import pytest

from server.core.actor import actor_for_user
from server.core.audit import verify_all
from server.core.complaints import actions
from server.core.complaints.visibility import get_visible_complaint
from server.core.models import Notification, User
from tests.api.test_submission_cost import _sql, _upload, counted
from tests.factories import complaint_body

# user with its memberships, complaint with its business (locked), its timeline, UPDATE complaint + INSERT
# accept event, UPDATE complaint + INSERT forward event, the fan-out's staff, consumer identities and
# webhooks (one statement), INSERT notification (one multi-row statement on PostgreSQL, one per row on
# SQLite), the business's index lock (PostgreSQL only: SQLite has one writer at a time), business with
# its index, history, industry means and weights, the counts (collect_stats: one more statement on
# SQLite, for the medians), UPDATE business_index, UPDATE index_history, attachments, the complaint's flags
# (the accepting admin sees abuse flags such as 疑似职业索赔 in the answer) (COMMIT is not counted)
ACCEPT_STATEMENTS = {"postgresql": 16, "sqlite": 17}
# the same without routing: user, complaint with business, timeline, UPDATE + INSERT event, identities,
# INSERT notification, index lock (PostgreSQL), index rows, counts (+1 on SQLite), UPDATE index,
# UPDATE history, attachments (the business sees no flags: no query)
RESPOND_STATEMENTS = {"postgresql": 13, "sqlite": 13}


def _file(client, consumer, business_id: int, **over) -> int:
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(business_id, **over))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _move(client, who, complaint_id: int, action: str, **body):
    return client.post(f"/api/v1/complaints/{complaint_id}/transitions", headers=who.headers,
                       json={"action": action, **body})


def test_transition_statement_counts_are_pinned(client, auth, db):
    owner, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("cost-admin")
    warm, cid = _file(client, consumer, biz["id"]), _file(client, consumer, biz["id"])
    assert _move(client, admin, warm, "accept").status_code == 200  # warm up
    assert _move(client, owner, warm, "respond", note="同意退货").status_code == 200
    dialect = db.engine.dialect.name

    with counted(db) as statements:
        r = _move(client, admin, cid, "accept")
    assert r.status_code == 200 and r.get_json()["status"] == "forwarded", r.get_json()
    assert len(_sql(statements)) == ACCEPT_STATEMENTS[dialect], "\n".join(_sql(statements))

    with counted(db) as statements:
        r = _move(client, owner, cid, "respond", note="同意退货")
    assert r.status_code == 200 and r.get_json()["status"] == "responded", r.get_json()
    assert len(_sql(statements)) == RESPOND_STATEMENTS[dialect], "\n".join(_sql(statements))


def test_transition_answer_equals_the_stored_complaint(client, auth, db, settings):
    owner, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("answer-admin")
    ups = [_upload(client, consumer) for _ in range(2)]
    cid = _file(client, consumer, biz["id"], attachment_ids=[ups[1]["id"], ups[0]["id"]])
    other = _file(client, consumer, None)  # no business on the platform: accept routes it to mediation
    steps = [(admin, cid, "accept", {}), (owner, cid, "respond", {"note": "同意退货"}),
             (consumer, cid, "dispute", {"note": "方案不合理"}), (owner, cid, "propose", {"note": "退一半"}),
             (admin, cid, "mediate_success", {"amount_recovered": "1999.50"}), (consumer, cid, "rate", {"rating": 4}),
             (admin, other, "accept", {}), (consumer, other, "withdraw", {})]
    for who, complaint_id, action, body in steps:
        r = _move(client, who, complaint_id, action, **body)
        assert r.status_code == 200, (action, r.get_json())
        moved = r.get_json()
        shown = client.get(f"/api/v1/complaints/{complaint_id}", headers=who.headers).get_json()
        assert moved == shown, action
    assert [e["action"] for e in moved["timeline"]] == ["submit", "accept", "to_mediation", "withdraw"]
    detail = client.get(f"/api/v1/complaints/{cid}", headers=consumer.headers).get_json()
    assert len(detail["attachments"]) == 2
    assert [e["action"] for e in detail["timeline"]] == [
        "submit", "accept", "forward", "respond", "dispute", "propose", "mediate_success", "rate"]

    # A refused transition writes no event (8 + 4 below).
    r = _move(client, owner, cid, "respond", note="again")
    assert r.status_code == 409, r.get_json()

    with db.session() as s:
        report = verify_all(s, settings)
        keys = [n.dedupe_key for n in s.query(Notification).order_by(Notification.id)]
    assert report["broken"] == [] and report["checked"] == 12
    assert len(keys) == len(set(keys)) and keys


@pytest.mark.postgres_only
def test_a_transition_waiting_for_the_lock_continues_the_chain_from_the_committed_events(client, auth, db, settings):
    """The timeline is read after the complaint's lock is granted, so a transition that waited for another
    one to commit continues the chain from that one's event (no stale last event, no duplicate seq)."""
    owner, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("lock-admin")
    cid = _file(client, consumer, biz["id"])
    assert _move(client, admin, cid, "accept").status_code == 200

    def actor(s, login):
        return actor_for_user(s, s.get(User, login.user_id))

    first = db.Session()
    c = get_visible_complaint(first, actor(first, owner), cid, for_update=True, with_business=True)
    actions.transition_complaint(first, settings, actor(first, owner), c, "respond", note="同意退货")
    first.flush()  # the complaint row stays locked until `first` commits

    outcome: dict = {}

    def second_transition():
        with db.Session() as s:
            try:
                who = actor(s, consumer)
                waited = get_visible_complaint(s, who, cid, for_update=True, with_business=True)  # blocks
                outcome["timeline"] = actions.transition_complaint(s, settings, who, waited, "confirm").timeline
                s.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = repr(exc)

    t = threading.Thread(target=second_transition)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()  # waiting for the lock
    first.commit()
    first.close()
    t.join(10)
    assert "error" not in outcome, outcome["error"]
    assert [e.action for e in outcome["timeline"]] == ["submit", "accept", "forward", "respond", "confirm"]
    shown = client.get(f"/api/v1/complaints/{cid}", headers=consumer.headers).get_json()
    assert [e["seq"] for e in shown["timeline"]] == [1, 2, 3, 4, 5]
    with db.session() as s:
        assert verify_all(s, settings)["broken"] == []
