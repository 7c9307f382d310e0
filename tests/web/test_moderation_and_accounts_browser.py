"""The second release's decisions that belong to people, made in the consoles: a mediator clears content held
for review (API.md "Moderation"), an admin deactivates an account and its token stops at once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import complaint_body
from tests.web.test_consoles_browser import password_sign_in

pytestmark = pytest.mark.browser


def test_mediator_clears_a_held_complaint_in_the_console(auth, client, new_context, browser_errors):
    owner, biz = auth.business()
    consumer = auth.consumer()
    held = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        biz["id"], description="对方疑似传销组织，请平台核实，收款后不发货。")).get_json()
    assert held["moderation"] == "review"
    auth.mediator("11", username="mod_mediator")
    med = new_context().new_page()
    password_sign_in(med, "mod_mediator", "secret-pass-123", "/console/mediator")
    med.click(".tab[data-moderation=review]")
    expect(med.locator("#queue .item")).to_have_count(1)
    med.locator(f"#queue .item[data-id='{held['id']}']").click()
    med.wait_for_selector("#moderation")
    med.fill("#moderation-note", "核实为正常投诉")
    med.click("#moderation-clear")
    med.wait_for_selector("#moderation-done")
    assert "已放行" in med.inner_text("#moderation-done")
    assert med.locator("#moderation").count() == 0
    after = client.get(f"/api/v1/complaints/{held['id']}", headers=consumer.headers).get_json()
    assert after["moderation"] == "pass"
    assert browser_errors.page_errors == []


def test_admin_deactivates_and_reactivates_an_account(auth, client, new_context, browser_errors):
    consumer = auth.consumer(phone="13900000555")
    me = client.get("/api/v1/me", headers=consumer.headers).get_json()
    auth.admin("web_admin")
    adm = new_context().new_page()
    password_sign_in(adm, "web_admin", "secret-pass-123", "/admin")
    adm.fill("#a-user-id", str(me["id"]))
    adm.click("#a-deactivate")
    adm.wait_for_selector("#account-msg.ok")
    assert client.get("/api/v1/me", headers=consumer.headers).status_code == 401  # at once
    adm.click("#a-reactivate")
    expect(adm.locator("#account-msg")).to_contain_text("已恢复")
    assert browser_errors.page_errors == []
