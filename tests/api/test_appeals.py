"""Issue 14 item 5: what counts in the published index, and business appeals (申诉), through the real API.

The end-to-end property: a burst of fake complaints against one business, from one account or from many
new ones, filed through the API and then left alone (also after the scheduler's automatic acceptance,
forwarding, response and mediation timeouts and closing: `smart315 scheduler --once --now` in the future),
does not move that business's published index (GET /businesses/{id}, GET /public/rankings) before a person
has looked at them; and an upheld appeal takes a complaint out of it at once, in the decision's own effect.
"""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.core.audit import verify_all
from server.core.models import BusinessIndex, Complaint, ComplaintEvent, Notification
from server.core.scoring.actions import recompute_all
from server.core.timeutil import SHANGHAI
from tests.api.test_deadlines import run_scheduler
from tests.factories import act, complaint_body, file_complaint, png_bytes, settle

INDEX_KEYS = ("score", "grade", "insufficient", "n_complaints", "components", "counts")
RANK_KEYS = ("rank", "score", "grade", "insufficient", "n_complaints", "components")


def published(client, business_id: int) -> dict:
    """What the public sees of the business's index: its profile's index and its place in the rankings."""
    profile = client.get(f"/api/v1/businesses/{business_id}")
    assert profile.status_code == 200
    idx = profile.get_json()["index"]
    ranks = client.get("/api/v1/public/rankings", query_string={"industry": "online_shopping", "per_page": 100})
    assert ranks.status_code == 200
    body = ranks.get_json()
    entry = next((i for i in body["items"] if i["business_id"] == business_id), None)
    return {"index": None if idx is None else {k: idx[k] for k in INDEX_KEYS},
            "ranking": None if entry is None else {k: entry[k] for k in RANK_KEYS},
            "ranked_total": body["ranked_total"], "insufficient_total": body["insufficient_total"]}


def published_fresh(app, client, business_id: int) -> dict:
    """As `published`, with the public cache emptied first: the scheduler runs in another process (without
    the test's Redis), so a cached answer could hide a change; this reads what is stored now."""
    app.extensions.pop("smart315.public_cache", None)
    r = app.extensions.get("smart315.redis")
    if r is not None:
        r.flushdb()
    return published(client, business_id)


def _future(days: int) -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)).astimezone(SHANGHAI).isoformat()


def _ranked_business(client, auth, name: str, rating: int):
    owner, biz = auth.business(name)
    mediator = auth.mediator("1101", username=f"med-{biz['id']}")
    for i in range(6):
        settle(client, auth.consumer(f"顾客{i}"), mediator, owner, biz["id"], rating=rating,
               title=f"第{i}件：耳机有杂音要求退货", description=f"第{i}次购买的耳机有杂音，要求退货退款。")
    return owner, biz, mediator


@pytest.mark.parametrize("accounts", ["one", "many"])
def test_a_burst_of_fake_complaints_left_alone_cannot_move_the_published_index(app, client, auth, settings, db,
                                                                                accounts):
    owner, target, _ = _ranked_business(client, auth, "北京甲电器有限公司", rating=5)
    _ranked_business(client, auth, "北京乙电器有限公司", rating=4)
    run_scheduler(settings, _future(1))  # the jobs' first run: full recompute, industry-means snapshot
    before = published_fresh(app, client, target["id"])
    assert before["ranking"] is not None and before["ranking"]["rank"] == 1 and not before["index"]["insufficient"]

    attacker = auth.consumer("新用户")
    filed = []
    for i in range(15):
        who = attacker if accounts == "one" else auth.consumer(f"新用户{i}")
        r = client.post("/api/v1/complaints", headers=who.headers, json=complaint_body(
            target["id"], title=f"差评{i}：商品质量极差", description=f"第{i}次：买到的东西完全不能用，商家是骗子，大家别买。"))
        # Abuse controls may refuse part of the burst (429, 409 duplicate): a refused complaint is not filed.
        assert r.status_code in (201, 409, 429), r.get_json()
        if r.status_code == 201:
            filed.append(r.get_json()["id"])
    assert filed
    assert published_fresh(app, client, target["id"]) == before

    # Nobody looks at them: the scheduler accepts and forwards them, their response and mediation deadlines
    # pass, they end unresolved and close. At each pass the published index is what it was.
    for days in (12, 40, 150):
        run_scheduler(settings, _future(days))
        assert published_fresh(app, client, target["id"]) == before, f"after the scheduler at +{days} days"
    with db.session() as s:
        rows = s.execute(select(Complaint).where(Complaint.id.in_(filed))).scalars().all()
        # They did reach the business (forwarded, timed out in mediation): under the first-release rule
        # every one of them would count in its index.
        assert {c.status for c in rows} == {"closed"} and all(c.forwarded_at is not None for c in rows)
        assert {c.outcome for c in rows} == {"unresolved"} and not any(c.person_seen_at for c in rows)

    # Once the business answers one of them, that one counts (a person looked at it).
    still_open = file_complaint(client, attacker, target["id"], title="最后一件：质量问题",
                                description="最后一次投诉：东西不能用，要求退款。")
    run_scheduler(settings, _future(12))  # auto-accepted and forwarded, nobody has looked at it yet
    assert published_fresh(app, client, target["id"]) == before
    act(client, owner, still_open["id"], "respond", note="请提供订单号，我们核实后处理")
    after = published_fresh(app, client, target["id"])
    assert after["index"]["n_complaints"] == before["index"]["n_complaints"] + 1


