"""The fulfilment question in headless Chromium: a week after a settlement with an amount, the consumer's
complaint page asks 商家是否已履行和解承诺？ with 已履行 and 未履行（需填写说明）; the answers do what they say.
And /index-method explains the rule sets (from GET /public/rules) and the not-fulfilled rule."""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.core.models import Complaint
from server.tasks.jobs import fulfilment_check
from tests.factories import act, file_complaint
from tests.web.test_journey_browser import sms_sign_in, wait_status

pytestmark = pytest.mark.browser


def _settled_and_asked(client, db, settings, consumer, mediator, title):
    c = file_complaint(client, consumer, title=title)  # no business on the platform: straight to mediation
    act(client, mediator, c["id"], "accept")
    act(client, mediator, c["id"], "mediate_success", amount_recovered="300")
    with db.session() as s:
        ended = s.get(Complaint, c["id"]).ended_at
    assert fulfilment_check(db, settings, ended + timedelta(days=7, minutes=1)) == 1
    return c


def test_the_consumer_answers_the_fulfilment_question_from_the_page(auth, client, db, settings, new_context,
                                                                     browser_errors):
    consumer = auth.consumer(phone="13900139333")
    mediator = auth.mediator("1101", username="ff_mediator")
    unkept = _settled_and_asked(client, db, settings, consumer, mediator, "空调安装费承诺退还未兑现")
    kept = _settled_and_asked(client, db, settings, consumer, mediator, "手机屏幕维修已完成")
    page = new_context().new_page()
    sms_sign_in(page, "13900139333", "/my/complaints")

    page.goto(f"/my/complaints/{unkept['id']}")
    wait_status(page, "已解决")
    box = page.locator("#fulfilment")
    assert "商家是否已履行和解承诺？" in box.inner_text()
    assert page.locator("#fulfil-yes").inner_text() == "已履行"
    assert page.locator("#fulfil-no").inner_text() == "未履行（需填写说明）"
    assert page.locator("#action-not_fulfilled").is_hidden()
    page.click("#fulfil-no")
    page.fill("#not-fulfilled-note", "安装费至今没有退还")
    page.click("#action-not_fulfilled button[type=submit]")
    wait_status(page, "调解中")
    assert page.locator("#fulfilment").count() == 0
    assert "商家未履行承诺" in page.locator("#timeline").inner_text()
    got = client.get(f"/api/v1/complaints/{unkept['id']}", headers=consumer.headers).get_json()
    assert got["status"] == "mediating" and got["fulfilment"] == "not_fulfilled"

    page.goto(f"/my/complaints/{kept['id']}")
    wait_status(page, "已解决")
    page.click("#fulfil-yes")
    page.wait_for_function("() => !document.querySelector('#fulfilment')")
    assert "消费者确认商家已履行" in page.locator(".file").inner_text()
    got = client.get(f"/api/v1/complaints/{kept['id']}", headers=consumer.headers).get_json()
    assert got["status"] == "resolved" and got["fulfilment"] == "fulfilled"
    assert not browser_errors.page_errors, browser_errors.page_errors


def test_the_index_method_page_explains_the_rule_sets_and_the_unkept_settlement(new_context, browser_errors):
    page = new_context().new_page()
    page.goto("/index-method")
    page.wait_for_selector("#rule-sets tbody tr")
    rows = page.locator("#rule-sets tbody tr")
    assert rows.count() == 2
    old, new = page.locator("#rule-sets tr[data-code=samr-2022]"), page.locator("#rule-sets tr[data-code=samr-121]")
    assert "2022-03-24" in old.inner_text() and "45 个工作日" in old.inner_text()
    assert "2026-04-15" in new.inner_text() and "60 日" in new.inner_text() and "第 121 号" in new.inner_text()
    assert "未履行" in page.locator("#not-fulfilled-rule").inner_text()
    versions = page.locator("#versions").inner_text()
    assert "2026.3" in versions and "2026.2" in versions and "2026.1" in versions
    assert not browser_errors.page_errors, browser_errors.page_errors
