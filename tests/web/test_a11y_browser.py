"""An axe-core audit in headless Chromium of the main pages of every role, with real data on them: the
public pages (also at phone width and in 长辈版), the consumer's filing form, complaint list and detail, the
business console, the mediator console (with its in-page rejection dialog open) and the admin page.

axe-core is Deque's rules engine (tests/web/vendor/axe.min.js, MPL-2.0, committed so the test runs offline).
It runs on the page as rendered under the app's strict CSP (injected through the DevTools protocol, not as a
page script). Every serious or critical violation fails the test, listed with the elements it found.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import act, complaint_body
from tests.web.test_consoles_browser import password_sign_in
from tests.web.test_journey_browser import sms_sign_in

pytestmark = pytest.mark.browser

AXE_VERSION = "4.14.1"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PHONE = {"width": 390, "height": 844}

CONSUMER_PHONE = "13900139555"
OWNER_PHONE = "13800138555"


def audit(page, label: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line per rule with its elements."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE + "\n;undefined")
    assert page.evaluate("axe.version") == AXE_VERSION
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })) }));
    }""")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    return [f"{label} [{page.url}] {v['impact']} {v['id']}: {v['help']}: "
            + json.dumps([n["target"] for n in v["nodes"]][:6], ensure_ascii=False) for v in bad]


def seed(auth, client) -> dict:
    """A verified business with a published case (outcome and public reply), an open complaint in mediation,
    a business waiting for verification, a report, and the accounts of every role."""
    owner, business = auth.business(name="北京好运来家电有限公司", region="110105", owner_phone=OWNER_PHONE)
    auth.business(name="北京新开张餐饮有限公司", region="110108", industry="catering", verify=False)
    consumer = auth.consumer("陈大文", phone=CONSUMER_PHONE)
    mediator = auth.staff("mediator", "a11y_mediator", region="11", password="mediate-2026")
    auth.staff("admin", "a11y_admin", password="admin-pass-2026")
    published = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        business["id"], title="电视机花屏，商家同意退款", public_consent=True, amount_claimed="3999.00")).get_json()
    act(client, mediator, published["id"], "accept")
    act(client, owner, published["id"], "respond", note="同意全额退款 3999 元")
    act(client, consumer, published["id"], "confirm", amount_recovered="3999.00")
    r = client.post(f"/api/v1/complaints/{published['id']}/publication", headers=mediator.headers,
                    json={"approve": True, "note": None})
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/complaints/{published['id']}/public-reply", headers=owner.headers,
                    json={"text": "已为消费者全额退款，感谢监督。"})
    assert r.status_code == 200, r.get_json()
    open_one = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        business["id"], title="冰箱不制冷，商家只肯维修", description="买了三天的冰箱不制冷，要求退货，商家只肯维修。")
    ).get_json()
    for action, who, extra in (("accept", mediator, {}), ("respond", owner, {"note": "可以免费维修一次"}),
                               ("dispute", consumer, {"note": "要求退货"})):
        act(client, who, open_one["id"], action, **extra)
    r = client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_name": "北京某保健品店", "region_code": "110105", "description": "店内宣传保健品能治愈糖尿病，属于虚假宣传。"})
    assert r.status_code == 201, r.get_json()
    case = client.get(f"/api/v1/public/complaints?business_id={business['id']}").get_json()["items"][0]
    return {"business": business, "published": published, "open": open_one, "public_no": case["public_no"]}