def _bad_complaint(client, auth, owner, mediator, business_id):
    """A complaint a mediator accepted and handled, that ended unresolved: it counts, and lowers the index."""
    consumer = auth.consumer("职业投诉人")
    c = file_complaint(client, consumer, business_id, title="手机有划痕要求三倍赔偿",
                       description="收到的手机有一道划痕，要求三倍赔偿。")
    act(client, mediator, c["id"], "accept")
    act(client, owner, c["id"], "respond", note="我们愿意换货，不同意三倍赔偿")
    act(client, consumer, c["id"], "dispute")
    act(client, mediator, c["id"], "mediate_fail", note="双方未达成一致")
    return consumer, c


def test_an_upheld_appeal_takes_the_complaint_out_of_the_published_index_at_once(app, client, auth, settings, db):
    owner, biz, mediator = _ranked_business(client, auth, "北京丙电器有限公司", rating=5)
    _ranked_business(client, auth, "北京丁电器有限公司", rating=4)
    consumer, c = _bad_complaint(client, auth, owner, mediator, biz["id"])
    # Read twice, so the public cache and the fast path in front of Flask both hold these answers.
    published(client, biz["id"])
    before = published(client, biz["id"])
    assert before["index"]["n_complaints"] == 7

    r = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=owner.headers,
                    json={"reason": "malicious", "note": "该用户在多家店铺以同样理由索要三倍赔偿"})
    assert r.status_code == 201, r.get_json()
    appeal = r.get_json()
    assert appeal["state"] == "pending" and appeal["reason"] == "malicious" and not appeal["index_excluded"]
    assert published(client, biz["id"]) == before  # filing an appeal changes nothing

    d = client.post(f"/api/v1/complaints/{c['id']}/appeals/{appeal['id']}/decision", headers=mediator.headers,
                    json={"upheld": True, "note": "查实为职业索赔"})
    assert d.status_code == 200, d.get_json()
    assert d.get_json()["state"] == "upheld" and d.get_json()["index_excluded"] is True
    after = published(client, biz["id"])  # the same requests, with the caches warm: they see it at once
    assert after["index"]["n_complaints"] == 6 and after["ranking"]["n_complaints"] == 6
    assert after["index"]["score"] > before["index"]["score"]
    assert after["ranking"]["score"] == after["index"]["score"]
    assert after["index"]["counts"]["mediation"] == before["index"]["counts"]["mediation"] - 1
    # What the decision's transaction stored is what a full recompute gives.
    with db.session() as s:
        assert recompute_all(s, settings)["changed"] == 0
        s.rollback()
    detail = client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).get_json()
    assert detail["index_excluded"] is True and detail["appeals"][0]["state"] == "upheld"


def test_a_rejected_appeal_keeps_the_complaint_counted(client, auth):
    owner, biz, mediator = _ranked_business(client, auth, "北京戊电器有限公司", rating=5)
    _, c = _bad_complaint(client, auth, owner, mediator, biz["id"])
    before = published(client, biz["id"])
    a = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=owner.headers, json={"reason": "not_consumer"})
    assert a.status_code == 201
    d = client.post(f"/api/v1/complaints/{c['id']}/appeals/{a.get_json()['id']}/decision",
                    headers=mediator.headers, json={"upheld": False, "note": "有购买记录"})
    assert d.status_code == 200 and d.get_json()["state"] == "rejected" and not d.get_json()["index_excluded"]
    assert published(client, biz["id"]) == before


