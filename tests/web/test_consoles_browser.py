"""The consoles in headless Chromium: an admin creates a mediator, who verifies a new business,
rejects a complaint with a reason and records a mediation outcome; a business owner manages
staff, API keys and webhooks and reads what would raise the index."""
from __future__ import annotations

from tests.factories import complaint_body
from tests.web.test_journey_browser import sms_sign_in, wait_status


def password_sign_in(page, username: str, password: str, expect_path: str) -> None:
    page.goto("/login")
    page.click("#tab-password")
    page.fill("#pw-username", username)
    page.check("#pw-agree")
    page.fill("#pw-password", password)
    page.click("#pw-login")
    page.wait_for_url(f"**{expect_path}")


def test_admin_mediator_and_business_consoles(auth, client, new_context, browser_errors):
    owner, business = auth.business(name="北京好运来家电有限公司", region="110105", owner_phone="13800138111")
    _, pending = auth.business(name="北京新开张餐饮有限公司", region="110108", industry="catering", verify=False)
    consumer = auth.consumer(phone="13900139111")
    to_reject = client.post("/api/v1/complaints", headers=consumer.headers,
                            json=complaint_body(business["id"], title="重复投诉：同一台电视机")).get_json()
    disputed = client.post("/api/v1/complaints", headers=consumer.headers,
                           json=complaint_body(business["id"], title="电视机花屏，商家只肯维修")).get_json()
    helper = auth.mediator("11", username="helper11")
    for action, who, extra in (("accept", helper, {}), ("respond", owner, {"note": "可以免费维修一次"}),
                               ("dispute", consumer, {"note": "要求退货"})):
        r = client.post(f"/api/v1/complaints/{disputed['id']}/transitions", headers=who.headers,
                        json={"action": action, **extra})
        assert r.status_code == 200, r.get_json()

    # Admin creates a mediator account for Beijing from the admin page.
    admin_page = new_context().new_page()
    auth.admin("root")
    password_sign_in(admin_page, "root", "secret-pass-123", "/admin")
    admin_page.fill("#s-username", "bj_mediator")
    admin_page.fill("#s-name", "王调解")
    admin_page.select_option("#s-role", "mediator")
    admin_page.fill("#s-region", "11")
    admin_page.fill("#s-password", "mediate-2026")
    admin_page.click("#staff-form button[type=submit]")
    admin_page.wait_for_selector("#staff tbody tr:has-text('bj_mediator')")

    # That mediator signs in, verifies the new business, rejects one complaint, settles the mediation.
    med = new_context().new_page()
    password_sign_in(med, "bj_mediator", "mediate-2026", "/console/mediator")
    med.click(".tab[data-tab=verify]")
    med.click(f"button[data-verify='{pending['id']}']")
    med.wait_for_selector("#verify-msg.ok")
    med.wait_for_selector("#pending tbody:has-text('没有待审核的商家')")
    assert client.get(f"/api/v1/businesses/{pending['id']}").get_json()["status"] == "verified"

    med.click(".tab[data-status=submitted]")
    med.locator("#queue .item", has_text="重复投诉").click()
    med.click("#action-reject button[type=submit]")  # the reason is required: the browser refuses to submit
    assert med.locator("#complaint-status").inner_text() == "待受理"
    med.fill("#action-reject textarea[name=note]", "与已受理的投诉重复")
    med.click("#action-reject button[type=submit]")
    wait_status(med, "不予受理")
    assert "与已受理的投诉重复" in med.locator("#timeline").inner_text()

    med.click(".tab[data-status=mediating]")
    med.locator("#queue .item", has_text="电视机花屏").click()
    med.fill("#action-mediate_success input[name=amount_recovered]", "1500.00")
    med.fill("#action-mediate_success textarea[name=note]", "商家同意退货退款 1500 元")
    med.click("#action-mediate_success button[type=submit]")
    wait_status(med, "已解决")
    got = client.get(f"/api/v1/complaints/{disputed['id']}", headers=consumer.headers).get_json()
    assert got["status"] == "resolved" and got["amount_recovered"] == "1500.00"
    assert med.locator("#export").get_attribute("href") == "/console/mediator/export.csv?status=mediating"
    assert to_reject["id"] != disputed["id"]

    # Business owner: staff, API key, webhook, and the index advice.
    biz = new_context().new_page()
    sms_sign_in(biz, "13800138111", "/console/business")
    biz.click(".tab[data-tab=staff]")
    biz.fill("#m-phone", "13700137000")
    biz.select_option("#m-role", "agent")
    biz.click("#member-form button[type=submit]")
    biz.wait_for_selector("#member-msg.ok:has-text('邀请已发送')")
    biz.wait_for_selector("#invitations tbody tr:has-text('137****7000'):has-text('待接受')")
    assert "137****7000" not in biz.locator("#members").inner_text()  # not staff before accepting

    # The invited person signs in with that phone, sees the invitation on their page and accepts it.
    invited = new_context().new_page()
    sms_sign_in(invited, "13700137000", "/my/complaints")
    invited.wait_for_selector(f"#invitations .invitation:has-text('{business['name']}')")
    invited.click("#invitations button[data-accept]")
    invited.wait_for_selector("#invitation-msg.ok")
    biz.click(".tab[data-tab=keys]")
    biz.click(".tab[data-tab=staff]")
    biz.wait_for_selector("#members tbody tr:has-text('137****7000')")
    biz.wait_for_selector("#invitations tbody tr:has-text('已接受')")
    # ... and the owner removes them again, confirming in the page's own dialog (no window.confirm).
    native: list[str] = []
    biz.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
    biz.locator("#members tbody tr", has_text="137****7000").locator("button[data-remove]").click()
    biz.get_by_role("dialog", name="移除员工").get_by_role("button", name="确认移除").click()
    assert native == []
    biz.wait_for_selector("#member-msg.ok:has-text('已移除')")
    biz.locator("#members tbody tr", has_text="137****7000").wait_for(state="detached")

    biz.click(".tab[data-tab=keys]")
    biz.fill("#k-name", "ERP 对接")
    biz.click("#key-form button[type=submit]")
    key = biz.locator("#key-msg .secret").inner_text().strip()
    biz.wait_for_selector("#keys tbody tr:has-text('ERP 对接')")
    r = client.get("/api/v1/complaints", headers={"X-Api-Key": key})
    # The key works for this business and sees what its staff see: the disputed complaint, not the one the
    # mediator rejected before it ever reached the business (issue 15.1).
    assert r.status_code == 200 and [i["id"] for i in r.get_json()["items"]] == [disputed["id"]]

    biz.click(".tab[data-tab=webhooks]")
    biz.fill("#w-url", "http://127.0.0.1:9/hook")
    biz.click("#webhook-form button[type=submit]")
    biz.wait_for_selector("#webhook-msg .secret")
    biz.wait_for_selector("#webhooks .item:has-text('http://127.0.0.1:9/hook')")

    biz.click(".tab[data-tab=index]")
    biz.wait_for_selector("#advice li >> nth=5")
    assert "按时响应率" in biz.locator("#advice").inner_text()

    assert not browser_errors.page_errors, browser_errors.page_errors
    csp = [m for m in browser_errors.messages if "Content Security Policy" in m or "Refused to" in m]
    assert not csp, csp
