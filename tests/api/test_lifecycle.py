"""The whole complaint lifecycle through the HTTP API, each path and each role's part in it."""
from __future__ import annotations

from tests.factories import act, file_complaint


def test_happy_path_accept_forward_respond_confirm_rate(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    assert c["status"] == "submitted"
    assert c["public_no"].startswith("TS") and len(c["public_no"]) == 18
    assert c["deadline_at"].endswith("+08:00")
    assert c["allowed_actions"] == ["withdraw"]
    assert c["amount_claimed"] == "3999.00"

    # The business does not see it before the mediator accepts.
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).status_code == 404
    c = act(client, mediator, c["id"], "accept")
    assert c["status"] == "forwarded"
    assert [e["action"] for e in c["timeline"]] == ["submit", "accept", "forward"]
    assert c["timeline"][-1]["actor_role"] == "system"

    seen = client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).get_json()
    assert seen["allowed_actions"] == ["respond"]
    act(client, owner, c["id"], "respond", expect=422)  # a proposal is required
    c = act(client, owner, c["id"], "respond", note="同意退货退款，请寄回商品")
    assert c["status"] == "responded"

    mine = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert set(mine["allowed_actions"]) == {"confirm", "dispute", "withdraw"}
    c = act(client, consumer, c["id"], "confirm", amount_recovered="3999.00")
    assert c["status"] == "resolved" and c["amount_recovered"] == "3999.00"
    c = act(client, consumer, c["id"], "rate", rating=5)
    assert c["status"] == "closed" and c["rating"] == 5
    assert [e["to_status"] for e in c["timeline"]] == [
        "submitted", "accepted", "forwarded", "responded", "resolved", "closed"]


def test_reject_needs_reason_and_ends_it(client, auth):
    consumer = auth.consumer()
    mediator = auth.mediator("11")
    c = file_complaint(client, consumer)
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers, json={"action": "reject"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "note"
    c = act(client, mediator, c["id"], "reject", note="不属于消费纠纷受理范围")
    assert c["status"] == "rejected" and c["allowed_actions"] == []
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=consumer.headers, json={"action": "withdraw"})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"


def test_dispute_goes_to_mediation_then_success(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("110105")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    act(client, owner, c["id"], "respond", note="只能换货")
    c = act(client, consumer, c["id"], "dispute", note="我要退款")
    assert c["status"] == "mediating"
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=mediator.headers).get_json()["allowed_actions"] == [
        "mediate_success", "mediate_fail", "transfer", "pause", "request_materials"]
    act(client, owner, c["id"], "propose", note="同意退款 80%")
    c = act(client, mediator, c["id"], "mediate_success", amount_recovered="3200")
    assert c["status"] == "resolved" and c["amount_recovered"] == "3200.00"


def test_mediation_failure_and_rating(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    act(client, owner, c["id"], "respond", note="不同意")
    act(client, consumer, c["id"], "dispute")
    act(client, mediator, c["id"], "mediate_fail", expect=422)
    c = act(client, mediator, c["id"], "mediate_fail", note="双方分歧较大，建议诉讼")
    assert c["status"] == "unresolved"
    c = act(client, consumer, c["id"], "rate", rating=2)
    assert c["status"] == "closed"


def test_business_not_on_platform_goes_straight_to_mediation(client, auth):
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = file_complaint(client, consumer, business_name="楼下小卖部")
    c = act(client, mediator, c["id"], "accept")
    assert c["status"] == "mediating"
    assert [e["action"] for e in c["timeline"]][-1] == "to_mediation"


def test_unverified_business_is_not_forwarded(client, auth):
    owner, biz = auth.business(verify=False, name="待审核的小店")
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    assert act(client, mediator, c["id"], "accept")["status"] == "mediating"


def test_withdraw_from_every_open_state(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c1 = file_complaint(client, consumer, biz["id"])
    assert act(client, consumer, c1["id"], "withdraw")["status"] == "withdrawn"
    c2 = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c2["id"], "accept")
    assert act(client, consumer, c2["id"], "withdraw")["status"] == "withdrawn"
    c3 = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c3["id"], "accept")
    act(client, owner, c3["id"], "respond", note="方案")
    act(client, consumer, c3["id"], "dispute")
    assert act(client, consumer, c3["id"], "withdraw")["status"] == "withdrawn"


def test_wrong_party_gets_403_and_stranger_404(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    other = auth.consumer(name="李四")
    mediator = auth.mediator("1101")
    outside = auth.mediator("44", username="gd-mediator")
    c = file_complaint(client, consumer, biz["id"])
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=consumer.headers, json={"action": "accept"})
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    for stranger in (other, outside, owner):
        r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=stranger.headers,
                        json={"action": "withdraw"})
        assert r.status_code == 404
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers, json={"action": "fly"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "action"
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers, json={"action": "confirm"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers, json={"action": "mediate_fail", "note": "x"})
    assert r.status_code == 409 and r.get_json()["allowed_actions"] == ["accept", "reject", "transfer", "pause", "request_materials"]


def test_messages_between_parties(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    stranger = auth.consumer(name="王五")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=owner.headers, json={"body": "您好，请提供订单截图"})
    assert r.status_code == 201 and r.get_json()["author_role"] == "business_staff"
    r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers, json={"body": "已上传"})
    assert r.status_code == 201
    msgs = client.get(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers).get_json()
    assert [m["body"] for m in msgs["items"]] == ["您好，请提供订单截图", "已上传"]
    assert [m["mine"] for m in msgs["items"]] == [False, True]
    assert client.get(f"/api/v1/complaints/{c['id']}/messages", headers=stranger.headers).status_code == 404
    r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers, json={"body": ""})
    assert r.status_code == 422
