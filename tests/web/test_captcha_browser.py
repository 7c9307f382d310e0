"""The login page in headless Chromium when the server asks for a captcha (428): the image is shown,
the person types what it says and the send (or the password sign-in) goes through."""
from __future__ import annotations

import pytest

from server.core.identity import guards
from server.core.identity.providers.sms import ConsoleSms

pytestmark = pytest.mark.browser


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "SMS_CAPTCHA_AFTER": 1, "LOGIN_CAPTCHA_AFTER": 1}


@pytest.fixture
def drawn(monkeypatch):
    codes: list[str] = []
    real = guards.render_png

    def spy(code):
        codes.append(code)
        return real(code)

    monkeypatch.setattr(guards, "render_png", spy)
    return codes


def test_second_sms_sign_in_from_one_address_shows_and_takes_the_captcha(new_context, browser_errors, drawn):
    page = new_context().new_page()
    page.goto("/login")
    page.fill("#sms-phone", "13800138201")
    page.check("#sms-agree")
    page.click("#sms-send")
    page.wait_for_selector("#login-msg.ok")
    assert page.locator("#sms-captcha").is_hidden()

    page.goto("/login")  # another sign-in from the same address (the page's own 60 s resend wait is gone)
    page.fill("#sms-phone", "13800138202")
    page.check("#sms-agree")
    page.click("#sms-send")
    page.wait_for_selector("#sms-captcha:not(.hidden)")
    src = page.get_attribute("#sms-captcha-img", "src")
    assert src.startswith("data:image/png;base64,")
    assert page.evaluate("document.getElementById('sms-captcha-img').naturalWidth") > 0  # the CSP lets it show
    assert ConsoleSms.last_code("13800138202") is None

    page.fill("#sms-captcha-code", drawn[-1].lower())
    page.click("#sms-send")
    page.wait_for_selector("#login-msg.ok")
    assert page.locator("#sms-captcha").is_hidden()
    page.fill("#sms-code", ConsoleSms.last_code("13800138202"))
    page.click("#sms-login")
    page.wait_for_url("**/my/complaints")
    csp = [m for m in browser_errors.messages if "Content Security Policy" in m or "Refused to" in m]
    assert not csp, csp
    assert not browser_errors.page_errors, browser_errors.page_errors


def test_password_sign_in_after_a_failure_asks_for_the_captcha(auth, new_context, browser_errors, drawn):
    from server.core.identity.accounts import do_create_staff_user

    with auth.db.session() as s:
        do_create_staff_user(s, "admin", "root", "secret-pass-123")
        s.commit()
    page = new_context().new_page()
    page.goto("/login")
    page.click("#tab-password")
    page.fill("#pw-username", "root")
    page.check("#pw-agree")
    page.fill("#pw-password", "wrong-pass-123")
    page.click("#pw-login")
    page.wait_for_selector("#login-msg:has-text('用户名或密码错误')")
    page.fill("#pw-password", "secret-pass-123")
    page.click("#pw-login")
    page.wait_for_selector("#pw-captcha:not(.hidden)")
    page.fill("#pw-captcha-code", drawn[-1])
    page.click("#pw-login")
    page.wait_for_url("**/admin")
    assert not browser_errors.page_errors, browser_errors.page_errors
