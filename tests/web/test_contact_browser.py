"""Issue 18 item 4 in headless Chromium: the consumer files against a business not chosen from the list with its
address, phone and credit code and allows phone contact; the mediator links the complaint to the platform
business (关联商家); the business's staff see the masked phone and reveal it after confirming in the page's dialog."""
from __future__ import annotations

import pytest

from tests.factories import credit_code
from tests.web.test_consoles_browser import password_sign_in
from tests.web.test_journey_browser import sms_sign_in

pytestmark = pytest.mark.browser

CONSUMER_PHONE = "13900139444"
OWNER_PHONE = "13800138444"


def test_off_platform_details_linking_and_the_phone_reveal(auth, client, new_context, browser_errors):
    _owner, business = auth.business(name="北京鑫达家电维修中心", region="110105", owner_phone=OWNER_PHONE)
    consumer_login = auth.consumer("陈大文", phone=CONSUMER_PHONE)
    auth.staff("mediator", "link_mediator", region="1101", password="mediate-2026")
    code = credit_code(777)

    me = new_context().new_page()
    sms_sign_in(me, CONSUMER_PHONE, "/my/complaints")
    me.goto("/complaints/new")
    me.wait_for_selector("#complaint-form[data-ready='1']")
    me.fill("#c-description", "在该维修点修洗衣机，付了八百元维修费，修完第二天又坏了，商家不肯返修。")
    me.fill("#c-title", "洗衣机修完又坏，商家不返修")
    me.fill("#c-business", "鑫达维修")
    assert me.is_visible("#c-business-address")  # not chosen from the list: the business's details are asked
    me.fill("#c-business-address", "北京市朝阳区朝阳北路 101 号")
    me.fill("#c-business-phone", "010-65001234")
    me.fill("#c-business-credit-code", code)
    me.select_option("#c-industry", "online_shopping")
    me.select_option("#c-category", "quality")
    me.wait_for_selector("#c-province option[value='11']", state="attached")
    me.select_option("#c-province", "11")
    me.wait_for_selector("#c-city option[value='1101']", state="attached")
    me.select_option("#c-city", "1101")
    me.wait_for_selector("#c-district option[value='110105']", state="attached")
    me.select_option("#c-district", "110105")
    assert me.is_checked("#c-contact-message")  # the message thread unless they choose otherwise
    me.get_by_label("商家可以打电话给我").check()
    me.click("#c-submit")
    me.wait_for_url("**/my/complaints/*?new=1")
    cid = int(me.url.split("/my/complaints/")[1].split("?")[0])
    filed = client.get(f"/api/v1/complaints/{cid}", headers=consumer_login.headers).get_json()
    assert filed["business_id"] is None and filed["contact_preference"] == "phone"
    assert (filed["business_address"], filed["business_phone"], filed["business_credit_code"]) == (
        "北京市朝阳区朝阳北路 101 号", "010-65001234", code)
    assert "北京市朝阳区朝阳北路 101 号" in me.locator("dl.file").inner_text()

    # The mediator accepts it (no business: straight to mediation), then links it from the console.
    med = new_context().new_page()
    password_sign_in(med, "link_mediator", "mediate-2026", "/console/mediator")
    med.locator("#queue .item", has_text="洗衣机修完又坏").click()
    med.click("#action-accept button[type=submit]")
    med.wait_for_function("() => document.querySelector('#complaint-status').textContent.trim() === '调解中'")
    med.click(".tab[data-status=mediating]")
    med.locator("#queue .item", has_text="洗衣机修完又坏").click()
    med.fill("#link-q", "鑫达")
    med.click("#link-form button[type=submit]")
    med.locator("#link-candidates .item", has_text="北京鑫达家电维修中心").get_by_role("button", name="关联").click()
    med.get_by_role("dialog", name="关联商家").get_by_role("button", name="确认关联").click()
    med.wait_for_function("() => document.querySelector('#complaint-status').textContent.trim() === '待商家处理'")
    assert client.get(f"/api/v1/complaints/{cid}", headers=consumer_login.headers).get_json()["business_id"] == business["id"]

    # The business sees the masked phone and reveals it after confirming.
    biz = new_context().new_page()
    sms_sign_in(biz, OWNER_PHONE, "/console/business")
    biz.locator("#queue .item", has_text="洗衣机修完又坏").click()
    biz.wait_for_selector("#consumer-contact")
    assert biz.locator("#contact-phone").inner_text() == "139****9444"
    biz.click("#contact-reveal")
    biz.get_by_role("dialog", name="查看完整号码").get_by_role("button", name="查看").click()
    biz.wait_for_function("p => document.querySelector('#contact-phone').textContent === p", arg=CONSUMER_PHONE)
    timeline = client.get(f"/api/v1/complaints/{cid}", headers=consumer_login.headers).get_json()["timeline"]
    assert [e["actor_role"] for e in timeline if e["action"] == "contact_reveal"] == ["business_staff"]
