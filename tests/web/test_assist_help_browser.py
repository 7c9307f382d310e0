"""Help for the other parties in the consoles (issue 20.5), in headless Chromium: the business's staff
draft an answer beside the 答复 form, see it labelled and unsent, cannot submit it with its 【请填写…】 gaps,
and send it once filled in; the mediator reads a neutral case summary."""
from __future__ import annotations

import re

import pytest

from tests.factories import act, file_complaint
from tests.web.test_consoles_browser import password_sign_in
from tests.web.test_journey_browser import sms_sign_in, wait_status

pytestmark = pytest.mark.browser


def test_staff_draft_fill_and_send_and_mediator_summary(auth, client, new_context, browser_errors):
    owner, biz = auth.business(name="北京声悦数码有限公司", region="110105", owner_phone="13800138222")
    consumer = auth.consumer(phone="13900139222")
    c = file_complaint(client, consumer, biz["id"], title="蓝牙耳机左耳无声，商家拒绝退货")
    mediator = auth.mediator("11", username="med11")
    act(client, mediator, c["id"], "accept")

    page = new_context().new_page()
    sms_sign_in(page, "13800138222", "/console/business")
    page.locator("#queue .item", has_text="蓝牙耳机").click()
    page.fill("#action-respond textarea[name=note]", "同意退货退款")
    page.click("#draft-button")
    page.wait_for_selector("#draft-text", timeout=90_000)  # the first retrieval loads the index
    draft = page.locator("#reply-draft").inner_text()
    assert "系统模板" in draft and "不会自动发送" in draft and "《" in draft
    # nothing was sent by drafting
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()["status"] == "forwarded"

    page.click("#draft-use")
    text = page.locator("#action-respond textarea[name=note]").input_value()
    assert "【请填写" in text
    page.click("#action-respond button[type=submit]")
    page.wait_for_selector("#action-respond .msg:has-text('未填写')")
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()["status"] == "forwarded"

    page.fill("#action-respond textarea[name=note]", re.sub(r"【请填写[^】]*】", "三个工作日内退款", text))
    page.click("#action-respond button[type=submit]")
    wait_status(page, "商家已答复")
    got = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert got["status"] == "responded" and "三个工作日内退款" in got["timeline"][-1]["note"]

    med = new_context().new_page()
    password_sign_in(med, "med11", "secret-pass-123", "/console/mediator")
    med.locator(".tab", has_text="全部").click()
    med.locator("#queue .item", has_text="蓝牙耳机").click()
    med.click("#summary-button")
    med.wait_for_selector("#summary-text", timeout=90_000)
    summary = med.locator("#case-summary").inner_text()
    assert "蓝牙耳机" in summary and "仅供调解参考" in summary and "《" in summary
