"""The mini-programs' test data is what the real server answers (issue 19, last paragraph).

This test builds a small world through the real API (a verified business, a consumer with a settled and
an answered complaint, messages, a published case, notifications), asks every endpoint the mini-programs
read, and compares each answer with the recorded JSON in miniapp-shared/test-fixtures/. The jest tests
and the page screenshots of both apps render from those files, so a field the server renames or drops
fails here (the fixture still has it) before the apps silently show an empty page.

Re-record after a deliberate API change:
    SMART315_RECORD_MINIAPP_FIXTURES=1 .venv/bin/pytest -q -p no:cacheprovider tests/api/test_miniapp_fixtures.py
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from tests.factories import act, file_complaint, png_bytes, settle

FIXTURES = Path(__file__).resolve().parents[2] / "miniapp-shared" / "test-fixtures"
RECORD = os.environ.get("SMART315_RECORD_MINIAPP_FIXTURES") == "1"


def _world(client, auth) -> dict[str, Any]:
    owner, biz = auth.business()
    consumer = auth.consumer("张三", phone="13800138000")
    mediator = auth.mediator("1101")
    # Enough settled complaints for the business to be ranked, one of them published as a public case.
    settled = [settle(client, consumer, mediator, owner, biz["id"], rating=r) for r in (5, 4, 5, 5, 3)]
    r = client.post(f"/api/v1/complaints/{settled[0]['id']}/publication", headers=mediator.headers,
                    json={"approve": True})
    assert r.status_code == 200, r.get_json()
    # One answered complaint: the consumer now has 7 days to confirm or dispute the business's proposal.
    up = client.post("/api/v1/uploads", headers=consumer.headers,
                     data={"file": (io.BytesIO(png_bytes(8)), "a.png")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    answered = file_complaint(client, consumer, biz["id"], title="空调安装后漏水，商家拖延维修",
                              description="11月3日安装的空调第二天开始漏水。\n多次联系客服只说会安排，至今无人上门。",
                              attachment_ids=[up.get_json()["id"]])
    act(client, mediator, answered["id"], "accept")
    act(client, owner, answered["id"], "respond", note="已安排师傅11月20日上门维修，并补偿100元。")
    for who, text in ((consumer, "师傅能否提前到周末？"), (owner, "可以，周六上午联系您。")):
        m = client.post(f"/api/v1/complaints/{answered['id']}/messages", headers=who.headers, json={"body": text})
        assert m.status_code == 201, m.get_json()
    return {"consumer": consumer, "business": biz, "answered": answered}


def _requests(w) -> dict[str, tuple[str, dict | None]]:
    """fixture name -> (path under /api/v1, headers); every GET the mini-programs make."""
    h = w["consumer"].headers
    bid, cid = w["business"]["id"], w["answered"]["id"]
    return {
        "public_stats": ("/public/stats", None),
        "public_rankings": ("/public/rankings?per_page=5", None),
        "industries": ("/industries", None),
        "categories": ("/categories", None),
        "regions": ("/regions", None),
        "businesses_search": ("/businesses?q=" + w["business"]["name"][:4], None),
        "business": (f"/businesses/{bid}", None),
        "public_complaints": (f"/public/complaints?business_id={bid}", None),
        "complaints": ("/complaints?page=1&per_page=20", h),
        "complaint": (f"/complaints/{cid}", h),
        "complaint_messages": (f"/complaints/{cid}/messages", h),
        "notifications": ("/notifications?per_page=50", h),
        "me": ("/me", h),
        "client_config": ("/client-config", None),
        "vocabulary": ("/vocabulary", None),
    }


def shape(value: Any, prefix: str = "$") -> dict[str, str]:
    """JSON path -> JSON type, list items merged ("$.items[].title"); what a renamed field changes."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        out[prefix] = "object"
        for k, v in value.items():
            out.update(shape(v, f"{prefix}.{k}"))
    elif isinstance(value, list):
        out[prefix] = "array"
        for v in value:
            for p, t in shape(v, prefix + "[]").items():
                if out.get(p) in (None, "null"):
                    out[p] = t
    else:
        out[prefix] = {bool: "boolean", int: "number", float: "number", str: "string",
                       type(None): "null"}[type(value)]
    return out


def _differences(recorded: Any, live: Any) -> list[str]:
    """Paths of the recording that the server no longer answers, or answers with another JSON type."""
    old, new = shape(recorded), shape(live)
    diffs = []
    for path, kind in sorted(old.items()):
        if path not in new:
            diffs.append(f"{path}: recorded, no longer answered")
        elif kind != new[path] and "null" not in (kind, new[path]):
            diffs.append(f"{path}: recorded as {kind}, now {new[path]}")
    return diffs


def test_recorded_fixtures_match_what_the_server_answers(client, auth):
    w = _world(client, auth)
    problems: list[str] = []
    for name, (path, headers) in _requests(w).items():
        r = client.get("/api/v1" + path, headers=headers or {})
        assert r.status_code == 200, (path, r.get_json())
        body = r.get_json()
        file = FIXTURES / f"{name}.json"
        if RECORD:
            FIXTURES.mkdir(parents=True, exist_ok=True)
            # path: what the jest harness routes the apps' wx.request / my.request to.
            file.write_text(json.dumps({"path": path.split("?")[0], "query": path.partition("?")[2],
                                        "signed_in": headers is not None, "body": body},
                                       ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            continue
        assert file.exists(), f"{file} missing: record with SMART315_RECORD_MINIAPP_FIXTURES=1"
        recorded = json.loads(file.read_text(encoding="utf-8"))["body"]
        problems += [f"{name}: {d}" for d in _differences(recorded, body)]
    assert not problems, "the server's answers no longer match the mini-programs' fixtures " \
                         "(re-record if deliberate):\n" + "\n".join(problems)


def test_a_renamed_field_is_caught():
    recorded = {"items": [{"id": 1, "status": "forwarded", "deadline_at": None}], "total": 1}
    assert _differences(recorded, {"items": [{"id": 1, "status": "forwarded", "deadline_at": "x"}], "total": 1}) == []
    renamed = {"items": [{"id": 1, "state": "forwarded", "deadline_at": None}], "total": 1}
    assert _differences(recorded, renamed) == ["$.items[].status: recorded, no longer answered"]
    retyped = {"items": [{"id": "1", "status": "forwarded", "deadline_at": None}], "total": 1}
    assert _differences(recorded, retyped) == ["$.items[].id: recorded as number, now string"]
    # An added field is not a difference: the apps do not read it yet.
    assert _differences(recorded, {**recorded, "page": 1}) == []
