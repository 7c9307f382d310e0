"""Issue 14 item 3: user text and images pass a moderation provider before they are stored.

Through the real API: a risky text is refused (422 content_rejected, Chinese detail) and nothing is
stored; a review text is stored but the complaint is held from the business and the public until one
of its mediators clears it (POST /complaints/{id}/moderation); with MODERATION_PROVIDER=wechat a user
who signed in with WeChat is checked by msg_sec_check v2 (the simulator) and everyone else, or a WeChat
user WeChat will not check (61010: not active in the last 2 hours), by the local word list.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from server.core.models import Appeal, Complaint, ComplaintEvent, Message
from server.simulators.runner import start_in_thread
from server.simulators.wechat import openid_for
from tests.factories import Login, act, complaint_body, count, file_complaint
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim

RISKY = "另有网络赌博网站，日赚千元"       # words of the local list's risky tier
REVIEW = "对方疑似传销组织，请平台核实"      # a review word: a genuine complaint may be about it


_reads = iter(range(100, 1, -1))


def public_nos(client) -> set[str]:
    # A page size of its own for each read: the public cache serves a stale entry while it refreshes it.
    r = client.get("/api/v1/public/complaints", query_string={"per_page": next(_reads)})
    assert r.status_code == 200
    return {i["public_no"] for i in r.get_json()["items"]}


@pytest.fixture
def world(client, auth):
    consumer = auth.consumer("王芳")
    owner, business = auth.business()
    mediator = auth.mediator("1101")
    return consumer, owner, business, mediator


def test_risky_complaint_is_refused_and_nothing_is_stored(client, db, world):
    consumer, owner, business, mediator = world
    before = (count(db, Complaint), count(db, ComplaintEvent))
    r = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(business["id"], description="商家店内张贴" + RISKY))
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == "content_rejected"
    assert "违规" in body["detail"] and body["label"] == "违法犯罪"
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert (count(db, Complaint), count(db, ComplaintEvent)) == before
    # The title is checked too, and a space or full-width letter does not slip past.
    r = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(business["id"], title="网 络-赌 博 网站"))
    assert r.status_code == 422 and r.get_json()["code"] == "content_rejected"
    assert count(db, Complaint) == before[0]


def test_review_complaint_is_held_from_business_and_public_until_cleared(client, db, world):
    consumer, owner, business, mediator = world
    held = file_complaint(client, consumer, business["id"], description="商家要求先交入会费，" + REVIEW)
    plain = file_complaint(client, consumer, business["id"], title="耳机左声道没有声音")
    assert held["moderation"] == "review" and plain["moderation"] == "pass"
    for c in (held, plain):
        act(client, mediator, c["id"], "accept")  # forwarded to the verified business
        r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers,
                        json={"approve": True, "note": "已核对"})
        assert r.status_code == 200, r.get_json()  # publication approved: only moderation holds it back
    # The business sees the plain one only; the held one is not even acknowledged to exist.
    ids = {i["id"] for i in client.get("/api/v1/complaints", headers=owner.headers).get_json()["items"]}
    assert ids == {plain["id"]}
    assert client.get(f"/api/v1/complaints/{held['id']}", headers=owner.headers).status_code == 404
    r = client.post(f"/api/v1/complaints/{held['id']}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": "同意退款"})
    assert r.status_code == 404
    assert public_nos(client) == {plain["public_no"]}
    # Nor does it hear of it: the inbox has the plain complaint's forwarding only.
    inbox = client.get("/api/v1/notifications", headers=owner.headers).get_json()["items"]
    assert inbox and all(held["public_no"] not in (n.get("body") or "") for n in inbox)
    assert any(plain["public_no"] in (n.get("body") or "") for n in inbox)
    # The consumer still sees it, held.
    mine = client.get(f"/api/v1/complaints/{held['id']}", headers=consumer.headers).get_json()
    assert mine["moderation"] == "review"

    # The mediators' queue of held complaints.
    queue = client.get("/api/v1/complaints", headers=mediator.headers, query_string={"moderation": "review"})
    assert [i["id"] for i in queue.get_json()["items"]] == [held["id"]]
    # Neither the consumer nor the business may clear it; another region's mediator cannot see it.
    body = {"clear": True}
    assert client.post(f"/api/v1/complaints/{held['id']}/moderation", headers=consumer.headers,
                       json=body).status_code == 403
    assert client.post(f"/api/v1/complaints/{held['id']}/moderation", headers=owner.headers,
                       json=body).status_code == 404
    r = client.post(f"/api/v1/complaints/{held['id']}/moderation", headers=mediator.headers, json=body)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["moderation"] == "pass"
    assert r.get_json()["timeline"][-1]["action"] == "moderation"
    assert client.get(f"/api/v1/complaints/{held['id']}", headers=owner.headers).status_code == 200
    assert public_nos(client) == {plain["public_no"], held["public_no"]}
    inbox = client.get("/api/v1/notifications", headers=owner.headers).get_json()["items"]
    assert any(held["public_no"] in (n.get("body") or "") for n in inbox)  # told of it once cleared
    # Cleared once: a second decision has nothing to decide.
    r = client.post(f"/api/v1/complaints/{held['id']}/moderation", headers=mediator.headers, json=body)
    assert r.status_code == 409 and r.get_json()["code"] == "not_under_review"


def test_refused_review_stays_hidden_with_its_reason(client, world, auth):
    consumer, owner, business, mediator = world
    held = file_complaint(client, consumer, business["id"], description=REVIEW)
    act(client, mediator, held["id"], "accept")
    assert client.post(f"/api/v1/complaints/{held['id']}/publication", headers=mediator.headers,
                       json={"approve": True}).status_code == 200
    outsider = auth.mediator("3101")
    assert client.post(f"/api/v1/complaints/{held['id']}/moderation", headers=outsider.headers,
                       json={"clear": False}).status_code == 404
    r = client.post(f"/api/v1/complaints/{held['id']}/moderation", headers=mediator.headers,
                    json={"clear": False, "note": "含有未经证实的指控"})
    assert r.status_code == 200
    assert r.get_json()["moderation"] == "rejected"
    seen = client.get(f"/api/v1/complaints/{held['id']}", headers=consumer.headers).get_json()
    assert seen["timeline"][-1]["note"] == "含有未经证实的指控"
    assert client.get(f"/api/v1/complaints/{held['id']}", headers=owner.headers).status_code == 404
    assert held["public_no"] not in public_nos(client)


def test_messages_replies_and_appeals_are_moderated(client, db, world):
    consumer, owner, business, mediator = world
    c = file_complaint(client, consumer, business["id"])
    act(client, mediator, c["id"], "accept")
    # A risky message is refused, by either side, and not stored.
    for who in (consumer, owner):
        r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=who.headers, json={"body": RISKY})
        assert r.status_code == 422 and r.get_json()["code"] == "content_rejected"
    assert count(db, Message, Message.complaint_id == c["id"]) == 0
    # A risky business reply is refused and the complaint does not move.
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": "你个傻逼"})
    assert r.status_code == 422 and r.get_json()["code"] == "content_rejected"
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()["status"] == "forwarded"
    # A risky appeal is refused and not stored.
    r = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=owner.headers,
                    json={"reason": "other", "note": "此人是职业打假，" + RISKY})
    assert r.status_code == 422 and r.get_json()["code"] == "content_rejected"
    assert count(db, Appeal) == 0
    # A clean appeal still goes through.
    r = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=owner.headers,
                    json={"reason": "duplicate", "note": "与另一件投诉重复"})
    assert r.status_code == 201
    # A consumer message of the review tier is stored and holds the complaint from the business.
    before = client.get("/api/v1/notifications", headers=owner.headers).get_json()["total"]
    r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers, json={"body": REVIEW})
    assert r.status_code == 201
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).status_code == 404
    # The held message's text did not reach the business through its inbox either.
    assert client.get("/api/v1/notifications", headers=owner.headers).get_json()["total"] == before
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=mediator.headers).get_json()["moderation"] == "review"


def test_consult_question_is_moderated(client):
    r = client.post("/api/v1/consult", json={"question": "哪里有" + RISKY + "？"})
    assert r.status_code == 422 and r.get_json()["code"] == "content_rejected"
    assert client.post("/api/v1/consult", json={"question": "网购七天无理由退货怎么规定的？"}).status_code == 200


# ------------------------------------------------------------------ MODERATION_PROVIDER=wechat

@pytest.fixture
def settings_overrides(settings_overrides, request):
    if "wechat_sim" not in request.fixturenames:
        return settings_overrides
    sim = request.getfixturevalue("wechat_sim")
    return {**settings_overrides, "MODERATION_PROVIDER": "wechat",
            "WECHAT_API_BASE_URL": sim.settings["WECHAT_API_BASE_URL"], "WECHAT_TIMEOUT_SECONDS": 2}


def wechat_consumer(client, name: str) -> Login:
    r = client.post("/api/v1/auth/wechat", json={"code": f"ok-{name}"})
    assert r.status_code in (200, 201), r.get_json()
    b = r.get_json()
    return Login(b["user"]["id"], b["access_token"], b["refresh_token"], "consumer")


def test_wechat_users_are_checked_by_wechat_others_fall_back_to_local(client, auth, settings, wechat_sim):
    _, business = auth.business()
    wx = wechat_consumer(client, "liwei")
    openid = openid_for(settings["WECHAT_MINI_APPID"], "liwei")
    # The simulator's own words: "违禁词" is risky for WeChat and unknown to the local list.
    r = client.post("/api/v1/complaints", headers=wx.headers,
                    json=complaint_body(business["id"], description="商家客服在电话里对我说了违禁词，态度恶劣"))
    assert r.status_code == 422 and r.get_json()["code"] == "content_rejected", r.get_json()
    assert r.get_json()["provider"] == "wechat"
    check = wechat_sim.get("/_sim/sec_checks")[-1]
    assert (check["openid"], check["version"], check["scene"]) == (openid, 2, 3)
    held = file_complaint(client, wx, business["id"], description="商家的宣传材料里出现了待审词，请核实")
    assert held["moderation"] == "review"
    # A consumer without WeChat goes to the local list: the WeChat word passes, the local one does not.
    phone_user = auth.consumer("赵六")
    n = len(wechat_sim.get("/_sim/sec_checks"))
    assert file_complaint(client, phone_user, business["id"], description="商家客服在电话里对我说了违禁词，态度恶劣")["moderation"] == "pass"
    r = client.post("/api/v1/complaints", headers=phone_user.headers,
                    json=complaint_body(business["id"], description=RISKY))
    assert r.status_code == 422 and r.get_json()["provider"] == "local"
    assert len(wechat_sim.get("/_sim/sec_checks")) == n  # WeChat was not asked about them


def test_wechat_refusing_to_check_falls_back_to_local_never_500(client, auth, settings, wechat_sim):
    _, business = auth.business()
    wx = wechat_consumer(client, "zhoujie")
    wechat_sim.post("/_sim/moderation", {"inactive": [openid_for(settings["WECHAT_MINI_APPID"], "zhoujie")]})
    # Not active in the last 2 hours (61010): the local list decides, the user is not refused for it.
    assert file_complaint(client, wx, business["id"])["moderation"] == "pass"
    r = client.post("/api/v1/complaints", headers=wx.headers, json=complaint_body(business["id"], description=RISKY))
    assert r.status_code == 422 and r.get_json()["provider"] == "local"
    # WeChat over its quota, or down: the same.
    wechat_sim.post("/_sim/moderation", {"inactive": []})
    for mode in ("rate_limit", "down", "garbage"):
        wechat_sim.fault(mode, paths=["/wxa/msg_sec_check"])
        r = client.post("/api/v1/complaints", headers=wx.headers,
                        json=complaint_body(business["id"], title=f"耳机没有声音{mode}"))
        assert r.status_code == 201, (mode, r.get_json())
        wechat_sim.fault(None)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def test_risky_image_is_withdrawn_from_the_business_by_the_push(app, client, auth, settings, wechat_sim):
    base_url, shutdown = start_in_thread(app)
    try:
        owner, business = auth.business()
        mediator = auth.mediator("1101")
        wx = wechat_consumer(client, "sunli")
        wechat_sim.post("/_sim/moderation", {"push": {"url": base_url + "/api/v1/wechat/mini/events",
                                                      "token": settings["WECHAT_MINI_PUSH_TOKEN"]}})
        up = client.post("/api/v1/uploads", headers=wx.headers,
                         data={"file": (io.BytesIO(png()), "a.png")}, content_type="multipart/form-data")
        assert up.status_code == 201
        upload = up.get_json()
        assert upload["moderation"] == "pending"
        checks = wechat_sim.get("/_sim/media_checks")
        trace_id, check = next(iter(checks.items()))
        assert check["media_type"] == 2 and check["openid"] == openid_for(settings["WECHAT_MINI_APPID"], "sunli")
        # WeChat fetches the image from the signed URL it was given, without any credentials.
        path = check["media_url"].split("://", 1)[1].split("/", 1)[1]
        fetched = client.get("/" + path)
        assert fetched.status_code == 200 and fetched.data[:4] == b"\x89PNG"
        assert client.get("/" + path.replace("sig=", "sig=0")).status_code == 404

        c = file_complaint(client, wx, business["id"], attachment_ids=[upload["id"]])
        act(client, mediator, c["id"], "accept")
        url = f"/api/v1/uploads/{upload['id']}"
        assert client.get(url, headers=owner.headers).status_code == 200  # pending: not yet withdrawn

        res = wechat_sim.post("/_sim/media_push", {"trace_id": trace_id, "suggest": "risky", "label": 20002})
        assert res["status"] == 200 and res["body"] == "success"
        assert client.get(url, headers=owner.headers).status_code == 404
        seen = client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).get_json()
        assert seen["attachments"] == []
        # Its owner and the complaint's mediator still see it.
        assert client.get(url, headers=wx.headers).status_code == 200
        assert client.get(url, headers=mediator.headers).status_code == 200
    finally:
        shutdown()
