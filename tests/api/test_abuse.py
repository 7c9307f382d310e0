"""Abuse controls (API.md "Abuse controls"): 429 rate_limited with Retry-After on complaints, the assistant,
uploads and messages; 409 duplicate_complaint for a repeat of an open complaint; professional-claimant
signals flagged for mediators (and only them), never refused."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from server.core.models import Complaint, RateLimitHit
from tests.factories import complaint_body, png_bytes

REAL = {"COMPLAINT_RATE_LIMIT": "5/hour;20/day", "DUPLICATE_COMPLAINT_THRESHOLD": 0.9,
        "ASSIST_RATE_LIMIT": "3/minute", "UPLOAD_RATE_LIMIT": "2/hour", "MESSAGE_RATE_LIMIT": "2/hour",
        "CLAIMANT_WINDOW_DAYS": 30, "CLAIMANT_MIN_BUSINESSES": 3, "CLAIMANT_SIMILARITY": 0.8}


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, **REAL}


def _count(db, model=Complaint) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _distinct(i: int) -> dict:
    """Complaints about different things: no two are near-identical."""
    items = ["冰箱", "洗衣机", "空调", "电视机", "热水器", "笔记本电脑", "耳机"]
    faults = ["压缩机异响", "漏水严重", "不制冷", "屏幕闪烁", "温控失灵", "无法开机", "左耳无声"]
    return {"title": f"{items[i]}{faults[i]}要求维修", "category": "quality",
            "description": f"第{i}次购买的{items[i]}出现{faults[i]}的问题，客服第{i + 1}天仍未处理，要求按三包规定维修或更换。"}


def _assert_limited(r, detail_word: str) -> None:
    assert r.status_code == 429, r.get_json()
    body = r.get_json()
    assert body["code"] == "rate_limited" and detail_word in body["detail"], body
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert int(r.headers["Retry-After"]) >= 1


def test_complaints_per_consumer_are_limited_and_the_refusal_stores_nothing(client, auth, db):
    _owner, biz = auth.business()
    consumer, other = auth.consumer(), auth.consumer("李四")
    for i in range(5):
        r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"], **_distinct(i)))
        assert r.status_code == 201, r.get_json()
    before = _count(db)
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"], **_distinct(5)))
    _assert_limited(r, "提交投诉")
    assert 3000 <= int(r.headers["Retry-After"]) <= 3600  # the oldest of the hour's five leaves the window
    assert _count(db) == before
    # Another consumer has a budget of their own.
    assert client.post("/api/v1/complaints", headers=other.headers,
                       json=complaint_body(biz["id"], **_distinct(5))).status_code == 201


def test_a_replayed_idempotency_key_uses_no_quota(client, auth, db, app):
    app.config["SMART315"]["COMPLAINT_RATE_LIMIT"] = "1/hour"
    _owner, biz = auth.business()
    consumer = auth.consumer()
    headers = {**consumer.headers, "Idempotency-Key": "weak-network-1"}
    first = client.post("/api/v1/complaints", headers=headers, json=complaint_body(biz["id"]))
    again = client.post("/api/v1/complaints", headers=headers, json=complaint_body(biz["id"]))
    assert first.status_code == again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    _assert_limited(client.post("/api/v1/complaints", headers=consumer.headers,
                                json=complaint_body(biz["id"], **_distinct(1))), "提交投诉")


def test_a_near_identical_repeat_of_an_open_complaint_is_refused(client, auth, db):
    _owner, biz = auth.business()
    _owner2, other_biz = auth.business(name="上海某某电器有限公司", region="310101")
    consumer = auth.consumer()
    first = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"]))
    assert first.status_code == 201
    body = complaint_body(biz["id"])
    body["description"] = body["description"].replace("。", "！") + " "  # punctuation and spacing changed
    before = _count(db)
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=body)
    assert r.status_code == 409, r.get_json()
    problem = r.get_json()
    assert problem["code"] == "duplicate_complaint" and problem["existing_id"] == first.get_json()["id"]
    assert "重复" in problem["detail"] and r.headers["Content-Type"].startswith("application/problem+json")
    assert _count(db) == before
    # Refused duplicates do not use up the hourly quota: four more different complaints still go in.
    for i in range(4):
        assert client.post("/api/v1/complaints", headers=consumer.headers,
                           json=complaint_body(biz["id"], **_distinct(i))).status_code == 201
    # The same text against another business is not a duplicate; a new text against the same one is not either.
    _owner3, third = auth.business(name="广州某某贸易有限公司", region="440103")
    other = auth.consumer("王五")
    assert client.post("/api/v1/complaints", headers=other.headers, json=complaint_body(biz["id"])).status_code == 201
    assert client.post("/api/v1/complaints", headers=other.headers,
                       json=complaint_body(other_biz["id"])).status_code == 201
    # Once the first complaint is no longer open, filing it again is allowed.
    mine = first.get_json()["id"]
    assert client.post(f"/api/v1/complaints/{mine}/transitions", headers=consumer.headers,
                       json={"action": "withdraw"}).status_code == 200
    fresh = auth.consumer("赵六")
    assert client.post("/api/v1/complaints", headers=fresh.headers, json=complaint_body(third["id"])).status_code == 201


def test_duplicate_check_can_be_turned_off(client, auth, app):
    app.config["SMART315"]["DUPLICATE_COMPLAINT_THRESHOLD"] = 0
    _owner, biz = auth.business()
    consumer = auth.consumer()
    for _ in range(2):
        assert client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).status_code == 201


def test_near_identical_complaints_across_businesses_are_flagged_for_mediators_not_refused(client, auth, db):
    names = ["北京甲电器有限公司", "北京乙电器有限公司", "北京丙电器有限公司", "北京丁电器有限公司"]
    businesses = [auth.business(name=n)[1] for n in names]
    claimant, ordinary = auth.consumer("职业打假人"), auth.consumer("普通消费者")
    mediator, admin = auth.mediator("1101"), auth.admin("abuse-admin")
    ids = []
    for i, b in enumerate(businesses):
        body = complaint_body(b["id"], title=f"购买的手机屏幕有坏点，商家拒绝退货{i}")
        r = client.post("/api/v1/complaints", headers=claimant.headers, json=body)
        assert r.status_code == 201, r.get_json()  # never refused
        ids.append(r.get_json()["id"])
    for i in range(3):  # different complaints against different businesses: no signal
        assert client.post("/api/v1/complaints", headers=ordinary.headers,
                           json=complaint_body(businesses[i]["id"], **_distinct(i))).status_code == 201

    shown = client.get(f"/api/v1/complaints/{ids[3]}", headers=mediator.headers).get_json()
    assert [f["kind"] for f in shown["flags"]] == ["claimant"] and shown["flags"][0]["label"] == "疑似职业索赔"
    assert shown["flags"][0]["detail"]["businesses"] == 4
    assert shown["status"] == "submitted"  # flagged, not rejected
    # The third filing (three businesses) raised the signal; it flags the two before it too.
    flagged = client.get("/api/v1/complaints?flag=claimant&per_page=100", headers=admin.headers).get_json()
    assert sorted(c["id"] for c in flagged["items"]) == sorted(ids)
    assert all(c["flags"][0]["kind"] == "claimant" for c in flagged["items"])
    everything = client.get("/api/v1/complaints?per_page=100", headers=admin.headers).get_json()
    assert {c["id"]: bool(c["flags"]) for c in everything["items"]} == {c["id"]: c["id"] in ids
                                                                         for c in everything["items"]}
    # The parties never see the flag, nor may they filter by it.
    owner_view = client.get(f"/api/v1/complaints/{ids[0]}", headers=claimant.headers).get_json()
    assert "flags" not in owner_view
    assert client.get("/api/v1/complaints?flag=claimant", headers=claimant.headers).status_code == 403


def test_consult_and_classify_are_limited_per_caller_or_address(client, auth):
    consumer = auth.consumer()
    for _ in range(3):
        assert client.post("/api/v1/consult", json={"question": "七天无理由退货怎么规定的？"}).status_code == 200
    _assert_limited(client.post("/api/v1/consult", json={"question": "七天无理由退货怎么规定的？"}), "咨询")
    # A signed-in caller is counted by account, and classify has its own budget.
    assert client.post("/api/v1/consult", headers=consumer.headers, json={"question": "退货运费谁出？"}).status_code == 200
    for _ in range(3):
        assert client.post("/api/v1/assist/classify", json={"text": "手机屏幕有坏点商家不给退"}).status_code == 200
    _assert_limited(client.post("/api/v1/assist/classify", json={"text": "手机屏幕有坏点商家不给退"}), "智能识别")


def test_uploads_and_messages_are_limited(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    for _ in range(2):
        r = client.post("/api/v1/uploads", headers=consumer.headers, data={"file": (io.BytesIO(png_bytes(8, (200, 10, 10))), "a.png")})
        assert r.status_code == 201, r.get_json()
    _assert_limited(client.post("/api/v1/uploads", headers=consumer.headers,
                                data={"file": (io.BytesIO(png_bytes(8, (200, 10, 10))), "a.png")}), "上传")
    cid = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()["id"]
    for i in range(2):
        r = client.post(f"/api/v1/complaints/{cid}/messages", headers=consumer.headers, json={"body": f"请尽快处理{i}"})
        assert r.status_code == 201, r.get_json()
    _assert_limited(client.post(f"/api/v1/complaints/{cid}/messages", headers=consumer.headers,
                                json={"body": "请尽快处理"}), "留言")


def test_without_redis_the_windows_are_shared_by_every_app_on_the_database(settings_overrides):
    """Two apps on one database and no Redis stand for two processes of `smart315 serve`: one budget, not one each."""
    from server.app import create_app

    over = {**settings_overrides, "REDIS_URL": None, "ASSIST_RATE_LIMIT": "2/minute"}
    one, two = create_app(over), create_app(over)
    from server.api.limits import reset_limits

    reset_limits(one)
    codes = [c.post("/api/v1/assist/classify", json={"text": "冰箱漏水"}).status_code
             for c in (one.test_client(), two.test_client(), one.test_client(), two.test_client())]
    assert codes == [200, 200, 429, 429]
    db = one.extensions["smart315.db"]
    if db.is_postgres:
        assert _count(db, RateLimitHit) == 2
