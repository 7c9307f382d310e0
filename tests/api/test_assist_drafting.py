"""Issue 20 item 5 and the bounds of item 4, through the API: a reply draft for the business's staff and a
case summary for the mediator, grounded in the complaint and the retrieved articles, labelled, never stored
or sent; a daily token budget after which the assistant answers from retrieval and says so."""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import func, select

from server.core.models import ComplaintEvent, Message, Notification
from server.simulators.llm import create_llm_simulator
from server.simulators.runner import start_in_thread
from tests.factories import act, file_complaint

KEY = "draft-test-key"
DESCRIPTION = "在店里买的蓝牙耳机收到后左耳没有声音，联系客服要求退货退款，客服一直推脱不处理。我的电话13812345678。"


@pytest.fixture(scope="module")
def llm_sim():
    base_url, shutdown = start_in_thread(create_llm_simulator(api_key=KEY, slow_seconds=5))
    yield base_url
    shutdown()


@pytest.fixture
def model(settings, llm_sim):
    requests.post(f"{llm_sim}/_sim/fault", json={"mode": "ok"}, timeout=5)
    settings.update({"LLM_BASE_URL": f"{llm_sim}/v1", "LLM_API_KEY": KEY, "LLM_MODEL": "deepseek-flash",
                     "LLM_TIMEOUT_SECONDS": 2.0})
    yield llm_sim
    requests.post(f"{llm_sim}/_sim/fault", json={"mode": "ok"}, timeout=5)


def _forwarded(client, auth):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer("陈大文"), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], title="蓝牙耳机左耳无声", description=DESCRIPTION,
                       demands=["return", "refund"])
    act(client, mediator, c["id"], "accept")
    return owner, biz, consumer, mediator, c


def _counts(app, cid):
    db = app.extensions["smart315.db"]
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.complaint_id == cid)),
                s.scalar(select(func.count()).select_from(Message).where(Message.complaint_id == cid)),
                s.scalar(select(func.count()).select_from(Notification)))


def _draft(client, who, cid, expect=200, **body):
    r = client.post(f"/api/v1/complaints/{cid}/assist/reply-draft", headers=who.headers, json=body)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _summary(client, who, cid, expect=200):
    r = client.post(f"/api/v1/complaints/{cid}/assist/summary", headers=who.headers)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_local_reply_draft_rests_on_the_complaint_and_is_neither_stored_nor_sent(app, client, auth):
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    before = _counts(app, c["id"])
    d = _draft(client, owner, c["id"], plan="同意退货退款，运费由我方承担")
    assert d["kind"] == "reply_draft" and d["provider"] == "local" and d["ai_generated"] is False
    assert d["sent"] is False and "不会自动发送" in d["notice"]
    assert "蓝牙耳机左耳无声" in d["text"] and "同意退货退款" in d["text"] and "退货、退款" in d["text"]
    law_refs = {(x["law"], x["article"]) for x in d["citations"]}
    assert ("中华人民共和国消费者权益保护法", "第二十四条") in law_refs
    first = d["citations"][0]
    assert f"《{first['law']}》{first['article']}" in d["text"]  # the draft names an article it was given
    assert "【请填写" in d["text"] and d["points"]  # what staff must fill in and check before sending
    assert _counts(app, c["id"]) == before  # no timeline event, message or notification: nothing was sent
    # the consumer sees nothing of it
    detail = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert all("同意退货退款，运费由我方承担" not in (e.get("note") or "") for e in detail["timeline"])


def test_model_reply_draft_is_labelled_ai_generated_and_validated(app, client, auth, model):
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    d = _draft(client, owner, c["id"])
    assert d["provider"] == "llm" and d["ai_generated"] is True and d["sent"] is False
    assert d["text"].startswith("（模型回答）")
    sent = requests.get(f"{model}/_sim/requests", timeout=5).json()["items"][-1]
    assert sent["response_format"] == {"type": "json_object"} and "json" in sent["messages"][0]["content"]
    user = sent["messages"][-1]["content"]
    assert "推脱不处理" in user and "13812345678" not in user  # personal data never reaches the model
    for cited in d["citations"]:
        assert f"【《{cited['law']}》{cited['article']}】" in sent["messages"][0]["content"]


def test_invalid_model_output_is_retried_once_then_replaced_by_the_local_draft(app, client, auth, model):
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    seen = len(requests.get(f"{model}/_sim/requests", timeout=5).json()["items"])
    requests.post(f"{model}/_sim/fault", json={"mode": "invalid", "count": 1}, timeout=5)
    d = _draft(client, owner, c["id"])
    items = requests.get(f"{model}/_sim/requests", timeout=5).json()["items"]
    assert d["provider"] == "llm" and len(items) - seen == 2  # the retry succeeded
    assert "不符合要求" in items[-1]["messages"][-1]["content"]

    requests.post(f"{model}/_sim/fault", json={"mode": "invalid"}, timeout=5)
    d = _draft(client, owner, c["id"])
    assert d["provider"] == "local" and d["ai_generated"] is False
    assert "未通过格式校验" in d["notice"] and "好的，以下是回答" not in d["text"]
    assert len(requests.get(f"{model}/_sim/requests", timeout=5).json()["items"]) - len(items) == 2


