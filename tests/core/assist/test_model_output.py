"""Issue 20 item 4 in core: the model's output is a json object validated against a schema and tied to the
retrieved articles (invalid output: one retry, then the local answer, never the unvalidated text); the
token budget is asked before every call; streamed text never shows an article that was not retrieved."""
from __future__ import annotations

import pytest
import requests

from server.core.assist import llm
from server.core.assist.consult import CitationFilter, consult, consult_stream, retrieve
from server.core.assist.schemas import REMOVED, CaseSummary, ConsultAnswer, grounded
from tests.core.assist.conftest import set_fault

Q = "商家卖假货能退一赔三吗"


class CountingBudget:
    def __init__(self, refuse: str | None = None):
        self.refuse, self.spent, self.asked = refuse, 0, 0

    def refusal(self):
        self.asked += 1
        return self.refuse

    def spend(self, tokens):
        self.spent += tokens


def _requests(base):
    return requests.get(f"{base}/_sim/requests", timeout=5).json()["items"]


def test_model_answer_is_asked_for_as_json_and_validated(llm_sim, llm_settings):
    budget = CountingBudget()
    r = consult(Q, None, llm_settings, budget=budget)
    assert r["provider"] == "llm" and r["ai_generated"] and r["notice"] == ""
    assert r["answer"].startswith("（模型回答）") and "第五十五条" in r["answer"]
    sent = _requests(llm_sim)[-1]
    assert sent["response_format"] == {"type": "json_object"} and sent["max_tokens"] == 1200
    assert "json 示例" in sent["messages"][0]["content"]
    assert budget.asked == 1 and budget.spent > 0


def test_invalid_output_is_retried_once(llm_sim, llm_settings):
    set_fault(llm_sim, "invalid", count=1)
    before = len(_requests(llm_sim))
    budget = CountingBudget()
    r = consult(Q, None, llm_settings, budget=budget)
    assert r["provider"] == "llm" and len(_requests(llm_sim)) - before == 2
    assert budget.asked == 2  # the retry asks the budget again


def test_output_still_invalid_after_the_retry_gives_the_local_answer_and_says_why(llm_sim, llm_settings):
    set_fault(llm_sim, "invalid")
    before = len(_requests(llm_sim))
    r = consult(Q, None, llm_settings)
    assert r["provider"] == "local" and r["ai_generated"] is False
    assert "未通过格式校验" in r["notice"] and r["answer"].startswith(r["notice"])
    assert "好的，以下是回答" not in r["answer"] and "第五十五条" in r["answer"]
    assert len(_requests(llm_sim)) - before == 2


def test_spent_budget_means_no_call_and_a_chinese_note(llm_sim, llm_settings):
    before = len(_requests(llm_sim))
    r = consult(Q, None, llm_settings, budget=CountingBudget("budget"))
    assert r["provider"] == "local" and "模型用量已达上限" in r["answer"] and "第五十五条" in r["answer"]
    text = "".join(consult_stream(Q, None, llm_settings, meta := {}, budget=CountingBudget("budget")))
    assert meta["provider"] == "local" and "模型用量已达上限" in text and "模型用量已达上限" in meta["notice"]
    assert len(_requests(llm_sim)) == before


def test_stream_asks_for_usage_and_spends_it(llm_sim, llm_settings):
    budget = CountingBudget()
    text = "".join(consult_stream(Q, None, llm_settings, meta := {}, budget=budget))
    assert meta["provider"] == "llm" and text.startswith("（模型回答）")
    sent = _requests(llm_sim)[-1]
    assert sent["stream_options"] == {"include_usage": True}
    prompt = sum(len(m["content"]) for m in sent["messages"])
    assert budget.spent == prompt + len(text)  # the simulator's usage chunk, not an estimate


