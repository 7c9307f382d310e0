"""Template fields are configuration (API.md "Mini-programs in the field"): the keywords a deployment
configured reach WeChat with values cut to the keyword type's limits, never leaving a bracket open; a
bad entry stops the app from starting; OA template messages follow the 2023 rules."""
from __future__ import annotations

import json
import re

import pytest

from server.core.notifications.templates import OPENERS, cut, cut_text
from server.tasks.worker import run_once
from tests.core.notifications.helpers import (
    CONSUMER_OPENID,
    OWNER_OA_OPENID,
    bind_oa,
    give_identities,
    grant,
    rows,
)
from tests.factories import complaint_body
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim

# 11 characters, then a bracket the 20-character cut falls inside.
LONG_TITLE = "羽绒服质量问题退款纠纷「新年大促销活动中购买的那件」"
FORWARDED = {"id": "tpl-forwarded-cfg", "fields": {
    "character_string1": "public_no", "thing2": "title", "phrase3": "status", "time4": "event_time",
    "thing5": "business_name"}}
# The release guide's example (docs/miniprogram-release.md §5).
RESPONDED = {"id": "tpl-responded-cfg", "fields": {
    "character_string1": "public_no", "thing2": "business_name", "thing3": "note", "time4": "event_time"}}
OA_FORWARDED = {"id": "tpl-oa-forwarded-cfg", "fields": {
    "character_string1": "public_no", "thing2": "title", "thing3": "business_name", "time4": "event_time"}}


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides,
            "WECHAT_SUBSCRIBE_TEMPLATES": json.dumps({"complaint.forwarded": FORWARDED,
                                                      "complaint.responded": RESPONDED,
                                                      "complaint.resolved": "wx-sub-resolved-dev"}),
            "WECHAT_OA_TEMPLATES": json.dumps({"complaint.forwarded": OA_FORWARDED,
                                               "complaint.mediating": "wx-oa-mediating-dev"})}


def _open_bracket(text: str) -> bool:
    depth = []
    for ch in text:
        if ch in OPENERS:
            depth.append(OPENERS[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
    return bool(depth)


def _file_forward(client, consumer, mediator, business_id, title=LONG_TITLE):
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(business_id, title=title))
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=mediator.headers, json={"action": "accept"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _worker(settings, sim):
    return {**settings, "WECHAT_API_BASE_URL": sim.base_url, "WECHAT_TIMEOUT_SECONDS": 2}


def test_configured_fields_reach_wechat_cut_to_their_limits(client, auth, db, settings, wechat_sim):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    give_identities(db, consumer.user_id, alipay=None)
    bind_oa(db, owner.user_id)
    # WeChat knows these templates' keywords: other keys would be answered 47003.
    wechat_sim.post("/_sim/templates", {FORWARDED["id"]: list(FORWARDED["fields"]),
                                        OA_FORWARDED["id"]: list(OA_FORWARDED["fields"])})
    grant(client, consumer, "wechat", FORWARDED["id"])
    complaint = _file_forward(client, consumer, mediator, biz["id"])
    counts = run_once(db, _worker(settings, wechat_sim))
    assert counts.get("sent") == 2, [(r.channel, r.send_state, r.last_error) for r in rows(db) if r.channel != "inbox"]

    [sub] = [m for m in wechat_sim.messages() if m["kind"] == "subscribe"]
    assert sub["touser"] == CONSUMER_OPENID and sub["template_id"] == FORWARDED["id"]
    data = {k: v["value"] for k, v in sub["data"].items()}
    assert set(data) == set(FORWARDED["fields"])
    assert data["character_string1"] == complaint["public_no"]
    # The title is cut at 20 characters before its open bracket, with an ellipsis where it was cut.
    assert data["thing2"] == "羽绒服质量问题退款纠纷…"
    assert len(data["thing2"]) <= 20 and not _open_bracket(data["thing2"])
    assert data["phrase3"] == "待商家处理"  # the status label, five characters
    assert re.fullmatch(r"\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}", data["time4"])
    assert len(data["thing5"]) <= 20 and data["thing5"].startswith("北京京东世纪贸易")

    [oa] = [m for m in wechat_sim.messages() if m["kind"] == "template"]
    assert oa["touser"] == OWNER_OA_OPENID and oa["template_id"] == OA_FORWARDED["id"]
    assert set(oa["data"]) == set(OA_FORWARDED["fields"])


def test_a_plain_template_id_keeps_the_first_release_keywords_without_an_open_bracket(client, auth, db, settings,
                                                                                      wechat_sim):
    """The default mapping's summary (public number + 「title」) used to be cut to TS2026...「新."""
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    give_identities(db, consumer.user_id, alipay=None)
    bind_oa(db, owner.user_id)
    grant(client, consumer, "wechat", "wx-sub-resolved-dev")
    complaint = _file_forward(client, consumer, mediator, biz["id"], title="新年大促销买的手机屏幕坏了要求退货")
    cid = complaint["id"]
    for who, action, extra in ((owner, "respond", {"note": "同意退货"}), (consumer, "confirm", {})):
        r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=who.headers, json={"action": action, **extra})
        assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "resolved"
    wechat_sim.post("/_sim/templates", {"wx-sub-resolved-dev": ["thing1", "character_string2", "phrase3", "time4",
                                                                "thing5"]})
    run_once(db, _worker(settings, wechat_sim))
    [sub] = [m for m in wechat_sim.messages() if m["kind"] == "subscribe"]
    data = {k: v["value"] for k, v in sub["data"].items()}
    assert data["thing1"] == "您的投诉已解决"
    assert data["thing5"] == complaint["public_no"] + "…"  # not TS…「新
    assert all(not _open_bracket(v) for v in data.values())


def test_the_business_answer_reaches_the_consumer_as_the_note(client, auth, db, settings, wechat_sim):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    give_identities(db, consumer.user_id, alipay=None)
    wechat_sim.post("/_sim/templates", {RESPONDED["id"]: list(RESPONDED["fields"])})
    grant(client, consumer, "wechat", RESPONDED["id"])
    cid = _file_forward(client, consumer, mediator, biz["id"])["id"]
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": "同意全额退款（已在【订单】页面操作），三个工作日内到账"})
    assert r.status_code == 200, r.get_json()
    run_once(db, _worker(settings, wechat_sim))
    [sub] = [m for m in wechat_sim.messages() if m["kind"] == "subscribe"]
    data = {k: v["value"] for k, v in sub["data"].items()}
    assert data["thing3"] == "同意全额退款（已在【订单】页面操作）…"
    assert data["thing2"].startswith("北京京东世纪贸易") and len(data["thing2"]) <= 20
    # The payload the inbox shows as `data` carries no copy of the answer.
    assert all("退款" not in str(r.payload) for r in rows(db, event_type="complaint.responded"))


def test_keywords_the_template_does_not_have_are_refused_by_wechat_47003(client, auth, db, settings, wechat_sim):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    give_identities(db, consumer.user_id, alipay=None)
    wechat_sim.post("/_sim/templates", {FORWARDED["id"]: ["thing1", "thing2", "time3"]})
    grant(client, consumer, "wechat", FORWARDED["id"])
    _file_forward(client, consumer, mediator, biz["id"])
    run_once(db, _worker(settings, wechat_sim))
    [row] = rows(db, channel="wechat_subscribe")
    assert row.send_state == "failed" and "47003" in row.last_error
    assert [m for m in wechat_sim.messages() if m["kind"] == "subscribe"] == []


def test_oa_messages_have_no_first_or_remark_and_twenty_characters_a_field(client, auth, db, settings, wechat_sim):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    bind_oa(db, owner.user_id)
    cid = _file_forward(client, consumer, mediator, biz["id"])["id"]
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": "这是一段很长的商家答复，说明了处理的全部经过和理由，超过二十个字"})
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=consumer.headers,
                    json={"action": "dispute", "note": "不同意"})
    assert r.status_code == 200 and r.get_json()["status"] == "mediating", r.get_json()
    run_once(db, _worker(settings, wechat_sim))
    oa = [m for m in wechat_sim.messages() if m["kind"] == "template"]
    assert {m["template_id"] for m in oa} == {OA_FORWARDED["id"], "wx-oa-mediating-dev"}
    for message in oa:
        assert "first" not in message["data"] and "remark" not in message["data"]
        assert all(len(v["value"]) <= 20 for v in message["data"].values()), message["data"]


