"""Web drafts (issue 22.5), in headless Chromium: what a consumer typed into the complaint form survives a
reload or a closed tab, with a notice; submitting removes it; signing out removes it, so the next person
at a shared computer finds an empty form."""
from __future__ import annotations

import pytest

from tests.web.test_journey_browser import sms_sign_in

pytestmark = pytest.mark.browser


def _draft_keys(page) -> list[str]:
    return page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('smart315.draft.'))")


def test_draft_survives_reload_and_leaves_with_the_user(auth, new_context, browser_errors):
    owner, biz = auth.business(name="北京优品电器有限公司", region="110105")
    page = new_context().new_page()
    sms_sign_in(page, "13900139777", "/my/complaints")
    page.goto("/complaints/new")
    page.wait_for_selector("#complaint-form[data-ready='1']")
    page.fill("#c-title", "冰箱一周不制冷，要求退货退款")
    page.fill("#c-description", "在该店购买的电冰箱使用一周后不制冷，商家客服一直推脱。")
    page.fill("#c-business", "某某不在平台的小店")
    page.select_option("#c-category", "quality")
    page.check("#c-demands input[value=refund]")
    page.select_option("#c-province", "11")
    page.wait_for_function("() => document.querySelector('#c-city').options.length > 1")
    page.select_option("#c-city", "1101")
    page.wait_for_function("() => document.querySelector('#c-district').options.length > 1")
    page.select_option("#c-district", "110108")
    page.wait_for_function("() => Object.keys(localStorage).some((k) => k.startsWith('smart315.draft.')"
                           " && localStorage.getItem(k).includes('110108'))")

    page.reload()  # or a closed tab, a lost connection, a phone call
    page.wait_for_selector("#complaint-form[data-ready='1']")
    assert page.locator("#draft-restored").is_visible()
    assert page.input_value("#c-title") == "冰箱一周不制冷，要求退货退款"
    assert page.input_value("#c-description").startswith("在该店购买的电冰箱")
    assert page.input_value("#c-business") == "某某不在平台的小店"
    assert page.input_value("#c-category") == "quality"
    assert page.is_checked("#c-demands input[value=refund]")
    assert page.input_value("#c-district") == "110108"

    page.click("#logout")
    page.wait_for_url("**/")
    assert _draft_keys(page) == []
    sms_sign_in(page, "13900139778", "/my/complaints")  # the next person at this computer
    page.goto("/complaints/new")
    page.wait_for_selector("#complaint-form[data-ready='1']")
    assert page.input_value("#c-title") == "" and page.locator("#draft-restored").count() == 0


def test_submitting_removes_the_draft(auth, new_context, browser_errors):
    owner, biz = auth.business(name="北京优品电器有限公司", region="110105")
    page = new_context().new_page()
    sms_sign_in(page, "13900139779", "/my/complaints")
    page.goto("/complaints/new")
    page.wait_for_selector("#complaint-form[data-ready='1']")
    page.fill("#c-business", "优品电器")
    page.locator("#business-candidates .item", has_text="北京优品电器有限公司").click()
    page.wait_for_function("() => document.querySelector('#c-district').value === '110105'")
    page.fill("#c-title", "洗衣机漏水，要求换货")
    page.fill("#c-description", "新买的洗衣机第一次使用就漏水，要求换货。")
    page.select_option("#c-category", "quality")
    page.check("#c-demands input[value=exchange]")
    page.wait_for_function("() => Object.keys(localStorage).some((k) => k.startsWith('smart315.draft.'))")
    page.click("#c-submit")
    page.wait_for_url("**/my/complaints/*")
    assert _draft_keys(page) == []
    page.goto("/complaints/new")
    page.wait_for_selector("#complaint-form[data-ready='1']")
    assert page.input_value("#c-title") == ""
