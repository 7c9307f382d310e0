"""Business integrations with X-Api-Key: scoped to one business, shown once, stored hashed, revocable."""
from __future__ import annotations

from tests.factories import act, file_complaint


def test_api_key_lifecycle_and_scope(client, auth, db):
    owner, biz = auth.business()
    other_owner, other = auth.business(name="上海另一家商贸有限公司", region="310101")
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    r = client.post(f"/api/v1/businesses/{biz['id']}/api-keys", headers=owner.headers, json={"name": "ERP"})
    assert r.status_code == 201
    raw = r.get_json()["key"]
    assert raw.startswith("sk315_")
    listed = client.get(f"/api/v1/businesses/{biz['id']}/api-keys", headers=owner.headers).get_json()
    assert listed[0]["key"] is None and listed[0]["prefix"] == raw[:12]
    assert client.post(f"/api/v1/businesses/{other['id']}/api-keys", headers=owner.headers, json={}).status_code == 403
    assert client.post(f"/api/v1/businesses/{biz['id']}/api-keys", headers=consumer.headers, json={}).status_code == 403

    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    mine = file_complaint(client, consumer, other["id"], region_code="310101")
    key = {"X-Api-Key": raw}
    items = client.get("/api/v1/complaints", headers=key).get_json()["items"]
    assert [i["id"] for i in items] == [c["id"]]
    assert client.get(f"/api/v1/complaints/{mine['id']}", headers=key).status_code == 404
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=key,
                    json={"action": "respond", "note": "已安排退款"})
    assert r.status_code == 200 and r.get_json()["status"] == "responded"
    assert r.get_json()["timeline"][-1]["actor_role"] == "business_staff"
    used = client.get(f"/api/v1/businesses/{biz['id']}/api-keys", headers=owner.headers).get_json()[0]
    assert used["last_used_at"] is not None

    kid = listed[0]["id"]
    assert client.delete(f"/api/v1/businesses/{biz['id']}/api-keys/{kid}", headers=owner.headers).status_code == 204
    assert client.get("/api/v1/complaints", headers=key).status_code == 401


def _key(client, owner, biz_id):
    r = client.post(f"/api/v1/businesses/{biz_id}/api-keys", headers=owner.headers, json={"name": "ERP"})
    assert r.status_code == 201, r.get_json()
    return {"X-Api-Key": r.get_json()["key"]}


def test_an_api_key_lists_exactly_what_the_owner_lists(client, auth):
    """Issue 15.1: the key listed complaints under review, rejected by the mediator, or sent straight to
    mediation because the business was unverified -- full text, phone included -- that its staff never see."""
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    key = _key(client, owner, biz["id"])
    secret_text = "我的手机号13812345678，还没有受理。"
    under_review = file_complaint(client, consumer, biz["id"], title="还在审核中的投诉", description=secret_text)
    rejected = file_complaint(client, consumer, biz["id"], title="被调解员驳回的投诉", order_no="JD2")
    act(client, mediator, rejected["id"], "reject", note="不属于受理范围")
    forwarded = file_complaint(client, consumer, biz["id"], title="已转给商家的投诉", order_no="JD3")
    act(client, mediator, forwarded["id"], "accept")

    by_owner = client.get("/api/v1/complaints", headers=owner.headers).get_json()
    by_key = client.get("/api/v1/complaints", headers=key)
    assert by_key.status_code == 200
    assert [i["id"] for i in by_key.get_json()["items"]] == [i["id"] for i in by_owner["items"]] == [forwarded["id"]]
    assert "13812345678" not in by_key.get_data(as_text=True) and "还在审核中" not in by_key.get_data(as_text=True)
    for hidden in (under_review, rejected):
        assert client.get(f"/api/v1/complaints/{hidden['id']}", headers=key).status_code == 404
        for status in ("submitted", "rejected"):
            listed = client.get("/api/v1/complaints", headers=key, query_string={"status": status}).get_json()
            assert listed["total"] == 0


def test_an_unverified_businesss_key_does_not_list_what_went_straight_to_mediation(client, auth):
    owner, biz = auth.business(verify=False)
    key = _key(client, owner, biz["id"])
    consumer = auth.consumer()
    c = file_complaint(client, consumer, biz["id"], description="商家还没认证，我的电话13812345678。")
    moved = act(client, auth.mediator("1101"), c["id"], "accept")
    assert moved["status"] == "mediating"
    assert client.get("/api/v1/complaints", headers=owner.headers).get_json()["total"] == 0
    r = client.get("/api/v1/complaints", headers=key)
    assert r.status_code == 200 and r.get_json()["total"] == 0 and "13812345678" not in r.get_data(as_text=True)
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=key).status_code == 404


def test_api_keys_are_refused_outside_the_business_integration(client, auth):
    owner, biz = auth.business()
    key = _key(client, owner, biz["id"])
    for method, path, body in (("GET", "/api/v1/me", None), ("GET", "/api/v1/notifications", None),
                               ("GET", f"/api/v1/businesses/{biz['id']}/members", None),
                               ("POST", f"/api/v1/businesses/{biz['id']}/api-keys", {"name": "more"}),
                               ("POST", "/api/v1/businesses", {"name": "x"}),
                               ("POST", "/api/v1/consult", {"question": "七天无理由退货？"})):
        r = client.open(path, method=method, headers=key, json=body)
        assert r.status_code == 403, (path, r.status_code)
        problem = r.get_json()
        assert problem["code"] == "api_key_not_allowed" and "API 密钥" in problem["detail"], problem
    assert r.mimetype == "application/problem+json"
    # Without a key the same consult works: the refusal is about the credential, not the operation.
    assert client.post("/api/v1/consult", json={"question": "七天无理由退货？"}).status_code == 200
