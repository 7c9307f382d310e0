"""Keyboard only, in headless Chromium: a consumer signs in by SMS and files a complaint with Tab, Shift+Tab,
Enter, Space, arrow keys and typing (never a click), and every stop on the way shows a visible focus ring.
The mediator's rejection of a business asks for its reason in an in-page <dialog> (named, with a labelled
reason field, Esc cancels, focus returns) instead of window.prompt.
"""
from __future__ import annotations

import pytest

from server.core.identity.providers.sms import ConsoleSms
from tests.web.test_consoles_browser import password_sign_in

pytestmark = pytest.mark.browser

FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  return { id: el.id, tag: el.tagName, visible: el.matches(':focus-visible'),
           ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 };
}"""


def tab_to(page, selector: str, *, back: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab when back) until the element matching selector has the focus; at every stop the
    focused element must show its focus ring."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is not None:
            assert state["ring"], f"focus not visible on {state}"
    raise AssertionError(f"{selector} not reached with the keyboard in {limit} presses")


def test_sign_in_and_file_a_complaint_with_the_keyboard_only(auth, client, new_context, browser_errors):
    _, business = auth.business(name="北京好运来家电有限公司", region="110105", industry="appliance")
    page = new_context().new_page()
    page.goto("/login")

    # The skip link is the first stop; the SMS tab is the active tab.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    tab_to(page, "#sms-phone")
    page.keyboard.type("13900139777")
    tab_to(page, "#sms-agree")  # the agreement comes first: no code is sent without it
    page.keyboard.press("Space")
    assert page.is_checked("#sms-agree")
    tab_to(page, "#sms-send", back=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#login-msg.ok")
    tab_to(page, "#sms-code", back=True)
    page.keyboard.type(ConsoleSms.last_code("13900139777"))
    tab_to(page, "#sms-login")
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/complaints")

    # 我要投诉 from the navigation, by keyboard.
    tab_to(page, "nav a[href='/complaints/new']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/complaints/new")
    page.wait_for_selector("#complaint-form[data-ready='1']")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")  # 跳到正文: the next Tab lands in the form, not in the header
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "c-description"
    page.keyboard.type("11月1日在该店买的电视机，开机三天就花屏，要求退货，商家只同意维修。")
    tab_to(page, "#classify")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('classify-msg').textContent.startsWith('建议')")
    tab_to(page, "#c-title")
    page.keyboard.type("电视机花屏，商家拒绝退货")
    tab_to(page, "#c-business")
    page.keyboard.type("北京好运来")
    page.wait_for_selector("#business-candidates .item")
    tab_to(page, "#business-candidates .item")
    page.keyboard.press("Enter")  # a candidate is a role=button item: Enter picks it
    page.wait_for_selector("#business-candidates:has-text('已选择入驻商家')")
    assert page.evaluate("document.activeElement.id") == "c-business"  # the keyboard stays where it was
    page.wait_for_function("() => document.getElementById('c-district').value === '110105'")
    tab_to(page, "#c-category")
    before = page.input_value("#c-category")
    page.keyboard.press("ArrowDown")  # a closed select changes with the arrow keys
    category = page.input_value("#c-category")
    assert category and category != before
    tab_to(page, "#c-amount")
    page.keyboard.type("2999.00")
    tab_to(page, "#c-demands input[value=return]")
    page.keyboard.press("Space")
    tab_to(page, "#c-consent")
    page.keyboard.press("Space")
    tab_to(page, "#c-submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/complaints/*?new=1")
    page.wait_for_selector("#complaint-status")

    cid = int(page.url.split("/my/complaints/")[1].split("?")[0])
    got = page.evaluate("id => fetch('/api/v1/complaints/' + id, {credentials: 'same-origin'}).then(r => r.json())",
                        cid)  # as the signed-in consumer (the page's cookie session)
    assert got["title"] == "电视机花屏，商家拒绝退货" and got["business_id"] == business["id"]
    assert got["category"] == category and got["region_code"] == "110105" and got["amount_claimed"] == "2999.00"
    assert got["demands"] == ["return"] and got["public_consent"] is True
    assert browser_errors.page_errors == []


def test_rejection_and_removal_ask_in_an_in_page_dialog(auth, client, new_context, browser_errors):
    _, pending = auth.business(name="北京新开张餐饮有限公司", region="110108", industry="catering", verify=False)
    auth.staff("mediator", "dlg_mediator", region="11", password="mediate-2026")
    page = new_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # any window.prompt would land here
    password_sign_in(page, "dlg_mediator", "mediate-2026", "/console/mediator")
    page.click(".tab[data-tab=verify]")
    reject = page.locator(f"button[data-reject='{pending['id']}']")
    reject.click()
    dialog = page.locator("dialog[open]")
    assert dialog.get_attribute("aria-labelledby")
    assert "北京新开张餐饮有限公司" in dialog.locator("h2").inner_text()
    field = page.get_by_label("驳回理由（将通知申请人）")
    assert field.evaluate("el => el === document.activeElement")  # focus moves into the dialog

    # Esc cancels: nothing is sent, focus returns to the 驳回 button.
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog", state="detached")  # closed and removed
    assert reject.evaluate("el => el === document.activeElement")
    assert client.get(f"/api/v1/businesses/{pending['id']}").get_json()["status"] == "pending"

    # An empty reason is refused in the dialog; a reason rejects the application.
    page.keyboard.press("Enter")
    page.locator("dialog[open] button[type=submit]").click()
    assert "请填写驳回理由" in page.locator("dialog[open] [role=alert]").inner_text()
    page.keyboard.type("营业执照照片不清晰，请重新上传")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 确认驳回
    page.wait_for_selector("#verify-msg.ok")
    assert client.get(f"/api/v1/businesses/{pending['id']}").get_json()["status"] == "rejected"
    assert dialogs == []
    assert browser_errors.page_errors == []
