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