@pytest.mark.parametrize("value, named", [
    ({"complaint.forwarded": {"id": "t1", "fields": {"thing1": "titel"}}}, "'complaint.forwarded'"),
    ({"complaint.forwarded": {"id": "t1", "fields": {"wibble1": "title"}}}, "'wibble1'"),
    ({"complaint.forwarded": {"fields": {"thing1": "title"}}}, "\"id\""),
    ({"complaint.forwardd": "t1"}, "'complaint.forwardd'"),
    ({"complaint.forwarded": ["t1"]}, "'complaint.forwarded'"),
])
def test_a_bad_template_setting_refuses_to_start_naming_the_entry(settings_overrides, value, named):
    from server.app import create_app

    with pytest.raises(ValueError) as exc:
        create_app({**settings_overrides, "WECHAT_SUBSCRIBE_TEMPLATES": json.dumps(value)})
    assert "WECHAT_SUBSCRIBE_TEMPLATES" in str(exc.value) and named in str(exc.value)


def test_an_oa_template_with_first_or_remark_refuses_to_start(settings_overrides):
    from server.app import create_app

    bad = {"complaint.forwarded": {"id": "t1", "fields": {"first": "title", "thing2": "public_no"}}}
    with pytest.raises(ValueError, match="WECHAT_OA_TEMPLATES entry 'complaint.forwarded'.*'first'"):
        create_app({**settings_overrides, "WECHAT_OA_TEMPLATES": json.dumps(bad)})


def test_cuts_by_keyword_type():
    assert cut("thing7", "TS2026120200000403「新年大促销活动退款") == "TS2026120200000403…"
    assert cut("thing1", "「新年大促销活动中购买的羽绒服质量问题退款纠纷」") == "新年大促销活动中购买的羽绒服质量问题…"
    assert cut("thing1", "短标题「完整」") == "短标题「完整」"
    assert len(cut("character_string2", "TS" + "9" * 40)) == 32
    assert cut("character_string2", "编号TS2026") == "TS2026"
    assert cut("phrase3", "商家已答复，待确认") == "商家已答复"
    assert cut("time4", "2026-12-04T10:30:00+00:00") == "2026年12月04日 18:30"
    assert cut("amount1", "3999.00") == "3999.00元"
    assert cut_text("😀" * 25, 20) == "😀" * 19 + "…"  # whole characters
    assert len(cut("thing2", "x" * 30, oa=True)) <= 20
