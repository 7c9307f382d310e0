"""The publication review in headless Chromium: the consumer's page previews the redacted public text; a
mediator finds the complaint under 待审核公开, reads the same preview and approves; /cases shows it."""
from __future__ import annotations

from tests.factories import act, complaint_body
from tests.web.test_consoles_browser import password_sign_in
from tests.web.test_journey_browser import sms_sign_in


def test_mediator_approves_what_the_consumer_previewed(auth, client, new_context, browser_errors):
    _, business = auth.business(name="北京好运来家电有限公司", region="110105")
    consumer = auth.consumer("陈大文", phone="13900139222")
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        business["id"], title="店员王秀英拒绝退货", public_consent=True,
        description="店员王秀英拒绝退货，我的电话138.1234.5678，车牌京AD12345。")).get_json()
    auth.staff("mediator", "pub_mediator", region="11", password="mediate-2026")
    helper = auth.mediator("11", username="helper11p")
    act(client, helper, c["id"], "accept")

    me = new_context().new_page()
    sms_sign_in(me, "13900139222", "/my/complaints")
    me.goto(f"/my/complaints/{c['id']}")
    preview = me.wait_for_selector("#publication-preview").inner_text()
    assert "王**" in preview and "王秀英" not in preview and "138.1234.5678" not in preview
    assert "待审核公开" in me.locator("#publication").inner_text()

    med = new_context().new_page()
    password_sign_in(med, "pub_mediator", "mediate-2026", "/console/mediator")
    med.click(".tab[data-publication=pending]")
    med.locator("#queue .item", has_text="拒绝退货").click()
    assert med.wait_for_selector("#publication-preview").inner_text() == preview
    med.click("#publication-approve")
    med.wait_for_selector("#publication-msg.ok")
    med.wait_for_selector("#queue:has-text('没有需要处理的投诉')")

    cases = new_context().new_page()
    cases.goto("/cases")
    text = cases.wait_for_selector("main:has-text('拒绝退货')").inner_text()
    assert "王秀英" not in text and "京AD12345" not in text
