"""Public disclosure through the HTTP API: profile with index and trend, rankings, stats, industries,
anonymised complaints, the index method, admin weights, and frozen monthly disclosures."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from datetime import UTC, datetime, timedelta, timezone

from server.core.scoring.disclosure import do_publish_disclosure
from tests.factories import act, file_complaint, settle


def ignore(client, consumer, mediator, business_id):
    """Forwarded and never answered: the mediator fails to mediate (the business ignored it)."""
    c = file_complaint(client, consumer, business_id)
    act(client, mediator, c["id"], "accept")
    return c


def test_profile_rankings_and_insufficient_data(client, auth):
    owner_a, a = auth.business("甲电器有限公司", industry="appliance")
    owner_b, b = auth.business("乙电器有限公司", industry="appliance")
    owner_c, c = auth.business("丙电器有限公司", industry="appliance", region="310101")
    consumer = auth.consumer("王小明")
    mediator = auth.admin("rank-admin")
    for _ in range(5):
        settle(client, consumer, mediator, owner_a, a["id"], rating=5)
    for _ in range(5):
        ignore(client, consumer, mediator, b["id"])
    settle(client, consumer, mediator, owner_c, c["id"])

    prof = client.get(f"/api/v1/businesses/{a['id']}").get_json()
    idx = prof["index"]
    assert idx["n_complaints"] == 5 and idx["grade"] and not idx["insufficient"]
    assert idx["counts"]["settled_direct"] == 5 and idx["counts"]["ratings"] == 5
    assert set(idx["components"]) == {"response", "speed", "settlement", "cooperation", "mediation", "satisfaction"}
    assert prof["trend"] and prof["trend"][-1]["score"] == idx["score"]

    r = client.get("/api/v1/public/rankings?industry=appliance")
    body = r.get_json()
    assert r.status_code == 200
    assert [i["name"] for i in body["items"]] == ["甲电器有限公司", "乙电器有限公司"]
    assert [i["rank"] for i in body["items"]] == [1, 2]
    assert body["items"][0]["score"] > body["items"][1]["score"]
    assert body["ranked_total"] == 2 and body["insufficient_total"] == 1
    low = client.get("/api/v1/public/rankings?industry=appliance&insufficient=true").get_json()
    assert [(i["name"], i["rank"], i["grade"], i["insufficient"]) for i in low["items"]] == [
        ("丙电器有限公司", None, None, True)]
    only_sh = client.get("/api/v1/public/rankings?region=31&insufficient=true").get_json()
    assert [i["name"] for i in only_sh["items"]] == ["丙电器有限公司"]
    assert client.get("/api/v1/public/rankings?period=2026-13").status_code == 422
    month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
    hist = client.get(f"/api/v1/public/rankings?industry=appliance&period={month}").get_json()
    assert [i["name"] for i in hist["items"]] == ["甲电器有限公司", "乙电器有限公司"]


def test_stats_industries_and_cache_invalidation(app, client, auth):
    owner, biz = auth.business("丁餐饮管理有限公司", industry="catering")
    consumer = auth.consumer("赵六")
    mediator = auth.admin("stats-admin")
    before = client.get("/api/v1/public/stats").get_json()
    settle(client, consumer, mediator, owner, biz["id"], industry_code="catering")
    # Aggregates are fresh for a short window: within it the previous figures are served ...
    assert client.get("/api/v1/public/stats").get_json() == before
    # ... and once it has passed, a reader triggers a refresh in the background (getting the previous
    # figures at once) and the committed change shows moments later.
    app.extensions["smart315.public_cache"].fresh_seconds = 0
    deadline = time.monotonic() + 10
    after = client.get("/api/v1/public/stats").get_json()
    while after["complaints_total"] == before["complaints_total"] and time.monotonic() < deadline:
        time.sleep(0.05)
        after = client.get("/api/v1/public/stats").get_json()
    assert after["complaints_total"] == before["complaints_total"] + 1
    assert after["complaints_resolved"] == before["complaints_resolved"] + 1
    assert after["amount_recovered"] == "100.50" and after["resolution_rate"] == 1.0
    assert after["consumers"] >= 1 and after["businesses"] == 1
    assert len(after["by_month"]) == 12 and after["by_month"][-1]["complaints"] == 1
    assert after["by_month"][-1]["amount_recovered"] == "100.50"
    inds = {i["code"]: i for i in client.get("/api/v1/public/industries").get_json()["items"]}
    cat = inds["catering"]
    assert cat["complaints"] == 1 and cat["resolved"] == 1 and cat["businesses"] == 1
    assert cat["median_response_hours"] is not None and cat["median_response_hours"] < 1
    assert cat["mean_index"] is None  # one complaint: insufficient data, not averaged


def test_public_complaints_are_consented_and_redacted(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer("陈大文")
    mediator = auth.admin("pc-admin")
    text = "我是陈大文，电话13812345678，邮箱chen.dawen@example.com，收货地址北京市朝阳区建国路88号3单元501室，商家拒绝退款。"
    shown = file_complaint(client, consumer, biz["id"], description=text, public_consent=True)
    act(client, mediator, shown["id"], "accept")
    r = client.post(f"/api/v1/complaints/{shown['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()
    hidden = file_complaint(client, consumer, biz["id"], public_consent=False)
    act(client, mediator, hidden["id"], "accept")
    file_complaint(client, consumer, biz["id"], public_consent=True)  # not yet reviewed: not public
    body = client.get(f"/api/v1/public/complaints?business_id={biz['id']}").get_json()
    assert body["total"] == 1
    d = body["items"][0]["description"]
    for leak in ("陈大文", "13812345678", "chen.dawen@example.com", "建国路88号"):
        assert leak not in d
    assert "商家拒绝退款" in d
    assert client.get("/api/v1/public/complaints?per_page=101").status_code == 422


def test_index_method_and_admin_weights(client, auth):
    doc = client.get("/api/v1/public/index-method").get_json()
    assert doc["version"] and doc["min_complaints"] == 5 and "快照" in doc["industry_means"]
    assert {c["name"]: c["weight"] for c in doc["components"]}["settlement"] == 25
    consumer = auth.consumer()
    admin = auth.admin("weights-admin")
    assert client.get("/api/v1/admin/index-weights", headers=consumer.headers).status_code == 403
    assert client.get("/api/v1/admin/index-weights").status_code == 401
    new = {"response": 30, "speed": 10, "settlement": 20, "cooperation": 10, "mediation": 10, "satisfaction": 20}
    bad = client.put("/api/v1/admin/index-weights", headers=admin.headers, json={"weights": {**new, "luck": 5}})
    assert bad.status_code == 422 and bad.get_json()["code"] == "validation_error"
    neg = client.put("/api/v1/admin/index-weights", headers=admin.headers, json={"weights": {**new, "speed": -1}})
    assert neg.status_code == 422
    assert client.put("/api/v1/admin/index-weights", headers=consumer.headers, json={"weights": new}).status_code == 403
    r = client.put("/api/v1/admin/index-weights", headers=admin.headers, json={"weights": new})
    assert r.status_code == 200 and r.get_json()["weights"]["response"] == 30
    doc = client.get("/api/v1/public/index-method").get_json()
    assert {c["name"]: c["weight"] for c in doc["components"]}["response"] == 30


def test_disclosure_frozen_reproducible_and_served(client, auth, db, settings):
    owner, biz = auth.business("戊旅行社有限公司", industry="travel")
    consumer = auth.consumer("钱七")
    mediator = auth.admin("disc-admin")
    for _ in range(2):
        settle(client, consumer, mediator, owner, biz["id"])
    local = datetime.now(timezone(timedelta(hours=8)))
    period = local.strftime("%Y-%m")
    later = datetime(local.year + (local.month == 12), local.month % 12 + 1, 2, tzinfo=UTC)
    assert client.get(f"/api/v1/public/disclosures/{period}.csv").status_code == 404
    assert client.get("/api/v1/public/disclosures/2026-1.csv").status_code == 422
    with db.session() as s:
        from server.core.scoring.disclosure import build_disclosure

        again = build_disclosure(s, period)
        d = do_publish_disclosure(s, settings, period, now=later)
        s.commit()
        assert (d.csv_bytes, d.json_text) == again  # reproducible byte for byte from the same data
        frozen = d.csv_bytes
    # Later changes do not alter a published period.
    settle(client, consumer, mediator, owner, biz["id"])
    with db.session() as s:
        assert do_publish_disclosure(s, settings, period, now=later).csv_bytes == frozen
    r = client.get(f"/api/v1/public/disclosures/{period}.csv")
    assert r.status_code == 200 and r.data == frozen and r.data.startswith(b"\xef\xbb\xbf")
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["X-Content-SHA256"] == hashlib.sha256(frozen).hexdigest()
    table = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert table[0][:3] == ["统计期", "经营者名称", "统一社会信用代码"]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["经营者名称"] == "戊旅行社有限公司" and row["转交投诉数"] == "2" and row["已解决数"] == "2"
    assert row["解决率(%)"] == "100.0" and row["挽回经济损失(元)"] == "201.00" and row["等级"] == "数据不足"
    doc = json.loads(client.get(f"/api/v1/public/disclosures/{period}.json").data)
    assert doc["period"] == period and doc["rows"][0]["credit_code"] == biz["credit_code"]
    listing = client.get("/api/v1/public/disclosures").get_json()
    assert [i["period"] for i in listing["items"]] == [period]
    assert client.get("/api/v1/public/disclosures/1999-01.json").status_code == 404


def test_openapi_documents_public_responses(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/public/rankings", "/public/stats", "/public/industries", "/public/complaints",
                 "/public/index-method", "/public/disclosures", "/admin/index-weights"):
        assert path in spec["paths"], path
        ok = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok.get("$ref")
    assert "text/csv" in spec["paths"]["/public/disclosures/{period}.csv"]["get"]["responses"]["200"]["content"]


def test_profile_is_cached_and_invalidated_by_commits(app, client, auth):
    owner, biz = auth.business("己数码专营店", industry="appliance")
    consumer = auth.consumer("孙八")
    mediator = auth.admin("cache-admin")
    first = client.get(f"/api/v1/businesses/{biz['id']}").get_json()
    assert first["index"] is None and first["counts"]["total"] == 0
    cache = app.extensions["smart315.public_cache"]
    hits = cache.hits
    assert client.get(f"/api/v1/businesses/{biz['id']}").get_json() == first
    assert cache.hits == hits + 1  # served from the cache
    settle(client, consumer, mediator, owner, biz["id"])
    fresh = client.get(f"/api/v1/businesses/{biz['id']}").get_json()
    assert fresh["counts"]["total"] == 1 and fresh["index"]["n_complaints"] == 1
    assert client.get("/api/v1/businesses/999999").status_code == 404


def test_cache_survives_redis_outage():
    from server.core.cache import PublicCache
    from server.redis_client import make_redis

    dead = PublicCache(make_redis("redis://127.0.0.1:1/0"))
    calls = []
    assert dead.get_or_set("k", lambda: calls.append(1) or {"v": 1}) == {"v": 1}
    assert dead.get_or_set("k", lambda: calls.append(1) or {"v": 1}) == {"v": 1}
    assert len(calls) == 2  # computed each time, never an error
    local = PublicCache(None, fresh_seconds=60)
    assert local.get_or_set("k", lambda: {"v": 1}) == {"v": 1}
    assert local.get_or_set("k", lambda: {"v": 2}) == {"v": 1}
    local.bump()
    assert local.get_or_set("k", lambda: {"v": 3}) == {"v": 3}


def test_stale_aggregates_are_refreshed_by_one_reader_while_others_get_the_old_value():
    from server.core.cache import PublicCache

    now = [1000.0]
    cache = PublicCache(None, fresh_seconds=30, clock=lambda: now[0])
    assert cache.get_or_set("stats", lambda: {"v": 1}) == {"v": 1}
    now[0] += 31
    seen = []

    def slow_refresh():
        # While this reader recomputes, a concurrent reader is served the previous value.
        seen.append(cache.get_or_set("stats", lambda: {"v": "should not compute"}))
        return {"v": 2}

    assert cache.get_or_set("stats", slow_refresh) == {"v": 2}
    assert seen == [{"v": 1}]
    assert cache.get_or_set("stats", lambda: {"v": 3}) == {"v": 2}
    # With a background runner, the reader who finds it stale is not the one who waits.
    now[0] += 31
    queued = []
    assert cache.get_or_set_text("stats", lambda: {"v": 4}, background=queued.append) == '{"v":2}'
    assert len(queued) == 1 and cache.get_or_set("stats", lambda: {"v": 5}) == {"v": 2}  # one refresher
    queued[0]()
    assert cache.get_or_set("stats", lambda: {"v": 6}) == {"v": 4}
    # A business's profile is invalidated by a bump of its own scope only.
    assert cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1") == {"b": 1}
    assert cache.get_or_set("profile", lambda: {"b": 7}, scope="business:2") == {"b": 7}
    cache.bump({"business:1"})
    assert cache.get_or_set("profile", lambda: {"b": 2}, scope="business:1") == {"b": 2}
    assert cache.get_or_set("profile", lambda: {"b": 8}, scope="business:2") == {"b": 7}


def test_stats_count_what_a_person_would_count(client, auth):
    """Issue 22.5: 累计投诉 leaves out withdrawn complaints and those moderation refused (spam, abuse);
    a complaint the association declined (不予受理) is still one filed. The method page says so."""
    owner, biz = auth.business("戊美容美发有限公司", industry="beauty")
    consumer = auth.consumer("钱七")
    mediator = auth.mediator("1101")
    settle(client, consumer, mediator, owner, biz["id"], industry_code="beauty")  # counted, resolved
    declined = file_complaint(client, consumer, biz["id"], industry_code="beauty")
    act(client, mediator, declined["id"], "reject", note="不属于消费纠纷")  # counted, ended unresolved
    withdrawn = file_complaint(client, consumer, biz["id"], industry_code="beauty")
    act(client, consumer, withdrawn["id"], "withdraw")  # not counted
    spam = file_complaint(client, consumer, biz["id"], industry_code="beauty",
                          description="对方疑似传销组织，请平台核实")  # held for review by the word list
    assert client.get(f"/api/v1/complaints/{spam['id']}", headers=mediator.headers).get_json()["moderation"] == "review"
    r = client.post(f"/api/v1/complaints/{spam['id']}/moderation", headers=mediator.headers,
                    json={"clear": False, "note": "垃圾信息"})
    assert r.status_code == 200 and r.get_json()["moderation"] == "rejected"  # not counted

    stats = client.get("/api/v1/public/stats").get_json()
    assert stats["complaints_total"] == 2 and stats["complaints_resolved"] == 1
    assert stats["resolution_rate"] == 0.5  # resolved among the counted complaints that ended
    assert stats["by_month"][-1]["complaints"] == 2
    beauty = {i["code"]: i for i in client.get("/api/v1/public/industries").get_json()["items"]}["beauty"]
    assert beauty["complaints"] == 2 and beauty["resolved"] == 1
    rule = client.get("/api/v1/public/index-method").get_json()["statistics_rule"]
    assert "撤回" in rule and "垃圾信息" in rule and "不予受理" in rule
