"""The complete case in headless Chromium: a mediator pauses the clock with a reason (the consumer sees
it), resumes and transfers a complaint to another region from the console; the consumer reopens a
resolved complaint from its page."""
from __future__ import annotations

from tests.factories import act, file_complaint
from tests.web.test_consoles_browser import password_sign_in
from tests.web.test_journey_browser import sms_sign_in, wait_status


def test_pause_resume_transfer_and_reopen_in_the_pages(auth, client, new_context, browser_errors, tmp_path):
    consumer = auth.consumer(phone="13900139222")
    paused = file_complaint(client, consumer, title="冰箱不制冷，送检等待结果")
    moving = file_complaint(client, consumer, title="上海门店的退款问题")
    auth.mediator("11", username="lc_mediator11")
    med = new_context().new_page()
    password_sign_in(med, "lc_mediator11", "secret-pass-123", "/console/mediator")

    med.click(".tab[data-status=submitted]")
    med.locator("#queue .item", has_text="冰箱不制冷").click()
    med.select_option("#action-pause select[name=reason]", "testing")
    med.fill("#action-pause textarea[name=note]", "冰箱送第三方检测")
    med.click("#action-pause button[type=submit]")
    med.wait_for_selector("#action-resume")
    assert "已暂停计时（检测鉴定" in med.locator(".file").inner_text()
    got = client.get(f"/api/v1/complaints/{paused['id']}", headers=consumer.headers).get_json()
    assert got["paused"] is True and got["paused_reason"] == "testing"

    # The consumer sees the same countdown, stopped, with the reason.
    page = new_context().new_page()
    sms_sign_in(page, "13900139222", "/my/complaints")
    page.goto(f"/my/complaints/{paused['id']}")
    page.wait_for_selector("#complaint-status")
    assert "已暂停计时（检测鉴定" in page.locator(".file").inner_text()

    med.click("#action-resume button[type=submit]")
    med.wait_for_selector("#action-pause")
    assert client.get(f"/api/v1/complaints/{paused['id']}", headers=consumer.headers).get_json()["paused"] is False

    # Transfer: the reason and the county are required; then it leaves this mediator's region.
    med.click(".tab[data-status=submitted]")
    med.locator("#queue .item", has_text="上海门店").click()
    med.select_option("#action-transfer select[aria-label=省]", "31")
    med.wait_for_selector("#action-transfer select[aria-label=市] option[value='3101']", state="attached")
    med.select_option("#action-transfer select[aria-label=市]", "3101")
    med.wait_for_selector("#action-transfer select[name=region_code] option[value='310101']", state="attached")
    med.select_option("#action-transfer select[name=region_code]", "310101")
    med.fill("#action-transfer textarea[name=note]", "门店位于上海市黄浦区")
    # Wait for the transfer's own answer (wait_for_function does not await a Promise: microsoft/playwright#29132).
    with med.expect_response(lambda r: r.url.endswith(f"/complaints/{moving['id']}/transitions")
                             and r.request.method == "POST") as answer:
        med.click("#action-transfer button[type=submit]")
    assert answer.value.status == 200, answer.value.text()
    got = client.get(f"/api/v1/complaints/{moving['id']}", headers=consumer.headers).get_json()
    assert got["region_code"] == "310101"
    # It left this mediator's region: the console now answers 404 for it.
    status = med.evaluate("id => fetch('/api/v1/complaints/' + id, {credentials: 'same-origin'}).then(r => r.status)",
                          moving["id"])
    assert status == 404

    # Reopen: resolved by mediation, then reopened by the consumer with a note.
    mediator = auth.mediator("1101", username="lc_api_mediator")
    act(client, mediator, paused["id"], "accept")
    act(client, mediator, paused["id"], "mediate_success", amount_recovered="800")
    page.goto(f"/my/complaints/{paused['id']}")
    wait_status(page, "已解决")
    page.fill("#action-reopen textarea[name=note]", "商家答应的退款没有到账")
    page.click("#action-reopen button[type=submit]")
    wait_status(page, "调解中")
    assert "重新打开投诉" in page.locator("#timeline").inner_text()

    # Materials: the mediator asks, the consumer supplements with a picture from the page, the clock resumes.
    asked = file_complaint(client, consumer, title="洗衣机漏水，需要补充发票")
    med.goto("/console/mediator")
    med.click(".tab[data-status=submitted]")
    med.locator("#queue .item", has_text="洗衣机漏水").click()
    med.fill("#action-request_materials textarea[name=note]", "请上传购买发票")
    med.click("#action-request_materials button[type=submit]")
    med.wait_for_selector("#action-resume")
    assert "补正材料截止" in med.locator(".file").inner_text()
    from tests.factories import png_bytes

    picture = tmp_path / "invoice.png"
    picture.write_bytes(png_bytes(8, (10, 200, 10)))
    page.goto(f"/my/complaints/{asked['id']}")
    page.wait_for_selector("#action-supplement")
    page.fill("#action-supplement textarea[name=note]", "发票照片已上传")
    page.set_input_files("#action-supplement input[type=file]", str(picture))
    page.click("#action-supplement button[type=submit]")
    page.wait_for_selector("#attachments img")
    got = client.get(f"/api/v1/complaints/{asked['id']}", headers=consumer.headers).get_json()
    assert got["paused"] is False and len(got["attachments"]) == 1
    assert got["timeline"][-1]["action"] == "supplement"

    assert not browser_errors.page_errors, browser_errors.page_errors