def test_appeal_rules_views_timeline_and_notices(app, client, auth, db, settings):
    owner, biz = auth.business("北京己电器有限公司")
    other_owner, _other = auth.business("北京庚电器有限公司")
    mediator = auth.mediator("1101", username="med-appeals")
    far_mediator = auth.mediator("3101", username="med-shanghai")
    consumer = auth.consumer("赵六")
    c = file_complaint(client, consumer, biz["id"])
    url = f"/api/v1/complaints/{c['id']}/appeals"
    # Before it is forwarded the business is not a party: it cannot see it, so it cannot appeal it.
    assert client.post(url, headers=owner.headers, json={"reason": "duplicate"}).status_code == 404
    act(client, mediator, c["id"], "accept")

    r = client.post(url, headers=consumer.headers, json={"reason": "duplicate"})
    assert r.status_code == 403 and r.get_json()["detail"] == "只有被投诉商家可以对这件投诉提出申诉"
    assert client.post(url, headers=other_owner.headers, json={"reason": "duplicate"}).status_code == 404
    bad = client.post(url, headers=owner.headers, json={"reason": "bored"})
    assert bad.status_code == 422
    other = client.post(url, headers=owner.headers, json={"reason": "other"})
    assert other.status_code == 422 and "其他" in other.get_json()["detail"]

    up = client.post("/api/v1/uploads", headers=owner.headers, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(png_bytes(8, (200, 10, 10))), "proof.png")})
    assert up.status_code == 201
    first = client.post(url, headers=owner.headers, json={"reason": "duplicate", "note": "与 TS 开头的另一件重复",
                                                          "attachment_ids": [up.get_json()["id"]]})
    assert first.status_code == 201, first.get_json()
    appeal = first.get_json()
    assert appeal["attachments"][0]["id"] == up.get_json()["id"] and appeal["filed_via"] == "staff"
    second = client.post(url, headers=owner.headers, json={"reason": "malicious"})
    assert second.status_code == 409 and second.get_json()["code"] == "appeal_pending"
    assert "待处理的申诉" in second.get_json()["detail"]

    # The business and the mediator see the appeal whole; the consumer that it exists and how it ends.
    seen = client.get(f"/api/v1/complaints/{c['id']}", headers=mediator.headers).get_json()["appeals"]
    assert seen[0]["reason"] == "duplicate" and seen[0]["note"]
    mine = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert mine["appeals"] == [{"id": appeal["id"], "complaint_id": c["id"], "state": "pending",
                                "created_at": appeal["created_at"], "decided_at": None}]
    assert "与 TS" not in str(mine)
    evidence = f"/api/v1/uploads/{up.get_json()['id']}"
    assert client.get(evidence, headers=mediator.headers).status_code == 200
    assert client.get(evidence, headers=consumer.headers).status_code == 404
    # The mediators' queue.
    queue = client.get("/api/v1/complaints", headers=mediator.headers, query_string={"appeal": "pending"}).get_json()
    assert [i["id"] for i in queue["items"]] == [c["id"]]

    decide = f"{url}/{appeal['id']}/decision"
    assert client.post(decide, headers=owner.headers, json={"upheld": True}).status_code == 403
    assert client.post(decide, headers=far_mediator.headers, json={"upheld": True}).status_code == 404
    assert client.post(f"{url}/999999/decision", headers=mediator.headers, json={"upheld": True}).status_code == 404
    ok = client.post(decide, headers=mediator.headers, json={"upheld": True, "note": "确为重复"})
    assert ok.status_code == 200
    again = client.post(decide, headers=mediator.headers, json={"upheld": False})
    assert again.status_code == 409 and again.get_json()["code"] == "appeal_decided"
    excluded = client.post(url, headers=owner.headers, json={"reason": "malicious"})
    assert excluded.status_code == 409 and excluded.get_json()["code"] == "index_excluded"
    assert client.get("/api/v1/complaints", headers=mediator.headers,
                      query_string={"appeal": "pending"}).get_json()["items"] == []
    mine = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert mine["appeals"][0]["state"] == "upheld" and mine["index_excluded"] is True

    with db.session() as s:
        evs = s.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c["id"])
                        .order_by(ComplaintEvent.seq)).scalars().all()
        assert [(e.action, e.actor_role) for e in evs[-2:]] == [("appeal", "business_staff"),
                                                                 ("appeal_decision", "mediator")]
        assert evs[-1].data["upheld"] is True and evs[-1].prev_hash == evs[-2].hash
        assert verify_all(s, settings)["broken"] == []
        inbox = {(n.event_type, n.recipient_id) for n in s.execute(
            select(Notification).where(Notification.complaint_id == c["id"], Notification.channel == "inbox")).scalars()}
    assert {("appeal.filed", consumer.user_id), ("appeal.filed", mediator.user_id),
            ("appeal.decided", consumer.user_id), ("appeal.decided", owner.user_id)} <= inbox
    assert ("appeal.filed", far_mediator.user_id) not in inbox and ("appeal.filed", owner.user_id) not in inbox


