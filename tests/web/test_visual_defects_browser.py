"""The visual defects a consumer reported (issue 22.5), measured in headless Chromium at phone and desk
width: every industry on the home chart is labelled, 提问 stays on one line, the published case cards do
not run into each other, and 获取验证码 sits level with its input."""
from __future__ import annotations

import pytest

from tests.factories import act, complaint_body

pytestmark = pytest.mark.browser
WIDTHS = (375, 1280)
INDUSTRIES = ("online_shopping", "catering", "telecom_service", "education", "travel", "housing")


def _published_cases(auth, client, n: int = 4) -> None:
    mediator = auth.mediator("11", username="visual_mediator")
    consumer = auth.consumer(phone="13900139555")
    for i, industry in enumerate(INDUSTRIES):
        owner, biz = auth.business(name=f"北京第{i + 1}号商贸有限公司", industry=industry)
        c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
            biz["id"], title=f"第{i + 1}件：商品与描述不符要求退货", public_consent=True,
            industry_code=industry)).get_json()
        act(client, mediator, c["id"], "accept")
        if i < n:
            act(client, owner, c["id"], "respond", note="同意退货")
            act(client, consumer, c["id"], "confirm", amount_recovered="100.00")
            r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers,
                            json={"approve": True})
            assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize("width", WIDTHS)
def test_home_chart_labels_every_industry(auth, client, new_context, browser_errors, width):
    _published_cases(auth, client, n=0)
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto("/")
    page.wait_for_function("() => { const el = document.querySelector('#chart-industries');"
                           " const c = el && window.echarts && echarts.getInstanceByDom(el);"
                           " return c && c.getOption().yAxis[0].data.length > 0; }")
    shown, total = page.evaluate("""() => {
        const c = echarts.getInstanceByDom(document.querySelector('#chart-industries'));
        const axis = c.getModel().getComponent('yAxis', 0).axis;
        return [axis.getViewLabels().length, c.getOption().yAxis[0].data.length];
    }""")
    assert total >= len(INDUSTRIES) and shown == total


@pytest.mark.parametrize("width", WIDTHS)
def test_ask_button_stays_on_one_line(new_context, browser_errors, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto("/consult")
    lines = page.evaluate("""() => {
        const b = document.querySelector('#ask button[type=submit]');
        const r = document.createRange(); r.selectNodeContents(b);
        return new Set(Array.from(r.getClientRects()).map((x) => Math.round(x.top))).size;
    }""")
    assert lines == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_case_cards_keep_apart(auth, client, new_context, browser_errors, width):
    _published_cases(auth, client)
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto("/cases")
    page.wait_for_selector("#cases .item >> nth=3")
    rects = page.evaluate("() => Array.from(document.querySelectorAll('#cases .item')).map((e) => {"
                          " const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; })")
    # each card is visibly a card (a border or a background of its own), not text running on
    framed = page.evaluate("() => Array.from(document.querySelectorAll('#cases .item')).every((e) => {"
                           " const s = getComputedStyle(e); return parseFloat(s.borderTopWidth) > 0"
                           " || s.backgroundColor !== getComputedStyle(document.body).backgroundColor; })")
    assert framed
    rows = sorted(rects)
    for (_t1, b1, l1, r1), (t2, _b2, l2, r2) in zip(rows, rows[1:], strict=False):
        side_by_side = r1 <= l2 or r2 <= l1
        assert side_by_side or t2 - b1 >= 8, (rows, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_sms_code_button_is_level_with_its_input(new_context, browser_errors, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto("/login")
    box_in = page.locator("#sms-code").bounding_box()
    box_btn = page.locator("#sms-send").bounding_box()
    assert abs((box_in["y"] + box_in["height"]) - (box_btn["y"] + box_btn["height"])) <= 2
    assert abs(box_in["height"] - box_btn["height"]) <= 4
