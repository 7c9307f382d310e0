"""One vocabulary: every code the platform shows has one Chinese label, the web and both mini-apps use
that one table, and the copies cannot drift (issue 16.7)."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from server.api.schemas import DEMANDS
from server.core.appeals import DECIDE_ACTION, FILE_ACTION
from server.core.complaints.states import ALL_STATES, SYSTEM_TRANSITIONS, USER_TRANSITIONS
from server.core.notifications.outbox import EVENT_TYPES, TITLES
from server.core.scoring.formula import DEFAULT_WEIGHTS, GRADES, describe_method
from server.core.vocabulary import as_javascript, vocabulary

ROOT = Path(__file__).resolve().parents[2]
V = vocabulary()


def test_every_code_has_a_label():
    assert set(ALL_STATES) == set(V["statuses"])
    actions = set(USER_TRANSITIONS) | set(SYSTEM_TRANSITIONS) | {FILE_ACTION, DECIDE_ACTION, "submit", "moderation"}
    assert actions <= set(V["actions"]), actions - set(V["actions"])
    assert set(EVENT_TYPES) | set(TITLES) <= set(V["events"])
    assert set(DEMANDS) == set(V["demands"])
    assert set(DEFAULT_WEIGHTS) == set(V["components"])
    assert {g for g, _ in GRADES} == set(V["grades"])
    assert {"consumer", "business_staff", "mediator", "admin", "system"} <= set(V["roles"])
    for kind, table in V.items():
        for code, text in table.items():
            assert text and re.search(r"[\u4e00-\u9fff]", text), (kind, code, text)


def test_the_mini_apps_ship_the_generated_copy():
    for app in ("miniapp-shared", "miniprogram", "alipay_miniapp"):
        shipped = (ROOT / app / "utils" / "vocabulary.js").read_text(encoding="utf-8")
        assert shipped == as_javascript(), f"{app}/utils/vocabulary.js is stale: run `smart315 vocabulary --js --write`"


def test_no_client_keeps_a_label_table_of_its_own():
    """The drift of the first release: 已结束 in the apps, 已结案 on the web, three sets of component names."""
    scripts = list((ROOT / "server/web/static/js").glob("*.js")) + [
        ROOT / app / "utils" / name for app in ("miniapp-shared", "miniprogram", "alipay_miniapp") for name in ("core.js", "pages.js")]
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        for label in ("已结案", "已结束", "待商家处理", "调解成功率", "响应率", "赔礼道歉", "business_staff: '商家'", "closed: '"):
            assert label not in text, f"{path.relative_to(ROOT)} spells out the label {label!r}"


def test_the_index_method_names_components_as_the_vocabulary_does():
    method = describe_method()
    names = {c["name"]: c["label"] for c in method["components"]}
    assert names == V["components"]


def test_api_and_pages_serve_the_same_table(client):
    res = client.get("/api/v1/vocabulary")
    assert res.status_code == 200
    assert res.get_json() == V
    page = client.get("/cases").get_data(as_text=True)
    embedded = re.search(r'<meta name="smart315-vocabulary" content="([^"]*)">', page)
    table = json.loads(html.unescape(embedded.group(1)))
    assert table == V
    assert list(table["components"]) == list(V["components"])  # the order the charts show


def test_validation_messages_read_as_chinese_for_people(client, auth):
    """No Python repr and no raw codes in what a person reads (issue 22.4)."""
    who = auth.consumer()
    res = client.post("/api/v1/complaints", headers=who.headers, json={
        "business_name": "某商家", "industry_code": "online_shopping", "region_code": "110105",
        "category": "quality", "title": "冰箱外观凹痕", "description": "收到的冰箱门上有凹痕，要求换货。",
        "demands": ["cash"]})
    assert res.status_code == 422
    problem = res.get_json()
    assert problem["errors"] == [{"field": "demands.0", "message": "只能是以下之一：退款、退货、换货、维修、赔偿、赔礼道歉、其他"}]
    assert problem["detail"].startswith("诉求：只能是以下之一：退款")
    assert "'" not in problem["detail"]
