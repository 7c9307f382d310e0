"""Issue 18 item 1: collective complaints (集体投诉), through the real API.

Another consumer joins a published open complaint with their own complaint (POST /complaints/{id}/join):
linked to the lead (collective_id), same business, region, title and rule set, through the one filing path.
The lead shows the members (the lead included) and the summed amount; the business hears of the join; the
business applies one reply to the lead and every open member at once (apply_to_members), each member keeping
its own outcome; the public list shows the members; the lead's own consumer and closed leads cannot be joined.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from server.core.models import Complaint, Notification
from tests.factories import act, count, file_complaint


def _published(client, auth, **over):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer("陈大文"), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], public_consent=True, amount_claimed="100.00", **over)
    act(client, mediator, c["id"], "accept")
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()
    return owner, biz, consumer, mediator, c


def _join(client, who, cid, expect=201, headers=None, **body):
    r = client.post(f"/api/v1/complaints/{cid}/join", headers={**who.headers, **(headers or {})}, json=body)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _get(client, who, cid):
    r = client.get(f"/api/v1/complaints/{cid}", headers=who.headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_joining_files_a_linked_complaint_and_the_lead_shows_the_members(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    joiner = auth.consumer("林小雨")
    mine = _join(client, joiner, lead["id"], amount_claimed="50.50", description="我在同一家店买的手机也有坏点。")

    assert mine["id"] != lead["id"] and mine["collective_id"] == lead["id"] and mine["status"] == "submitted"
    assert (mine["business_id"], mine["region_code"], mine["title"]) == (biz["id"], lead["region_code"], lead["title"])
    assert mine["amount_claimed"] == "50.50" and mine["description"] == "我在同一家店买的手机也有坏点。"
    assert mine["public_consent"] is False  # the joiner's own text is not published without their consent
    assert _get(client, joiner, mine["id"]) == {**mine, "allowed_actions": mine["allowed_actions"]}

    seen = _get(client, consumer, lead["id"])
    assert seen["collective"] == {"members": 2, "amount_claimed_total": "150.50"}
    assert seen["collective_id"] is None
    assert [e["action"] for e in seen["timeline"]][-1] == "join"
    # The joiner never sees the lead (it is not theirs), only its public page.
    assert client.get(f"/api/v1/complaints/{lead['id']}", headers=joiner.headers).status_code == 404

    # The business (the lead was forwarded to it) and the lead's consumer hear of the join.
    assert count(db, Notification, Notification.event_type == "complaint.joined",
                 Notification.recipient_id == owner.user_id, Notification.channel == "inbox") == 1
    assert count(db, Notification, Notification.event_type == "complaint.joined",
                 Notification.recipient_id == consumer.user_id, Notification.channel == "inbox") == 1

    # The member is handled like any complaint: the mediator accepts it, with the lead's rule set.
    accepted = act(client, mediator, mine["id"], "accept")
    assert accepted["status"] == "forwarded" and accepted["rule_set"] == _get(client, consumer, lead["id"])["rule_set"]


def test_joining_a_member_joins_its_lead_and_one_cannot_join_twice(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    first, second = auth.consumer("林小雨"), auth.consumer("黄志强")
    member = _join(client, first, lead["id"])
    # The member is visible to its own consumer: joining it through them is joining the lead.
    r = client.post(f"/api/v1/complaints/{member['id']}/join", headers=first.headers, json={})
    assert r.status_code == 409 and "已加入" in r.get_json()["detail"]
    # The member is not public: another consumer cannot find it (404); the lead they can join.
    assert client.post(f"/api/v1/complaints/{member['id']}/join", headers=second.headers, json={}).status_code == 404
    theirs = _join(client, second, lead["id"])
    assert theirs["collective_id"] == lead["id"]
    assert _get(client, consumer, lead["id"])["collective"]["members"] == 3


def test_the_lead_consumer_cannot_join_their_own_and_others_may_not(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    before = count(db, Complaint)
    r = client.post(f"/api/v1/complaints/{lead['id']}/join", headers=consumer.headers, json={})
    assert r.status_code == 409 and "自己提交" in r.get_json()["detail"]
    assert client.post(f"/api/v1/complaints/{lead['id']}/join", headers=owner.headers, json={}).status_code == 403
    assert client.post(f"/api/v1/complaints/{lead['id']}/join", headers=mediator.headers, json={}).status_code == 403
    assert client.post(f"/api/v1/complaints/{lead['id']}/join", json={}).status_code == 401
    bad = client.post(f"/api/v1/complaints/{lead['id']}/join", headers=auth.consumer("林小雨").headers,
                      json={"amount_claimed": "abc"})
    assert bad.status_code == 422
    assert count(db, Complaint) == before  # bad input changes nothing


def test_an_unpublished_complaint_cannot_be_joined_by_strangers(client, auth):
    owner, biz = auth.business()
    c = file_complaint(client, auth.consumer("陈大文"), biz["id"])
    r = client.post(f"/api/v1/complaints/{c['id']}/join", headers=auth.consumer("林小雨").headers, json={})
    assert r.status_code == 404


def test_a_closed_lead_cannot_be_joined(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    act(client, consumer, lead["id"], "withdraw")
    before = count(db, Complaint)
    r = client.post(f"/api/v1/complaints/{lead['id']}/join", headers=auth.consumer("林小雨").headers, json={})
    assert r.status_code == 409, r.get_json()
    assert "已撤回" in r.get_json()["detail"] and "不能再加入" in r.get_json()["detail"]
    assert count(db, Complaint) == before


def test_join_is_idempotent_with_a_key(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    joiner = auth.consumer("林小雨")
    key = {"Idempotency-Key": "join-once-1"}
    first = _join(client, joiner, lead["id"], headers=key, amount_claimed="20")
    again = _join(client, joiner, lead["id"], headers=key, amount_claimed="20")
    assert again["id"] == first["id"]
    assert count(db, Complaint, Complaint.collective_id == lead["id"]) == 1


def test_apply_to_members_moves_the_lead_and_its_open_members_each_on_its_own(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    a, b, late = auth.consumer("林小雨"), auth.consumer("黄志强"), auth.consumer("周杰")
    ma = _join(client, a, lead["id"], amount_claimed="30")
    mb = _join(client, b, lead["id"])
    ml = _join(client, late, lead["id"])
    act(client, mediator, ma["id"], "accept")
    act(client, mediator, mb["id"], "accept")  # `late` is not accepted yet: it never reached the business

    r = client.post(f"/api/v1/complaints/{lead['id']}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": "同意为各位办理退货退款", "apply_to_members": True})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["status"] == "responded" and sorted(out["members_applied"]) == sorted([ma["id"], mb["id"]])
    assert [s["id"] for s in out["members_skipped"]] == [ml["id"]] and out["members_skipped"][0]["detail"]
    assert _get(client, a, ma["id"])["status"] == "responded"
    assert _get(client, b, mb["id"])["status"] == "responded"
    assert _get(client, late, ml["id"])["status"] == "submitted"

    # Each member keeps its own outcome: one confirms, the other disputes.
    assert act(client, a, ma["id"], "confirm")["status"] == "resolved"
    assert act(client, b, mb["id"], "dispute")["status"] == "mediating"
    assert _get(client, consumer, lead["id"])["status"] == "responded"


def test_apply_to_members_refuses_an_outcome(client, auth):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    _join(client, auth.consumer("林小雨"), lead["id"])
    r = client.post(f"/api/v1/complaints/{lead['id']}/transitions", headers=consumer.headers,
                    json={"action": "withdraw", "apply_to_members": True})
    assert r.status_code == 422, r.get_json()
    assert _get(client, consumer, lead["id"])["status"] == "forwarded"  # nothing moved


def test_the_public_list_shows_the_members_and_the_business_queue_the_badge(client, auth):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    [item] = client.get("/api/v1/public/complaints", query_string={"business_id": biz["id"]}).get_json()["items"]
    assert item["id"] == lead["id"] and item["members"] is None and item["joinable"] is True
    _join(client, auth.consumer("林小雨"), lead["id"], amount_claimed="9.90")
    [item] = client.get("/api/v1/public/complaints", query_string={"business_id": biz["id"]}).get_json()["items"]
    assert item["members"] == 2  # at once, not after the cache's freshness window
    page = client.get(f"/cases/{lead['public_no']}").get_data(as_text=True)
    assert "已有2人加入" in page and "我也遇到了" in page

    together = client.get("/api/v1/complaints", headers=mediator.headers,
                          query_string={"collective": lead["id"]}).get_json()["items"]
    assert len(together) == 2 and {c["collective_id"] for c in together} == {None, lead["id"]}
    queue = client.get("/api/v1/complaints", headers=owner.headers).get_json()["items"]
    [shown] = [c for c in queue if c["id"] == lead["id"]]
    assert shown["collective"] == {"members": 2, "amount_claimed_total": "109.90"}


def test_classify_suggests_an_open_collective_case_against_the_same_business(client, auth):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    _join(client, auth.consumer("林小雨"), lead["id"])
    other = auth.consumer("黄志强")
    r = client.post("/api/v1/assist/classify", headers=other.headers,
                    json={"text": f"在{biz['name']}买的手机屏幕有坏点，商家不给退货"})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert [c["id"] for c in got["business_candidates"]][:1] == [biz["id"]], got
    assert got["collective_suggestion"] == {"id": lead["id"], "title": lead["title"], "members": 2}
    # The lead's own consumer is not told to join their own case.
    mine = client.post("/api/v1/assist/classify", headers=consumer.headers,
                       json={"text": f"在{biz['name']}买的手机屏幕有坏点，商家不给退货"}).get_json()
    assert mine["collective_suggestion"] is None


def test_each_member_counts_in_the_index_like_any_complaint(client, auth, db):
    owner, biz, consumer, mediator, lead = _published(client, auth)
    joiner = auth.consumer("林小雨")
    member = _join(client, joiner, lead["id"])
    act(client, mediator, member["id"], "accept")
    with db.session() as s:
        rows = s.execute(select(Complaint.id, Complaint.person_seen_at).where(
            Complaint.business_id == biz["id"])).all()
    assert {r[0] for r in rows if r[1] is not None} == {lead["id"], member["id"]}
    doc = client.get("/api/v1/public/index-method").get_json()
    assert "集体投诉" in doc["counting"]["collective"]


def test_the_duplicate_warning_offers_the_open_collective_case(client, auth, app):
    app.config["SMART315"]["DUPLICATE_COMPLAINT_THRESHOLD"] = 0.9  # tests file freely; this one screens
    owner, biz, consumer, mediator, lead = _published(client, auth)
    _join(client, auth.consumer("林小雨"), lead["id"])
    alone = auth.consumer("黄志强")
    body = {"title": "电视机开机黑屏，商家不给维修", "description": "买了不到一个月的电视机开机黑屏，商家拒绝保修。"}
    file_complaint(client, alone, biz["id"], **body)
    r = client.post("/api/v1/complaints", headers=alone.headers, json={
        "industry_code": "online_shopping", "region_code": "110105", "category": "quality", "business_id": biz["id"],
        "demands": ["repair"], **body})
    assert r.status_code == 409 and r.get_json()["code"] == "duplicate_complaint", r.get_json()
    assert r.get_json()["collective_suggestion"] == {"id": lead["id"], "title": lead["title"], "members": 2}


@pytest.mark.postgres_only
def test_a_join_waiting_for_the_leads_lock_continues_its_chain(client, auth, db, settings):
    """Two joins of one case at once: the second waits for the lead's lock, reads the lead again and writes
    the next event of its chain (no stale version, no duplicate seq); both members count."""
    from server.core import collective
    from server.core.actor import actor_for_user
    from server.core.audit import verify_all
    from server.core.models import User, utcnow

    owner, biz, consumer, mediator, lead = _published(client, auth)
    a, b = auth.consumer("林小雨"), auth.consumer("黄志强")

    def join_in(s, login):
        who = actor_for_user(s, s.get(User, login.user_id))
        return collective.do_join(s, settings, who, collective.check_join(s, who, lead["id"], {}), utcnow())

    first = db.Session()
    join_in(first, a)
    first.flush()  # the lead stays locked until `first` commits
    outcome: dict = {}

    def second():
        with db.Session() as s:
            try:
                s.get(Complaint, lead["id"])  # already in the session before the lock, as check_join reads it
                outcome["id"] = join_in(s, b).complaint.id
                s.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = repr(exc)

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()  # waiting for the lead's lock
    first.commit()
    first.close()
    t.join(10)
    assert "error" not in outcome, outcome["error"]
    shown = _get(client, consumer, lead["id"])
    assert shown["collective"]["members"] == 3
    assert [e["action"] for e in shown["timeline"]][-2:] == ["join", "join"]
    assert [e["data"].get("members") for e in shown["timeline"]][-2:] == [2, 3]
    with db.session() as s:
        assert verify_all(s, settings)["broken"] == []