def test_mediator_summary_is_neutral_and_follows_the_timeline(app, client, auth):
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    s = _summary(client, mediator, c["id"])
    assert s["kind"] == "case_summary" and s["provider"] == "local" and s["sent"] is False
    assert "商家尚未答复" in s["text"] and "退货、退款" in s["text"] and "不代表任何一方" in s["notice"]
    assert s["citations"] and s["points"]
    act(client, owner, c["id"], "respond", note="经检测耳机无质量问题，可为您维修")
    s = _summary(client, mediator, c["id"])
    assert "经检测耳机无质量问题" in s["text"] and "商家尚未答复" not in s["text"]
    assert "陈大文" not in s["text"]


def test_only_the_parties_named_may_ask(client, auth):
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    other_owner, _ = auth.business(name="别家商行")
    assert "只有被投诉商家" in _draft(client, consumer, c["id"], expect=403)["detail"]
    _draft(client, mediator, c["id"], expect=403)
    _draft(client, other_owner, c["id"], expect=404)
    assert "调解员" in _summary(client, owner, c["id"], expect=403)["detail"]
    _summary(client, consumer, c["id"], expect=403)
    _summary(client, auth.mediator("3101", username="med_sh"), c["id"], expect=404)


def test_risky_plan_is_refused_before_any_draft(client, auth):
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    r = client.post(f"/api/v1/complaints/{c['id']}/assist/reply-draft", headers=owner.headers,
                    json={"plan": "另有网络赌博网站，日赚千元"})
    assert r.status_code == 422 and r.get_json()["code"] == "content_rejected"


def test_daily_token_budget_then_answers_from_retrieval_and_says_so(app, client, auth, settings, model):
    settings["LLM_DAILY_TOKEN_BUDGET"] = 1  # spent by the first model answer, whatever its size
    q = {"question": "商家卖假货能退一赔三吗"}
    first = client.post("/api/v1/consult", json=q).get_json()
    assert first["provider"] == "llm" and first["notice"] == ""
    seen = len(requests.get(f"{model}/_sim/requests", timeout=5).json()["items"])
    second = client.post("/api/v1/consult", json=q).get_json()
    assert second["provider"] == "local" and "模型用量已达上限" in second["notice"]
    assert second["answer"].startswith(second["notice"]) and "第五十五条" in second["answer"]
    assert len(requests.get(f"{model}/_sim/requests", timeout=5).json()["items"]) == seen  # no call made
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    assert "模型用量已达上限" in _draft(client, owner, c["id"])["notice"]


def test_per_caller_token_budget_leaves_others_their_share(app, client, auth, settings, model):
    settings["LLM_CALLER_DAILY_TOKEN_BUDGET"] = 1
    one, two = auth.consumer("甲"), auth.consumer("乙")
    q = {"question": "网购七天无理由退货怎么规定的"}
    assert client.post("/api/v1/consult", json=q, headers=one.headers).get_json()["provider"] == "llm"
    again = client.post("/api/v1/consult", json=q, headers=one.headers).get_json()
    assert again["provider"] == "local" and "您今日使用智能模型的额度已用完" in again["notice"]
    assert client.post("/api/v1/consult", json=q, headers=two.headers).get_json()["provider"] == "llm"


def test_drafting_is_rate_limited_per_caller(client, auth, settings):
    settings["ASSIST_RATE_LIMIT"] = "2/minute"
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    _draft(client, owner, c["id"])
    _draft(client, owner, c["id"])
    r = client.post(f"/api/v1/complaints/{c['id']}/assist/reply-draft", headers=owner.headers, json={})
    assert r.status_code == 429 and r.headers.get("Retry-After")
    _summary(client, mediator, c["id"])  # another caller, its own window


def test_a_draft_sent_with_its_gaps_unfilled_is_refused_everywhere_staff_write(app, client, auth):
    """Staff who paste the draft as it is would send the consumer 【请填写…】: the answer, a message and the
    public reply refuse it, name the gap, and change nothing; once filled in, the same text goes through."""
    owner, biz, consumer, mediator, c = _forwarded(client, auth)
    d = _draft(client, owner, c["id"], plan="同意退货退款")
    before = _counts(app, c["id"])
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": d["text"]})
    assert r.status_code == 422, r.get_json()
    problem = r.get_json()
    assert "未填写" in problem["detail"] or any("未填写" in e["message"] for e in problem.get("errors", []))
    assert "【请填写" in str(problem)
    r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=owner.headers, json={"body": d["text"]})
    assert r.status_code == 422
    assert _counts(app, c["id"]) == before
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).get_json()["status"] == "forwarded"
    # a consumer quoting the brackets is not a draft: only staff replies are checked
    r = client.post(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers,
                    json={"body": "商家回复里写着【请填写具体方案】，这是什么意思？"})
    assert r.status_code == 201, r.get_json()
    filled = re.sub(r"【请填写[^】]*】", "三个工作日内退款到原支付账户", d["text"])
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": filled})
    assert r.status_code == 200, r.get_json()