def test_an_api_key_may_appeal_like_staff(client, auth):
    owner, biz = auth.business("北京辛电器有限公司")
    mediator = auth.mediator("1101", username="med-key")
    c = file_complaint(client, auth.consumer(), biz["id"])
    act(client, mediator, c["id"], "accept")
    key = client.post(f"/api/v1/businesses/{biz['id']}/api-keys", headers=owner.headers, json={"name": "crm"})
    headers = {"X-Api-Key": key.get_json()["key"]}
    r = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=headers, json={"reason": "wrong_business"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["filed_via"] == "api_key"
    d = client.post(f"/api/v1/complaints/{c['id']}/appeals/{r.get_json()['id']}/decision", headers=headers,
                    json={"upheld": True})
    assert d.status_code == 403  # only a mediator or an admin decides


def test_person_seen_and_excluded_complaints_equal_in_incremental_and_full(session, settings):
    """Whatever order the first look, the scheduler's steps and an appeal come in, the stored index equals
    a full recompute (core path, both databases)."""
    from server.core.actor import actor_for_user
    from server.core.appeals import do_decide_appeal, do_file_appeal
    from server.core.complaints.actions import do_create_complaint, do_system_step, do_transition
    from server.core.models import Business, BusinessMember, User
    from tests.factories import credit_code

    now = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    admin, consumer, staff = (User(kind="admin", display_name="管理员", username="seen-admin"),
                              User(kind="consumer", display_name="李四"), User(kind="business_staff", display_name="客服"))
    session.add_all([admin, consumer, staff])
    session.flush()
    b = Business(name="看过测试商家", credit_code=credit_code(70_001), industry_code="online_shopping",
                 region_code="110105", status="verified")
    session.add(b)
    session.flush()
    session.add(BusinessMember(business_id=b.id, user_id=staff.id, role="owner"))
    session.flush()
    who = {k: actor_for_user(session, u) for k, u in (("admin", admin), ("consumer", consumer), ("staff", staff))}
    made = []
    for i in range(4):
        c = do_create_complaint(session, settings, who["consumer"], {
            "business_id": b.id, "industry_code": "online_shopping", "region_code": "110105", "category": "quality",
            "title": f"投诉{i}", "description": "商品有质量问题", "demands": ["refund"]}, now=now).complaint
        do_system_step(session, settings, c, "auto_accept", now + timedelta(days=10))
        made.append(c)
    idx = session.get(BusinessIndex, b.id)
    assert idx is not None and idx.n_complaints == 0  # forwarded automatically: nobody has looked at them
    do_transition(session, settings, who["staff"], made[0], "respond", note="同意退款", now=now + timedelta(days=11))
    do_system_step(session, settings, made[1], "response_timeout", now + timedelta(days=30))
    appeal, _ = do_file_appeal(session, settings, who["staff"], made[2], "malicious", "恶意", now=now + timedelta(days=12))
    assert session.get(BusinessIndex, b.id).n_complaints == 1
    do_decide_appeal(session, settings, who["admin"], made[2], appeal.id, False, None, now=now + timedelta(days=13))
    assert session.get(BusinessIndex, b.id).n_complaints == 2  # rejected: a person looked at it, it counts
    appeal, _ = do_file_appeal(session, settings, who["staff"], made[0], "duplicate", None, now=now + timedelta(days=14))
    do_decide_appeal(session, settings, who["admin"], made[0], appeal.id, True, None, now=now + timedelta(days=15))
    incremental = {k: getattr(session.get(BusinessIndex, b.id), k) for k in ("score", "components", "counts",
                                                                             "n_complaints")}
    assert incremental["n_complaints"] == 1
    assert recompute_all(session, settings, now + timedelta(days=30))["changed"] == 0
    session.expire_all()
    assert {k: getattr(session.get(BusinessIndex, b.id), k) for k in incremental} == incremental
