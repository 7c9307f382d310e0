"""Issue 18 item 2: the business's public reply beside a published case, moderated like all user text.

Through the real API: X's staff (or X's API key) reply; the reply shows beside the published complaint on
GET /public/complaints as business_reply {text, replied_at}; a second reply replaces the first; each is a
timeline event; risky text and over-long text are refused and change nothing; nobody else may reply.
"""
from __future__ import annotations

from tests.factories import act, file_complaint

RISKY = "另有网络赌博网站，日赚千元"


def _public(client, business_id):
    r = client.get("/api/v1/public/complaints", query_string={"business_id": business_id})
    assert r.status_code == 200
    return r.get_json()["items"]


def _reply(client, who, cid, text, expect=200, headers=None):
    r = client.post(f"/api/v1/complaints/{cid}/public-reply", headers=headers or who.headers, json={"text": text})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _published(client, auth):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer("陈大文"), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], public_consent=True)
    act(client, mediator, c["id"], "accept")
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()
    return owner, biz, consumer, mediator, c


def test_the_reply_shows_beside_the_published_case_and_a_new_one_replaces_it(client, auth):
    owner, biz, consumer, mediator, c = _published(client, auth)
    [item] = _public(client, biz["id"])
    assert item["business_reply"] is None

    first = _reply(client, owner, c["id"], "您好，已安排换货，请留意物流信息。")
    assert first["business_reply"]["text"] == "您好，已安排换货，请留意物流信息。" and first["business_reply"]["replied_at"]
    [item] = _public(client, biz["id"])  # at once, not after the cache's freshness window
    assert item["business_reply"] == first["business_reply"]

    second = _reply(client, owner, c["id"], "换货已完成，感谢您的耐心。")
    [item] = _public(client, biz["id"])
    assert item["business_reply"]["text"] == "换货已完成，感谢您的耐心。" and item["business_reply"] == second["business_reply"]

    timeline = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()["timeline"]
    replies = [e for e in timeline if e["action"] == "public_reply"]
    assert [(e["note"], e["data"]) for e in replies] == [("您好，已安排换货，请留意物流信息。", {"replaced": False}),
                                                          ("换货已完成，感谢您的耐心。", {"replaced": True})]
    assert {e["actor_role"] for e in replies} == {"business_staff"}


def test_the_business_api_key_may_reply(client, auth):
    owner, biz, consumer, mediator, c = _published(client, auth)
    key = client.post(f"/api/v1/businesses/{biz['id']}/api-keys", headers=owner.headers, json={"name": "erp"})
    assert key.status_code == 201, key.get_json()
    _reply(client, None, c["id"], "系统回复：已退款。", headers={"X-Api-Key": key.get_json()["key"]})
    assert _public(client, biz["id"])[0]["business_reply"]["text"] == "系统回复：已退款。"


def test_refused_replies_change_nothing(client, auth):
    owner, biz, consumer, mediator, c = _published(client, auth)
    _reply(client, owner, c["id"], "已联系消费者处理。")
    risky = client.post(f"/api/v1/complaints/{c['id']}/public-reply", headers=owner.headers,
                        json={"text": f"欢迎访问：{RISKY}"})
    assert risky.status_code == 422 and risky.get_json()["code"] == "content_rejected"
    long = client.post(f"/api/v1/complaints/{c['id']}/public-reply", headers=owner.headers, json={"text": "长" * 1001})
    assert long.status_code == 422 and long.get_json()["errors"][0]["field"] == "text"
    for who, status in ((consumer, 403), (mediator, 403), (auth.business("别家商贸有限公司")[0], 404)):
        r = client.post(f"/api/v1/complaints/{c['id']}/public-reply", headers=who.headers, json={"text": "冒充商家回复"})
        assert r.status_code == status and r.get_json()["detail"]
    assert _public(client, biz["id"])[0]["business_reply"]["text"] == "已联系消费者处理。"
    timeline = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()["timeline"]
    assert [e["note"] for e in timeline if e["action"] == "public_reply"] == ["已联系消费者处理。"]
