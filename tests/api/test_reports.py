"""Issue 18 item 6: reports (举报) are their own resource, routed to the region's mediators, never in an index.

Through the real API: a consumer files a report about a platform business or a business by name; the
mediators of the region (and admins) see it in GET /reports and GET /reports/{id}, the reporter sees their
own, everyone else nothing; risky text is refused with nothing written; the business's published index and
its complaint counts do not move.
"""
from __future__ import annotations

import io

from sqlalchemy import func, select

from server.core.models import Notification, Report
from tests.api.test_appeals import published_fresh
from tests.factories import png_bytes

RISKY = "另有网络赌博网站，日赚千元"


def _report(client, who, expect=201, **over):
    body = {"business_name": "某某电器商行", "region_code": "110105",
            "description": "该店铺销售假冒品牌充电器，充电时发烫，存在安全隐患。", **over}
    r = client.post("/api/v1/reports", headers=who.headers, json=body)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_a_report_reaches_the_regions_mediators_and_no_one_else(client, auth, session):
    consumer, other = auth.consumer("王小明"), auth.consumer("赵小红")
    med_in, med_city, med_out = auth.mediator("1101"), auth.mediator("110105", username="med-chaoyang"), \
        auth.mediator("3101")
    admin = auth.admin("report-admin")
    owner, biz = auth.business()
    up = client.post("/api/v1/uploads", headers=consumer.headers, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(png_bytes()), "photo.png")})
    assert up.status_code == 201, up.get_json()
    made = _report(client, consumer, business_id=biz["id"], business_name=None, attachment_ids=[up.get_json()["id"]])
    assert made["business_id"] == biz["id"] and made["business_name"] == biz["name"]
    assert made["region_code"] == "110105" and "北京" in made["region_name"] and made["mine"] is True
    assert [a["id"] for a in made["attachments"]] == [up.get_json()["id"]]

    for who in (med_in, med_city, admin, consumer):
        listed = client.get("/api/v1/reports", headers=who.headers).get_json()
        assert [i["id"] for i in listed["items"]] == [made["id"]] and listed["total"] == 1
        one = client.get(f"/api/v1/reports/{made['id']}", headers=who.headers)
        assert one.status_code == 200 and one.get_json()["description"].startswith("该店铺销售假冒")
    # Its evidence opens for the region's mediators and admins, not for the mediator of another region.
    evidence = made["attachments"][0]["url"]
    for who in (med_in, admin, consumer):
        assert client.get(evidence, headers=who.headers).status_code == 200
    for who in (med_out, other, owner):
        assert client.get(evidence, headers=who.headers).status_code == 404
    for who in (med_out, other, owner):
        assert client.get("/api/v1/reports", headers=who.headers).get_json()["items"] == []
        r = client.get(f"/api/v1/reports/{made['id']}", headers=who.headers)
        assert r.status_code == 404 and r.get_json()["detail"] == "举报不存在或无权查看"
    assert client.get("/api/v1/reports").status_code == 401

    # The region's mediators were told in their inbox; the mediator of Shanghai was not.
    told = set(session.execute(select(Notification.recipient_id).where(Notification.event_type == "report.filed"))
               .scalars())
    session.rollback()
    assert {med_in.user_id, med_city.user_id} <= told and med_out.user_id not in told
    inbox = client.get("/api/v1/notifications", headers=med_in.headers)
    assert inbox.status_code == 200
    assert any(n.get("title") == "新的举报" and biz["name"] in (n.get("body") or "") for n in inbox.get_json()["items"])

    # Pagination like complaints.
    for i in range(2):
        _report(client, other, description=f"第{i}次举报：该店铺虚假宣传商品产地。")
    page = client.get("/api/v1/reports", headers=admin.headers, query_string={"per_page": 2, "page": 2}).get_json()
    assert page["total"] == 3 and page["page"] == 2 and len(page["items"]) == 1


def test_refusals_change_nothing(client, auth, session):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    before = session.execute(select(func.count()).select_from(Report)).scalar_one()
    session.rollback()  # end the read: SQLite's writer must not wait for it
    r = client.post("/api/v1/reports", headers=consumer.headers, json={"region_code": "110105",
                                                                       "description": "没有写商家的举报内容"})
    assert r.status_code == 422 and r.get_json()["errors"]
    r = client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_name": "某店", "region_code": "999999", "description": "地区代码不对的举报"})
    assert r.status_code == 422
    r = client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_id": 999999, "region_code": "110105", "description": "商家不存在的举报内容"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "business_id"
    risky = client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_name": "某店", "region_code": "110105", "description": f"该店还宣传：{RISKY}"})
    assert risky.status_code == 422 and risky.get_json()["code"] == "content_rejected"
    staff_try = client.post("/api/v1/reports", headers=mediator.headers, json={
        "business_name": "某店", "region_code": "110105", "description": "调解员不能自己提交举报"})
    assert staff_try.status_code == 403 and staff_try.get_json()["detail"]
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == before


def test_reports_are_never_counted_in_the_index(app, client, auth):
    owner, biz = auth.business()
    before = published_fresh(app, client, biz["id"])
    consumer = auth.consumer()
    for i in range(5):
        _report(client, consumer, business_id=biz["id"], business_name=None,
                description=f"举报{i}：该商家销售过期食品，生产日期被涂改。")
    after = published_fresh(app, client, biz["id"])
    assert after == before
    profile = client.get(f"/api/v1/businesses/{biz['id']}").get_json()
    assert (profile.get("index") or {}).get("n_complaints", 0) == 0
    assert client.get("/api/v1/complaints", headers=consumer.headers).get_json()["total"] == 0


def test_reports_are_rate_limited(app, client, auth):
    app.config["SMART315"]["REPORT_RATE_LIMIT"] = "2/hour"
    consumer = auth.consumer()
    _report(client, consumer)
    # A refused report uses none of the quota.
    assert client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_id": 999999, "region_code": "110105", "description": "商家不存在的举报内容"}).status_code == 422
    _report(client, consumer, description="第二次举报：该店铺虚假宣传商品产地。")
    r = client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_name": "某店", "region_code": "110105", "description": "第三次举报：该店铺无证经营。"})
    assert r.status_code == 429 and r.headers.get("Retry-After") and r.get_json()["detail"]


def test_report_evidence_cannot_be_reused_as_complaint_evidence(client, auth):
    """Report evidence is for the region's mediators: attached again to a complaint it would reach the business."""
    from tests.factories import complaint_body

    consumer = auth.consumer()
    owner, biz = auth.business()
    up = client.post("/api/v1/uploads", headers=consumer.headers, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(png_bytes()), "photo.png")}).get_json()
    _report(client, consumer, attachment_ids=[up["id"]])
    r = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(biz["id"], attachment_ids=[up["id"]]))
    assert r.status_code == 422
    assert r.get_json()["errors"] == [{"field": "attachment_ids", "message": f"附件 {up['id']} 不可用"}]
    assert client.get(f"/api/v1/uploads/{up['id']}", headers=owner.headers).status_code == 404
