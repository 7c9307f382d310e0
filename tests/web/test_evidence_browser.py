"""Evidence after filing (issue 18.3) in headless Chromium: the business attaches a photo to a message on
its console, the consumer sees its thumbnail in the thread of their complaint and opens the full picture."""
from __future__ import annotations

import pytest

from tests.factories import act, complaint_body, png_bytes
from tests.web.test_journey_browser import sms_sign_in


@pytest.mark.browser
def test_the_business_sends_a_photo_and_the_consumer_sees_it(auth, client, new_context, browser_errors, tmp_path):
    owner, business = auth.business(name="北京好运来家电有限公司", region="110105", owner_phone="13800138222")
    consumer = auth.consumer("陈大文", phone="13900139222")
    mediator = auth.mediator("11", username="evidence11")
    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(business["id"], title="冰箱不制冷，要求退货")).get_json()
    assert act(client, mediator, c["id"], "accept")["status"] == "forwarded"
    picture = tmp_path / "shipping.png"
    picture.write_bytes(png_bytes(64, (200, 120, 10)))

    biz = new_context().new_page()
    sms_sign_in(biz, "13800138222", "/console/business")
    biz.locator("#queue .item", has_text="冰箱不制冷").click()
    biz.wait_for_selector("#message-form")
    biz.get_by_label("留言内容").fill("这是发货前的照片，请您核对")
    biz.get_by_label("添加照片或文件（最多 9 个）").set_input_files(str(picture))
    biz.click("#message-form button[type=submit]")
    biz.wait_for_selector("#messages li.mine .attachments img")

    me = new_context().new_page()
    sms_sign_in(me, "13900139222", "/my/complaints")
    me.goto(f"/my/complaints/{c['id']}")
    thumb = me.wait_for_selector("#messages .attachments img")
    assert "这是发货前的照片" in me.locator("#messages li").first.inner_text()
    # The thumbnail really loaded: the consumer may read the business's upload.
    me.wait_for_function("() => document.querySelector('#messages .attachments img').naturalWidth > 0")
    assert thumb.get_attribute("alt") == "留言图片1"
    thumb.click()
    dialog = me.get_by_role("dialog", name="留言图片1")
    dialog.wait_for()
    me.wait_for_function("() => document.querySelector('#image-dialog img.full').naturalWidth === 64")
    dialog.get_by_role("button", name="关闭").click()
    me.wait_for_selector("#image-dialog", state="detached")  # closed and removed (on the close event)

    assert not browser_errors.page_errors, browser_errors.page_errors
