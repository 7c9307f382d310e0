"""Publication needs a person (API.md "Trust"): a consented complaint is public only after a mediator of its
region or an admin approves it; the preview shows the consumer and the mediators exactly the public text."""
from __future__ import annotations

from tests.factories import act, file_complaint

TEXT = "店员王秀英态度恶劣，车牌京AD12345的车挡住门口，我的电话138.1234.5678，订单号DD2026110112345，要求退款。"


def _public(client, business_id) -> list[dict]:
    return client.get(f"/api/v1/public/complaints?business_id={business_id}").get_json()["items"]


def _decide(client, who, cid, approve, note=None, expect=200):
    r = client.post(f"/api/v1/complaints/{cid}/publication", headers=who.headers,
                    json={"approve": approve, **({"note": note} if note else {})})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_a_consented_complaint_is_public_only_after_approval(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer("陈大文")
    mediator = auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], description=TEXT, public_consent=True)
    act(client, mediator, c["id"], "accept")
    shown = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert shown["publication"] == {"state": "pending", "decided_at": None}
    assert _public(client, biz["id"]) == []  # accepted and consented, but nobody approved it yet

    # The mediator's queue lists it.
    queue = client.get("/api/v1/complaints?publication=pending", headers=mediator.headers).get_json()
    assert [i["id"] for i in queue["items"]] == [c["id"]]

    # The preview is exactly what the public will see.
    preview = client.get(f"/api/v1/complaints/{c['id']}/public-preview", headers=consumer.headers).get_json()
    for leak in ("王秀英", "京AD12345", "138.1234.5678", "DD2026110112345"):
        assert leak not in preview["description"]
    assert "态度恶劣" in preview["description"] and preview["publication"]["state"] == "pending"
    assert client.get(f"/api/v1/complaints/{c['id']}/public-preview", headers=mediator.headers).get_json() == preview

    body = _decide(client, mediator, c["id"], True, note="已核对")
    assert body["publication"]["state"] == "approved" and body["publication"]["decided_at"]
    ev = body["timeline"][-1]
    assert (ev["action"], ev["actor_role"], ev["data"], ev["note"]) == (
        "publication_decision", "mediator", {"approve": True}, "已核对")
    items = _public(client, biz["id"])  # at once, not after the cache's freshness window
    assert [(i["title"], i["description"]) for i in items] == [(preview["title"], preview["description"])]
    assert client.get("/api/v1/complaints?publication=pending", headers=mediator.headers).get_json()["items"] == []

    # Refused later: it leaves the public list at once.
    body = _decide(client, mediator, c["id"], False, note="含有第三方信息")
    assert body["publication"]["state"] == "refused"
    assert _public(client, biz["id"]) == []


def test_who_may_decide_and_preview(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    inside, outside = auth.mediator("1101"), auth.mediator("3101")
    admin = auth.admin("pub-admin")
    c = file_complaint(client, consumer, biz["id"], public_consent=True)
    act(client, inside, c["id"], "accept")
    for who, status in ((consumer, 403), (owner, 403), (outside, 404)):
        r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=who.headers, json={"approve": True})
        assert r.status_code == status and r.headers["Content-Type"].startswith("application/problem+json")
        assert r.get_json()["detail"]
    assert client.get(f"/api/v1/complaints/{c['id']}/public-preview", headers=owner.headers).status_code == 403
    assert client.get(f"/api/v1/complaints/{c['id']}/public-preview", headers=outside.headers).status_code == 404
    # Refusals change nothing.
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()["publication"]["state"] \
        == "pending"
    assert _decide(client, admin, c["id"], True)["publication"]["state"] == "approved"
    assert len(_public(client, biz["id"])) == 1


def test_without_consent_there_is_nothing_to_approve(client, auth):
    _, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], public_consent=False)
    act(client, mediator, c["id"], "accept")
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 409 and r.get_json()["detail"]
    assert _public(client, biz["id"]) == []


def test_openapi_documents_the_new_operations(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "post" in doc["paths"]["/complaints/{complaint_id}/publication"]
    assert "get" in doc["paths"]["/complaints/{complaint_id}/public-preview"]