def test_schema_rejects_empty_or_malformed_objects():
    with pytest.raises(ValueError):
        llm.parse_json("   ", ConsultAnswer)  # DeepSeek's JSON mode may answer only blanks
    with pytest.raises(ValueError):
        llm.parse_json('{"answer": "好"}', ConsultAnswer)
    with pytest.raises(ValueError):
        llm.parse_json('{"answer": "这是一个足够长的回答内容。", "cited_articles": [{"law": "消法", "article": "55"}]}',
                       ConsultAnswer)
    ok = llm.parse_json('```json\n{"summary": "消费者购买的耳机左耳无声，要求退货退款。", "consumer_position": "退货",'
                        ' "business_position": "商家尚未答复"}\n```', CaseSummary)
    assert ok.disputed_points == []


def test_citations_outside_retrieval_are_dropped_from_text_and_list():
    hits = retrieve("喝了过期牛奶能要十倍赔偿吗")
    a = hits[0].article
    value = ConsultAnswer(answer=f"依据《{a.law}》{a.label}可以索赔；另见《中华人民共和国著作权法》第十条。",
                          cited_articles=[{"law": a.short_name, "article": a.label},
                                          {"law": "中华人民共和国著作权法", "article": "第十条"}])
    clean = grounded(value, hits, ("answer",))
    assert [(c.law, c.article) for c in clean.cited_articles] == [(a.law, a.label)]
    assert "著作权法》第十条" not in clean.answer and REMOVED in clean.answer
    with pytest.raises(ValueError):  # nothing left but removed citations: invalid, so retried or replaced
        grounded(ConsultAnswer(answer="《中华人民共和国著作权法》第十条。"), hits, ("answer",))


def test_streamed_citation_split_across_chunks_is_checked_before_it_is_shown():
    hits = retrieve("喝了过期牛奶能要十倍赔偿吗")
    a = hits[0].article
    f = CitationFilter(hits)
    chunks = ["结论：依据《中华人民共和国著", "作权法》第十", "条，以及《", f"{a.law}》{a.label[:2]}", f"{a.label[2:]}可以索赔。"]
    shown = [f.feed(c) for c in chunks] + [f.flush()]
    text = "".join(shown)
    assert "著作权法" not in text and REMOVED in text and f"《{a.law}》{a.label}" in text
    assert all("《中华人民共和国著" not in s for s in shown)  # never shown half-checked


def test_the_index_is_built_in_the_background_when_an_app_starts():
    from types import SimpleNamespace

    from server.api.assist import _warm
    from server.core.assist import retrieval

    app = SimpleNamespace(config={"SMART315": {"ASSIST_WARM_INDEX": True}}, extensions={})
    _warm(SimpleNamespace(app=app))
    thread = app.extensions["smart315.assist_warm"]
    thread.join(60)
    assert not thread.is_alive() and retrieval._index is not None
    off = SimpleNamespace(config={"SMART315": {"ASSIST_WARM_INDEX": False}}, extensions={})
    _warm(SimpleNamespace(app=off))
    assert "smart315.assist_warm" not in off.extensions


def test_tokenized_articles_are_cached_on_disk_by_the_knowledge_base_hash(tmp_path):
    from dataclasses import replace

    from server.core.assist import retrieval
    from server.core.assist.knowledge import load_articles

    articles = load_articles()[:300]
    retrieval.configure_cache(tmp_path)
    try:
        built = retrieval._Index(articles)
        [cached] = list(tmp_path.glob("retrieval-tokens-*.json.gz"))
        again = retrieval._Index(articles)  # from the file
        for q in ("网购七天无理由退货", "商家卖假货退一赔三", "预付卡商家跑路"):
            assert [(h.article.key, h.score) for h in again.search(q, 5)] == [(h.article.key, h.score) for h in built.search(q, 5)]
        changed = (replace(articles[0], text=articles[0].text + "新增内容"),) + articles[1:]
        assert retrieval.kb_hash(changed) != retrieval.kb_hash(articles)  # an edited law is a new file
        cached.write_bytes(b"not gzip")
        assert retrieval._cached_tokens(articles) is None  # a damaged file is rebuilt, never trusted
    finally:
        retrieval.configure_cache(None)
