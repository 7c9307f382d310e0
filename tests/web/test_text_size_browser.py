"""长辈版 in a real browser at phone width: one tap makes text bigger with wide line spacing, the choice
survives a reload and a new page, and nothing pops up."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_elder_mode_is_one_tap_and_stays(new_context, browser_errors):
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto("/")
    base = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize) * "
                         "(parseFloat(getComputedStyle(document.body).zoom) || 1)")
    page.click("button[data-text-size='elder']")
    assert page.evaluate("document.documentElement.dataset.text") == "elder"
    page.goto("/help")
    assert page.evaluate("document.documentElement.dataset.text") == "elder"
    assert page.get_attribute("button[data-text-size='elder']", "aria-pressed") == "true"
    zoom = page.evaluate("parseFloat(getComputedStyle(document.body).zoom)")
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) / "
                         "parseFloat(getComputedStyle(document.body).fontSize)")
    big = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize) * "
                        "(parseFloat(getComputedStyle(document.body).zoom) || 1)")
    assert zoom >= 1.3 and line >= 1.3 and big >= base * 1.3
    page.click("button[data-text-size='normal']")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.text") == "normal"
    assert browser_errors.messages == [] and browser_errors.page_errors == []  # the favicon 404 is gone too
