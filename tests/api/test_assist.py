"""The assistant over HTTP: cited answers offline, streaming, classification with duplicate warnings."""
from __future__ import annotations

import json

from tests.factories import complaint_body


def test_consult_answers_with_citations_offline(client):
    r = client.post("/api/v1/consult", json={"question": "网上买的衣服不喜欢，七天内可以退货吗？"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["provider"] == "local"
    assert any(c["article"] == "第二十五条" and "消费者权益保护法" in c["law"] for c in body["citations"])
    assert "第二十五条" in body["answer"]


def test_consult_stream_sends_citations_then_text_then_provider(client):
    r = client.post("/api/v1/consult", json={"question": "商家欺诈怎么赔偿？", "stream": True})
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    text = r.get_data(as_text=True)
    blocks = [b for b in text.split("\n\n") if b]
    assert blocks[0].startswith("event: citations")
    assert json.loads(blocks[0].split("data: ", 1)[1])
    deltas = [json.loads(b.split("data: ", 1)[1])["delta"] for b in blocks[1:-1]]
    assert "".join(deltas).strip()
    assert blocks[-1].startswith("event: done") and '"local"' in blocks[-1]


def test_consult_rejects_empty_and_oversized(client):
    for q in ("", "问" * 1001):
        r = client.post("/api/v1/consult", json={"question": q})
        assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "question"
    assert client.post("/api/v1/consult", data="not json", content_type="text/plain").status_code == 400


def test_classify_suggests_business_and_warns_of_duplicate(client, auth):
    owner, biz = auth.business(name="北京京东世纪贸易有限公司")
    consumer = auth.consumer()
    text = "在京东买的洗衣机用了三天就漏水，客服一直推脱不给换货"
    r = client.post("/api/v1/assist/classify", json={"text": text}, headers=consumer.headers)
    body = r.get_json()
    assert r.status_code == 200
    assert body["industry_code"] in ("appliance", "online_shopping")
    assert body["business_candidates"][0]["id"] == biz["id"]
    assert body["duplicate_of"] == []
    client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"]))
    body = client.post("/api/v1/assist/classify", json={"text": text}, headers=consumer.headers).get_json()
    assert len(body["duplicate_of"]) == 1 and "重复" in body["duplicate_of"][0]["message"]


def test_consult_answer_carries_calculation_cases_and_labels(client):
    r = client.post("/api/v1/consult", json={"question": "超市卖的酸奶过期了，我花了15元，能要十倍赔偿吗"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["citations"][0]["law"] == "中华人民共和国食品安全法" and body["citations"][0]["article"] == "第一百四十八条"
    assert body["compensation"]["amount"] == "1,000元" and body["compensation"]["article"] == "第一百四十八条第二款"
    assert body["ai_generated"] is False and body["evidence"] and body["next_steps"] and body["disclaimer"]
    assert any("过保质期" in c["title"] or "保质期" in c["holding"] for c in body["cases"])


def test_consult_uses_amount_claimed_for_the_calculation(client):
    r = client.post("/api/v1/consult", json={"question": "商家卖假货欺诈我，能赔多少", "amount_claimed": "1200"})
    assert r.get_json()["compensation"]["amount"] == "3,600元"
