"""What every page of a public Chinese service must have (issue 22): a favicon, the filing numbers in the
footer when configured, the 12315 hotline and a help page, the mediator's region by name, and a text
size / 长辈版 setting that the device keeps."""
from __future__ import annotations

import re

import pytest

from server.app import create_app


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_footer_shows_filing_numbers_only_when_set(client, settings_overrides):
    html = client.get("/").get_data(as_text=True)
    assert "ICP备" not in html and "公网安备" not in html
    assert 'href="tel:12315"' in html and 'href="/help"' in html
    app = create_app({**settings_overrides, "ICP_NUMBER": "京ICP备12345678号-1",
                      "PUBLIC_SECURITY_RECORD": "京公网安备11010502030405号"})
    html = app.test_client().get("/cases").get_data(as_text=True)
    assert '<a href="https://beian.miit.gov.cn/" rel="noopener" target="_blank">京ICP备12345678号-1</a>' in html
    assert "code=11010502030405" in html and "京公网安备11010502030405号" in html


def test_help_page_gives_the_hotline_and_the_steps(client):
    html = client.get("/help").get_data(as_text=True)
    assert "12315" in html and "保留证据" in html and "60 日" in html


@pytest.mark.parametrize("cookie,expected", [("elder", "elder"), ("large", "large"), ("<script>", "normal"), ("", "normal")])
def test_the_page_renders_at_the_size_the_device_chose(client, cookie, expected):
    if cookie:
        client.set_cookie("smart315_text", cookie)
    html = client.get("/").get_data(as_text=True)
    assert f'<html lang="zh-CN" data-text="{expected}">' in html
    pressed = re.findall(r'data-text-size="(\w+)"[^>]*aria-pressed="true"', html)
    assert pressed == [expected]


def test_mediator_console_names_the_region(app, auth):
    from tests.web.test_pages import web_login

    med = auth.mediator(region="11", username="bj-med")
    c = app.test_client()
    web_login(c, med)
    html = c.get("/console/mediator").get_data(as_text=True)
    assert '辖区：<span id="region-name">北京市</span>' in html


def test_a_signed_in_persons_text_size_follows_them_to_another_device(app, auth):
    """Per user as well as per device (issue 22.1): 长辈版 chosen while signed in is saved on the account,
    so a new device (no cookie) renders it from the first paint once they sign in; signed out, that
    device shows its own choice again; a size outside the list is refused and changes nothing."""
    from tests.web.test_pages import web_login

    consumer = auth.consumer(phone="13900139321")
    r = app.test_client().patch("/api/v1/me", headers=consumer.headers, json={"text_size": "elder"})
    assert r.status_code == 200 and r.get_json()["text_size"] == "elder"
    bad = app.test_client().patch("/api/v1/me", headers=consumer.headers, json={"text_size": "huge"})
    assert bad.status_code == 422 and "application/problem+json" in bad.headers["Content-Type"]

    other_device = app.test_client()
    assert 'data-text="normal"' in other_device.get("/").get_data(as_text=True)
    web_login(other_device, consumer)
    assert '<html lang="zh-CN" data-text="elder">' in other_device.get("/help").get_data(as_text=True)
    assert app.test_client().get("/api/v1/me", headers=consumer.headers).get_json()["text_size"] == "elder"
