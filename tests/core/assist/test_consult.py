import time

import pytest
import requests

from server.core.assist.consult import consult, consult_stream
from server.core.errors import ValidationFailed
from tests.core.assist.conftest import set_fault


def test_local_answer_cites_articles_and_gives_guidance():
    r = consult("网上买的衣服不喜欢，七天无理由退货运费谁出？", None, {})
    assert r["provider"] == "local"
    arts = {(c["law"], c["article"]) for c in r["citations"]}
    assert ("中华人民共和国消费者权益保护法", "第二十五条") in arts
    assert all(c["text"].startswith(c["article"]) for c in r["citations"])
    assert "第二十五条" in r["answer"]
    assert "七日" in r["answer"] and "运费" in r["answer"]
    assert "投诉" in r["answer"] and "不构成法律意见" in r["answer"]


def test_fraud_question_explains_triple_compensation():
    r = consult("买到假货，商家不承认，怎么退一赔三？", None, {})
    assert any(c["article"] == "第五十五条" for c in r["citations"])
    assert "三倍" in r["answer"] and "五百元" in r["answer"]


def test_follow_up_question_uses_history():
    history = [{"role": "user", "content": "健身房老板跑路了，会员卡里的钱怎么办"},
               {"role": "assistant", "content": "……"}]
    r = consult("那有利息吗？", history, {})
    assert any("预付" in c["text"] for c in r["citations"])


@pytest.mark.parametrize("question", ["", "   ", None, "问" * 1001])
def test_invalid_questions_are_rejected(question):
    with pytest.raises(ValidationFailed) as exc:
        consult(question, None, {})
    assert exc.value.extra["errors"][0]["field"] == "question"


def test_llm_answer_is_written_by_the_model_from_the_retrieved_articles(llm_sim, llm_settings):
    r = consult("商家卖假货能退一赔三吗", None, llm_settings)
    assert r["provider"] == "llm" and r["ai_generated"] is True
    assert r["answer"].startswith("（模型回答）") and r["disclaimer"] in r["answer"]
    # the model only saw, and so only cites, the retrieved articles
    for c in r["citations"]:
        assert c["article"] in r["answer"]
    sent = requests.get(f"{llm_sim}/_sim/requests", timeout=5).json()["items"][-1]
    assert sent["model"] == "deepseek-flash"
    system = sent["messages"][0]
    assert system["role"] == "system" and "第五十五条" in system["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "商家卖假货能退一赔三吗"}


def test_local_answer_is_not_labelled_ai_generated():
    assert consult("商家卖假货能退一赔三吗", None, {})["ai_generated"] is False


def test_slow_model_falls_back_to_local_within_the_timeout(llm_sim, llm_settings):
    set_fault(llm_sim, "slow")
    start = time.monotonic()
    r = consult("商家卖假货能退一赔三吗", None, llm_settings)
    elapsed = time.monotonic() - start
    assert r["provider"] == "local" and "第五十五条" in r["answer"]
    assert elapsed < llm_settings["LLM_TIMEOUT_SECONDS"] + 1.5


@pytest.mark.parametrize("status", [500, 503])
def test_failing_model_falls_back_to_local(llm_sim, llm_settings, status):
    set_fault(llm_sim, "fail", status=status)
    r = consult("七天无理由退货", None, llm_settings)
    assert r["provider"] == "local" and r["citations"]


def test_wrong_api_key_falls_back_to_local(llm_settings):
    r = consult("七天无理由退货", None, dict(llm_settings, LLM_API_KEY="wrong"))
    assert r["provider"] == "local"


def test_stream_from_model(llm_settings):
    meta = {}
    chunks = list(consult_stream("商家卖假货能退一赔三吗", None, llm_settings, meta))
    assert len(chunks) > 3
    text = "".join(chunks)
    assert text.startswith("（模型回答）") and "第五十五条" in text
    assert meta["provider"] == "llm" and meta["citations"]


def test_stream_falls_back_when_model_is_down(llm_sim, llm_settings):
    set_fault(llm_sim, "fail")
    meta = {}
    text = "".join(consult_stream("七天无理由退货", None, llm_settings, meta))
    assert meta["provider"] == "local" and "第二十五条" in text and "不构成法律意见" in text


def test_stream_validates_before_yielding():
    with pytest.raises(ValidationFailed):
        consult_stream("", None, {})


def test_local_consult_is_fast():
    consult("预热", None, {})
    start = time.perf_counter()
    for _ in range(20):
        consult("网购的手机坏了商家不给退怎么办", None, {})
    assert (time.perf_counter() - start) / 20 < 0.2
