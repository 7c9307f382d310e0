"""Sign-in asks for agreement to the user agreement and privacy policy (issue 22.3), records it with the
documents' current versions, and the tab bar is a real ARIA tab list that the keyboard can drive."""
from __future__ import annotations

import re

import pytest

from server.core.identity.providers.sms import ConsoleSms
from server.core.legal import DOCUMENTS

pytestmark = pytest.mark.browser


def test_sms_sign_in_needs_agreement_and_records_it(new_context, client, browser_errors):
    page = new_context().new_page()
    page.goto("/login")
    page.fill("#sms-phone", "13800138999")
    page.click("#sms-send")
    assert "请先阅读并勾选同意" in page.inner_text("#login-msg")
    assert ConsoleSms.last_code("13800138999") is None  # nothing was sent
    page.check("#sms-agree")
    page.click("#sms-send")
    page.wait_for_selector("#login-msg.ok")
    page.fill("#sms-code", ConsoleSms.last_code("13800138999"))
    page.click("#sms-login")
    page.wait_for_url("**/my/complaints")
    consents = page.evaluate("fetch('/api/v1/me/consents').then(r => r.json())")
    assert sorted((c["document"], c["version"], c["channel"]) for c in consents["items"]) == [
        ("privacy", DOCUMENTS["privacy"]["version"], "web"), ("terms", DOCUMENTS["terms"]["version"], "web")]
    assert browser_errors.page_errors == []


def test_login_tabs_are_aria_tabs_driven_by_the_keyboard(new_context):
    page = new_context().new_page()
    page.goto("/login")
    sms, pw = page.locator("#tab-sms"), page.locator("#tab-password")
    assert sms.get_attribute("role") == "tab" and sms.get_attribute("aria-selected") == "true"
    assert pw.get_attribute("aria-selected") == "false" and pw.get_attribute("tabindex") == "-1"
    panel = page.locator(f"#{sms.get_attribute('aria-controls')}")
    assert panel.get_attribute("role") == "tabpanel"
    sms.focus()
    page.keyboard.press("ArrowRight")
    assert pw.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-password"
    assert page.is_visible("#pw-username") and not page.is_visible("#sms-phone")
    assert re.search(r"用户服务协议", page.inner_text("#password-form"))
