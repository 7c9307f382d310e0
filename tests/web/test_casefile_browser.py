"""Issue 18 in headless Chromium: a consumer files a report (举报) on /reports/new, the region's mediator reads
it under the console's 举报 tab; the business's public reply shows beside the published case on /cases."""
from __future__ import annotations

from tests.factories import act, complaint_body
from tests.web.test_consoles_browser import password_sign_in
from tests.web.test_journey_browser import sms_sign_in


def test_a_report_filed_on_the_web_reaches_the_mediator_console(auth, new_context, browser_errors):
    auth.consumer("陈大文", phone="13900139333")
    auth.staff("mediator", "rep_mediator", region="1101", password="mediate-2026")

    me = new_context().new_page()
    sms_sign_in(me, "13900139333", "/my/complaints")
    me.goto("/reports/new")
    me.fill("#report-business", "北京假货批发商行")
    me.wait_for_selector("#r-province option[value='11']", state="attached")
    me.select_option("#r-province", "11")
    me.wait_for_selector("#r-city option[value='1101']", state="attached")
    me.select_option("#r-city", "1101")
    me.wait_for_selector("#r-district option[value='110105']", state="attached")
    me.select_option("#r-district", "110105")
    me.fill("#report-description", "该商行公开销售假冒品牌运动鞋，价格远低于正品。")
    me.click("#report-submit")
    assert "已提交" in me.wait_for_selector("#report-done").inner_text()

    med = new_context().new_page()
    password_sign_in(med, "rep_mediator", "mediate-2026", "/console/mediator")
    med.click(".tab[data-tab=reports]")
    row = med.wait_for_selector("#reports tbody tr[data-report]").inner_text()
    assert "北京假货批发商行" in row and "假冒品牌运动鞋" in row


def test_the_public_reply_shows_on_the_cases_page(auth, client, new_context, browser_errors):
    owner, business = auth.business(name="北京好运来家电有限公司", region="110105")
    consumer = auth.consumer("陈大文")
    mediator = auth.mediator("11", username="reply11")
    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(business["id"], public_consent=True)).get_json()
    act(client, mediator, c["id"], "accept")
    assert client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers,
                       json={"approve": True}).status_code == 200
    assert client.post(f"/api/v1/complaints/{c['id']}/public-reply", headers=owner.headers,
                       json={"text": "已为消费者办理退货退款。"}).status_code == 200

    cases = new_context().new_page()
    cases.goto("/cases")
    reply = cases.wait_for_selector(".business-reply").inner_text()
    assert "商家回复" in reply and "已为消费者办理退货退款。" in reply
