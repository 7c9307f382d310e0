"""The mediator console shows the professional-claimant signal (疑似职业索赔) as a badge, in the queue and on
the complaint, and lists flagged complaints in a tab of their own; the complaint stays to be decided."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import complaint_body
from tests.web.test_consoles_browser import password_sign_in


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "CLAIMANT_MIN_BUSINESSES": 3, "CLAIMANT_SIMILARITY": 0.8}


def test_mediator_sees_the_claimant_badge(auth, client, new_context, browser_errors):
    businesses = [auth.business(name=f"北京{n}电器有限公司")[1] for n in "甲乙丙"]
    claimant, ordinary = auth.consumer("职业打假人"), auth.consumer("普通消费者")
    ids = [client.post("/api/v1/complaints", headers=claimant.headers,
                       json=complaint_body(b["id"], title=f"手机屏幕有坏点拒绝退货{i}")).get_json()["id"]
           for i, b in enumerate(businesses)]
    plain = client.post("/api/v1/complaints", headers=ordinary.headers,
                        json=complaint_body(businesses[0]["id"], title="空调不制冷要求维修",
                                            description="新装的空调一周后不制冷，师傅上门两次仍未修好。")).get_json()
    auth.mediator("11", username="flag_mediator")

    med = new_context().new_page()
    password_sign_in(med, "flag_mediator", "secret-pass-123", "/console/mediator")
    med.wait_for_selector(f"#queue .item[data-id='{ids[0]}'] .badge[data-flag=claimant]")
    assert med.locator(f"#queue .item[data-id='{plain['id']}'] .badge[data-flag]").count() == 0
    assert med.locator(f"#queue .item[data-id='{ids[2]}'] .badge.flag-claimant").inner_text() == "疑似职业索赔"

    med.locator(f"#queue .item[data-id='{ids[2]}']").click()
    med.wait_for_selector("#flags .badge.flag-claimant")
    assert "不会因此自动驳回" in med.locator("#flags").inner_text()
    assert med.locator("#complaint-status").inner_text() == "待受理"

    med.click(".tab[data-flag=claimant]")
    # The old queue (all four, ids[1] among them) stays until the filtered one arrives: wait for the filter.
    expect(med.locator("#queue .item")).to_have_count(3)
    assert sorted(int(x) for x in med.locator("#queue .item").evaluate_all("els => els.map(e => e.dataset.id)")) == ids