def test_public_pages_have_no_serious_violations(auth, client, new_context, browser_errors):
    data = seed(auth, client)
    found: list[str] = []
    paths = ["/", "/stats", "/rankings", f"/businesses/{data['business']['id']}", "/cases",
             f"/cases/{data['public_no']}", "/disclosures", "/index-method", "/consult", "/login", "/help",
             "/legal/privacy", "/legal/terms", f"/verify/{data['public_no']}"]
    page = new_context().new_page()
    for path in paths:
        page.goto(path)
        found += audit(page, "访客")
    page.goto("/login")
    page.click("#tab-password")
    found += audit(page, "访客 密码登录")

    phone = new_context(viewport=PHONE).new_page()
    for path in ("/", "/cases", "/help"):
        phone.goto(path)
        found += audit(phone, "手机")
    phone.click("label[for=nav-toggle]")
    found += audit(phone, "手机 菜单展开")
    phone.click("button[data-text-size='elder']")
    for path in ("/", "/rankings", f"/cases/{data['public_no']}", "/help", "/login"):
        phone.goto(path)
        assert phone.evaluate("document.documentElement.dataset.text") == "elder"
        found += audit(phone, "长辈版")
    assert found == [], "\n".join(found)
    assert browser_errors.page_errors == []


def test_consumer_pages_have_no_serious_violations(auth, client, new_context, browser_errors):
    data = seed(auth, client)
    found: list[str] = []
    page = new_context().new_page()
    sms_sign_in(page, CONSUMER_PHONE, "/my/complaints")
    page.wait_for_selector("#complaints .item")
    found += audit(page, "消费者 我的投诉")
    for path in (f"/my/complaints/{data['open']['id']}", f"/my/complaints/{data['published']['id']}"):
        page.goto(path)
        page.wait_for_selector("#complaint-status")
        found += audit(page, "消费者 投诉详情")
    page.goto("/complaints/new")
    page.fill("#c-description", "在该店买的电饭煲用了一周就坏了，商家拒绝退货。")
    found += audit(page, "消费者 我要投诉")
    page.goto("/reports/new")
    found += audit(page, "消费者 我要举报")
    elder = page  # the same session (a second SMS code to the phone would wait for its cooldown), at phone size
    elder.set_viewport_size(PHONE)
    elder.click("button[data-text-size='elder']")
    elder.goto("/complaints/new")
    assert elder.evaluate("document.documentElement.dataset.text") == "elder"
    found += audit(elder, "长辈版 我要投诉")
    elder.goto(f"/my/complaints/{data['open']['id']}")
    elder.wait_for_selector("#complaint-status")
    found += audit(elder, "长辈版 投诉详情")
    assert found == [], "\n".join(found)
    assert browser_errors.page_errors == []


def test_console_pages_have_no_serious_violations(auth, client, new_context, browser_errors):
    data = seed(auth, client)
    found: list[str] = []

    biz = new_context().new_page()
    sms_sign_in(biz, OWNER_PHONE, "/console/business")
    biz.locator("#queue .item", has_text="冰箱不制冷").click()
    biz.wait_for_selector("#public-reply")
    found += audit(biz, "商家 投诉队列")
    for tab in ("index", "staff", "wechat", "webhooks", "keys"):
        biz.click(f".tab[data-tab={tab}]")
        found += audit(biz, f"商家 {tab}")

    med = new_context().new_page()
    password_sign_in(med, "a11y_mediator", "mediate-2026", "/console/mediator")
    med.click(".tab[data-status=mediating]")
    med.locator("#queue .item", has_text="冰箱不制冷").click()
    med.wait_for_selector("#action-mediate_success")
    found += audit(med, "调解员 调解中")
    med.click(".tab[data-tab=verify]")
    med.wait_for_selector("#pending button[data-reject]")
    found += audit(med, "调解员 商家审核")
    med.click("#pending button[data-reject]")
    med.wait_for_selector("dialog[open]")
    found += audit(med, "调解员 驳回对话框")
    med.keyboard.press("Escape")
    med.click(".tab[data-tab=reports]")
    med.wait_for_selector("#reports tbody tr[data-report]")
    found += audit(med, "调解员 举报")

    admin = new_context().new_page()
    password_sign_in(admin, "a11y_admin", "admin-pass-2026", "/admin")
    found += audit(admin, "管理员")
    assert data["open"]["id"]
    assert found == [], "\n".join(found)
    assert browser_errors.page_errors == []
