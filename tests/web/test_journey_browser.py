"""A complaint walked across the three roles in real headless Chromium, through the pages only.

Consumer files it with a photo (SMS sign-in with the console provider's code), the mediator
accepts it, the business answers with a proposal and a message, the consumer confirms and rates,
and the public profile's index is no longer what it was before.
"""
from __future__ import annotations

import io
import re

from PIL import Image

from server.core.identity.providers.sms import ConsoleSms

CONSUMER_PHONE = "13912345678"
OWNER_PHONE = "13800138001"
BUSINESS_NAME = "北京优品电器有限公司"


def png_bytes() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 40))
    for x in range(64):
        img.putpixel((x, 24), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def sms_sign_in(page, phone: str, expect_path: str) -> None:
    page.goto("/login")
    page.fill("#sms-phone", phone)
    page.check("#sms-agree")
    page.click("#sms-send")
    page.wait_for_selector("#login-msg.ok")
    code = ConsoleSms.last_code(phone)
    assert code and re.fullmatch(r"\d{6}", code)
    page.fill("#sms-code", code)
    page.click("#sms-login")
    page.wait_for_url(f"**{expect_path}")


def status_of(page) -> str:
    return page.locator("#complaint-status").inner_text().strip()


def wait_status(page, text: str) -> None:
    page.wait_for_function(
        "t => { const el = document.querySelector('#complaint-status'); return el && el.textContent.trim() === t; }",
        arg=text)


def public_index_text(page, business_id: int) -> str:
    page.goto(f"/businesses/{business_id}")
    page.wait_for_selector("#biz-index p, #biz-index #index-score")
    return page.locator("#biz-index").inner_text().strip()


def test_complaint_journey_across_roles(auth, new_context, browser_errors):
    _, business = auth.business(name=BUSINESS_NAME, region="110105", industry="appliance", owner_phone=OWNER_PHONE)
    auth.mediator("1101")

    public = new_context().new_page()
    index_before = public_index_text(public, business["id"])

    # Consumer: SMS sign-in, then file with the classifier's help, a business picked from search, and a photo.
    consumer = new_context(viewport={"width": 390, "height": 844}).new_page()  # a phone-sized screen
    sms_sign_in(consumer, CONSUMER_PHONE, "/my/complaints")
    consumer.goto("/complaints/new")
    consumer.wait_for_selector("#complaint-form[data-ready='1']")
    consumer.fill("#c-description", "在该店购买的电冰箱使用一周后不制冷，要求退货退款，商家客服一直推脱不处理。")
    consumer.fill("#c-title", "冰箱一周不制冷，要求退货退款")
    consumer.click("#classify")
    consumer.wait_for_function("() => document.querySelector('#classify-msg').textContent.includes('建议')")
    consumer.fill("#c-business", "优品电器")
    consumer.locator("#business-candidates .item", has_text=BUSINESS_NAME).click()
    consumer.wait_for_function("() => document.querySelector('#c-district').value === '110105'")
    assert consumer.input_value("#c-business-id") == str(business["id"])
    consumer.select_option("#c-category", "quality")
    consumer.fill("#c-amount", "2999.00")
    consumer.check("#c-demands input[value=refund]")
    consumer.check("#c-consent")
    consumer.set_input_files("#c-files", files=[{"name": "fridge.png", "mimeType": "image/png", "buffer": png_bytes()}])
    consumer.wait_for_selector("#uploads li:has-text('已上传')")
    consumer.click("#c-submit")
    consumer.wait_for_url(re.compile(r".*/my/complaints/\d+\?new=1$"))
    complaint_id = int(re.search(r"/my/complaints/(\d+)", consumer.url).group(1))
    wait_status(consumer, "待受理")
    photo = consumer.locator("#attachments img")
    photo.wait_for()
    consumer.wait_for_function("() => { const i = document.querySelector('#attachments img'); return i.complete && i.naturalWidth === 64; }")

    # Mediator: password sign-in, the region's review queue, accept.
    mediator = new_context().new_page()
    mediator.goto("/login")
    mediator.click("#tab-password")
    mediator.fill("#pw-username", "mediator1101")
    mediator.check("#pw-agree")
    mediator.fill("#pw-password", "secret-pass-123")
    mediator.click("#pw-login")
    mediator.wait_for_url("**/console/mediator")
    mediator.locator("#queue .item", has_text="冰箱一周不制冷").click()
    mediator.click("#action-accept button[type=submit]")
    wait_status(mediator, "待商家处理")  # accepted, then forwarded to the business on the platform

    # Business: the owner signs in by SMS, finds it in the queue with its countdown, answers.
    biz = new_context().new_page()
    sms_sign_in(biz, OWNER_PHONE, "/console/business")
    item = biz.locator("#queue .item", has_text="冰箱一周不制冷")
    assert "剩余" in item.locator(".countdown").inner_text()
    item.click()
    biz.fill("#action-respond textarea[name=note]", "非常抱歉，同意退货退款 2999 元，明天上门取件。")
    biz.click("#action-respond button[type=submit]")
    wait_status(biz, "商家已答复")
    biz.fill("#message-form textarea", "您好，快递员明天上午联系您。")
    biz.click("#message-form button")
    biz.wait_for_selector("#messages li.mine:has-text('快递员明天上午联系您')")

    # Consumer: sees the proposal and the message, confirms with the amount, rates.
    consumer.goto(f"/my/complaints/{complaint_id}")
    consumer.wait_for_selector("#timeline li:has-text('同意退货退款 2999 元')")
    consumer.wait_for_selector("#messages li:has-text('快递员明天上午联系您')")
    consumer.fill("#action-confirm input[name=amount_recovered]", "2999.00")
    consumer.click("#action-confirm button[type=submit]")
    wait_status(consumer, "已解决")
    consumer.select_option("#action-rate select[name=rating]", "5")
    consumer.click("#action-rate button[type=submit]")
    wait_status(consumer, "已结案")
    assert "★★★★★" in consumer.locator("dl.file").inner_text()
    assert "¥2999.00" in consumer.locator("dl.file").inner_text()

    # Public: the business profile's index reflects the handled complaint.
    index_after = public_index_text(public, business["id"])
    assert index_after != index_before, index_after
    assert "统计期内 1 件投诉" in index_after
    assert re.fullmatch(r"\d+\.\d", public.locator("#index-score").inner_text())

    # Home: the headline figures count it, with the money written the way reports write it.
    public.goto("/")
    public.wait_for_selector("#figures:not([aria-busy]) .figure")  # the placeholders are filled in
    figures = dict(zip(public.locator("#figures .label").all_inner_texts(),
                       public.locator("#figures .num").all_inner_texts(), strict=True))
    assert figures["累计投诉"] == "1" and figures["已解决"] == "1" and figures["解决率"] == "100.0%"
    assert figures["挽回损失"] == "2,999.00 元", figures

    csp = [m for m in browser_errors.messages if "Content Security Policy" in m or "Refused to" in m]
    assert not csp, csp
    assert not browser_errors.page_errors, browser_errors.page_errors
