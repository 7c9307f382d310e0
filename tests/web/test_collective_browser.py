"""Issue 18 item 1 in headless Chromium: a signed-in consumer joins a published case from /cases (我也遇到了),
lands on their own new complaint, and the case then shows 已有2人加入."""
from __future__ import annotations

import re

import pytest

from tests.factories import act, complaint_body
from tests.web.test_journey_browser import sms_sign_in


@pytest.mark.browser
def test_a_consumer_joins_a_published_case_from_the_cases_page(auth, client, new_context, browser_errors):
    owner, business = auth.business(name="北京好运来家电有限公司", region="110105")
    consumer = auth.consumer("陈大文")
    mediator = auth.mediator("11", username="collective11")
    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(business["id"], public_consent=True, amount_claimed="100.00")).get_json()
    act(client, mediator, c["id"], "accept")
    assert client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers,
                       json={"approve": True}).status_code == 200

    anonymous = new_context().new_page()
    anonymous.goto("/cases")
    assert "登录后加入" in anonymous.wait_for_selector(f"article[data-id='{c['id']}'] .join").inner_text()

    auth.consumer("林小雨", phone="13900139444")
    me = new_context().new_page()
    sms_sign_in(me, "13900139444", "/my/complaints")
    me.goto("/cases")
    case = f"article[data-id='{c['id']}']"
    me.click(f"{case} button.join")
    me.fill(f"{case} .join-amount", "59.90")
    me.fill(f"{case} .join-description", "我在同一家店买的电视也有同样的问题。")
    me.click(f"{case} .join-submit")
    me.wait_for_url(re.compile(r"/my/complaints/\d+\?new=1"))
    mine = int(re.search(r"/my/complaints/(\d+)", me.url).group(1))
    assert mine != c["id"]
    me.wait_for_selector("#complaint-status")
    assert "同一家店买的电视" in me.inner_text("main")

    me.goto("/cases")
    assert "已有2人加入" in me.wait_for_selector(f"{case} .members").inner_text()
    assert "集体投诉（2人）" in me.inner_text(case)


@pytest.mark.browser
def test_the_business_console_shows_the_collective_and_replies_to_every_member(auth, client, new_context,
                                                                            browser_errors):
    owner, business = auth.business(name="北京好运来家电有限公司", region="110105", owner_phone="13800138222")
    consumer, joiner = auth.consumer("陈大文"), auth.consumer("林小雨")
    mediator = auth.mediator("11", username="collective11b")
    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(business["id"], public_consent=True)).get_json()
    act(client, mediator, c["id"], "accept")
    assert client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers,
                       json={"approve": True}).status_code == 200
    member = client.post(f"/api/v1/complaints/{c['id']}/join", headers=joiner.headers, json={}).get_json()
    act(client, mediator, member["id"], "accept")

    biz = new_context().new_page()
    sms_sign_in(biz, "13800138222", "/console/business")
    lead = biz.wait_for_selector(f"#queue .item[data-id='{c['id']}']")
    assert "集体投诉（2人）" in lead.inner_text()
    lead.click()
    assert member["public_no"] in biz.wait_for_selector("#members").inner_text()
    form = biz.wait_for_selector("#action-respond")
    assert "一并处理本集体投诉的其他 1 件投诉" in form.inner_text()
    biz.fill("#action-respond textarea[name=note]", "同意为各位办理退货退款")
    biz.click("#action-respond button[type=submit]")
    assert "已一并处理 1 件成员投诉" in biz.wait_for_selector("#members-result").inner_text()
    got = client.get(f"/api/v1/complaints/{member['id']}", headers=joiner.headers).get_json()
    assert got["status"] == "responded"
