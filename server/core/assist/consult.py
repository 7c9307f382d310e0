"""Consumer-rights consultation: retrieve law articles, then answer locally or through an LLM.

The local answer is composed from the retrieved articles with plain guidance; with LLM settings
the model writes the answer from those articles only. Any model failure or timeout falls back
to the local answer, so the endpoint always answers.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import ValidationFailed
from . import compensation, llm
from .cases import similar_cases
from .retrieval import Hit, search
from .schemas import ConsultAnswer, drop_unretrieved_citations, example_json, grounded

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
MAX_CITATIONS = 4
DISCLAIMER = "提示：以上内容由系统依据法律条文自动整理，仅供参考，不构成法律意见；案情复杂或金额较大时，请咨询律师或当地消费者协会。"

# Guidance keyed by (law short name, article number): what to ask for and which deadline applies.
_GUIDANCE: list[tuple[set[tuple[str, int]], str]] = [
    (
        {("消费者权益保护法", 25), ("消费者权益保护法实施条例", 19), ("侵害消费者权益行为处罚办法", 9)},
        "网购、电视购物、电话和邮购的商品，自收到商品之日起七日内可以无理由退货（定作、鲜活易腐、已拆封的音像制品和软件、报刊等除外）；"
        "商品应当完好，为查验而拆开包装不影响退货。商家应在收到退货之日起七日内退款；退货运费一般由您承担，另有约定的按约定。",
    ),
    (
        {("消费者权益保护法", 55), ("消费者权益保护法实施条例", 49), ("侵害消费者权益行为处罚办法", 16)},
        "商家存在欺诈的，可以要求退还货款并按价款或服务费用的三倍增加赔偿，增加赔偿不足五百元的按五百元计算（即常说的“退一赔三”）。"
        "请保留商品实物、宣传页面截图、订单和聊天记录等能证明商家故意隐瞒或虚构事实的证据。",
    ),
    (
        {("消费者权益保护法", 24), ("产品质量法", 40), ("消费者权益保护法", 52)},
        "商品质量不符合要求的，可按国家规定或约定要求退货、更换或修理；没有规定和约定的，收到商品七日内可以退货，"
        "七日后符合法定解除条件的也可退货，否则可要求更换或修理，运输等必要费用由商家承担。",
    ),
    (
        {("消费者权益保护法", 53), ("消费者权益保护法实施条例", 22)}
        | {("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", n) for n in range(1, 27)},
        "预付卡、会员卡问题：商家未按约定提供服务的，可以要求继续履行或退还未消费的预付款余额及利息；付款后七日内一般可以要求返还预付款本金；"
        "商家单方涨价、降低服务质量或搬迁造成明显不便的，可以要求按约履行或解除合同。请保留合同、付款凭证、卡内余额和消费记录截图。",
    ),
    (
        {("家用汽车产品修理更换退货责任规定", n) for n in range(1, 43)},
        "汽车三包：请凭购车发票和三包凭证主张权利，保留每次维修记录（送修时间、里程、故障描述）；"
        "销售者收到更换或退货要求后应在10个工作日内答复。",
    ),
    (
        {("消费者权益保护法", 29), ("消费者权益保护法", 50), ("消费者权益保护法实施条例", 23), ("消费者权益保护法实施条例", 24)}
        | {("个人信息保护法", n) for n in (13, 16, 24, 26, 28, 29, 44, 45, 46, 47, 69)},
        "个人信息问题：可以要求商家停止收集或使用、删除您的信息、停止发送商业信息，造成损失的可以要求赔偿；请保存短信、来电记录和授权页面截图。",
    ),
    (
        {("消费者权益保护法", 26), ("侵害消费者权益行为处罚办法", 12), ("消费者权益保护法实施条例", 17)},
        "“最终解释权归商家”“概不退换”等排除或限制消费者权利、加重消费者责任的格式条款无效，您仍可依法主张退换货和赔偿。",
    ),
    (
        {("消费者权益保护法", 49), ("消费者权益保护法", 40), ("产品质量法", 41), ("产品质量法", 43), ("产品质量法", 44), ("产品质量法", 45)},
        "受到人身伤害的，可以向销售者或生产者要求赔偿医疗费、护理费、交通费、误工损失等；请保存病历、票据和出问题的商品，"
        "因产品缺陷要求赔偿的诉讼时效为二年。",
    ),
    (
        {("消费者权益保护法", 44), ("电子商务法", 38), ("电子商务法", 37), ("电子商务法", 61)},
        "通过平台购物的，可以先向平台内商家索赔；平台不能提供商家真实名称、地址和联系方式的，可以直接要求平台赔偿，平台明知商家侵权而未处理的承担连带责任。",
    ),
    (
        {("电子商务法", 20), ("电子商务法", 51)},
        "网购商品在运输途中损坏或丢失的风险由商家承担（您另行指定快递的除外），可以直接要求商家补发或退款，不必自己去找快递公司。",
    ),
    (
        {("价格法", 13), ("价格法", 14), ("价格法", 41), ("价格法", 42), ("消费者权益保护法实施条例", 10)},
        "价格问题：商家应明码标价，不得用虚假折扣等价格手段诱骗交易；因价格违法多付的钱可以要求退还。请保存价签、页面截图和付款记录。",
    ),
    (
        {("市场监督管理投诉举报处理暂行办法", n) for n in (9, 12, 14, 15)} | {("消费者权益保护法", 46), ("消费者权益保护法实施条例", 46)},
        "向市场监管部门投诉需写明您的姓名和联系方式、被投诉商家的名称和地址、具体诉求和事实；部门应在收到投诉之日起七个工作日内决定是否受理。",
    ),
]

_GENERAL_STEPS = (
    "建议这样处理：\n"
    "1. 先与商家协商，明确提出您的诉求（退货、换货、维修、退款或赔偿），并保留订单、发票、聊天记录、照片等证据；\n"
    "2. 协商不成，可以在本平台“我要投诉”提交投诉，写明商家名称、购买时间、订单号和诉求，上传证据，商家须在规定期限内回复处理；\n"
    "3. 商家未处理或您不满意处理结果，可以申请消费者协会调解员介入调解，也可以拨打12315或向市场监管部门投诉，必要时申请仲裁或向人民法院起诉。"
)


def validate_question(question: Any) -> str:
    """The stripped question, or ValidationFailed naming the `question` field."""
    if not isinstance(question, str) or not question.strip():
        raise ValidationFailed([{"field": "question", "message": "请输入您要咨询的问题"}])
    q = question.strip()
    if len(q) > MAX_QUESTION_CHARS:
        raise ValidationFailed([{"field": "question", "message": f"问题不能超过{MAX_QUESTION_CHARS}个字"}])
    return q


def _clean_history(history: Any) -> list[dict[str, str]]:
    """Only well-formed user/assistant turns, the last six, each trimmed to the question limit."""
    if not history:
        return []
    if not isinstance(history, list):
        raise ValidationFailed([{"field": "history", "message": "对话历史格式有误"}])
    out = []
    for turn in history:
        if isinstance(turn, dict) and turn.get("role") in ("user", "assistant") and isinstance(turn.get("content"), str):
            out.append({"role": turn["role"], "content": turn["content"][:MAX_QUESTION_CHARS * 2]})
    return out[-6:]


def _retrieval_query(question: str, history: list[dict[str, str]]) -> str:
    """Short follow-ups ("那运费谁出？") are searched together with the previous user question."""
    if len(question) < 15:
        for turn in reversed(history):
            if turn["role"] == "user":
                return f"{turn['content'][:200]} {question}"
    return question


def retrieve(question: str, history: list[dict[str, str]] | None = None, k: int = 5) -> list[Hit]:
    """The articles an answer should rest on: the top hits within reach of the best one."""
    hits = search(_retrieval_query(question, history or []), k=k)
    if not hits:
        return []
    best = hits[0].score
    return [h for h in hits if h.score >= best * 0.45][:MAX_CITATIONS]


def _excerpt(text: str, limit: int = 180) -> str:
    flat = text.replace("\n", "")
    return flat if len(flat) <= limit else flat[:limit] + "……"


def compose_local_answer(question: str, hits: list[Hit], calc: dict[str, Any] | None = None) -> str:
    """A plain Chinese answer: the governing articles, targeted guidance, the general steps."""
    parts: list[str] = []
    if hits:
        parts.append("根据您描述的情况，以下法律规定与您的问题直接相关：")
        for n, h in enumerate(hits, 1):
            a = h.article
            parts.append(f"{n}. 《{a.law}》{a.label}：{_excerpt(a.text)}")
        keys = {h.article.key for h in hits}
        tips = [tip for articles, tip in _GUIDANCE if keys & articles]
        if tips:
            parts.append("这意味着：\n" + "\n".join(f"- {t}" for t in tips))
        if calc:
            parts.append(_compensation_text(calc))
    else:
        parts.append("暂未在知识库中找到与您的问题直接对应的法律条文。请补充购买的商品或服务、发生了什么问题以及您的诉求，以便给出更准确的依据。")
    parts.append(_GENERAL_STEPS)
    parts.append(DISCLAIMER)
    return "\n\n".join(parts)


def articles_block(hits: list[Hit]) -> str:
    return "\n".join(f"【《{h.article.law}》{h.article.label}】{h.article.text.replace(chr(10), '')}" for h in hits)


def build_messages(question: str, history: list[dict[str, str]], hits: list[Hit], json_mode: bool = False
                   ) -> list[dict[str, str]]:
    """System prompt carrying the retrieved articles, then the conversation and the question. json_mode: the
    answer is a json object as `schemas.ConsultAnswer` (DeepSeek JSON Output wants the word and an example)."""
    system = (
        "你是消费者权益保护平台的法律咨询助手。只能依据下面给出的法律条文回答消费者的问题，"
        "回答使用简体中文，先给出结论，再说明依据（写明法律名称和条号，如《中华人民共和国消费者权益保护法》第二十五条），"
        "最后告诉消费者应向商家提出什么要求、注意哪些期限、如何在平台上投诉。条文没有涉及的内容，请直说无法确定，不要编造条文。"
        "结尾提醒：本回答仅供参考，不构成法律意见。\n\n法律条文：\n" + (articles_block(hits) or "（未检索到相关条文）")
    )
    if json_mode:
        system += ("\n\n请只输出一个 json 对象：answer 为给消费者的完整回答，cited_articles 列出回答引用的条文"
                   "（只能是上面给出的条文）。json 示例：\n" + example_json(ConsultAnswer))
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": question}]


_EVIDENCE = ["订单、发票或付款记录", "商品实物、包装和标签（食品请拍下生产日期和保质期）", "商品页面、宣传或广告截图",
             "与商家的聊天记录、通话录音", "受伤的，病历、诊断证明和医疗费票据"]
NEXT_STEPS = [
    "先与商家协商，明确提出您的诉求（退货、换货、维修、退款或赔偿）；",
    "协商不成，在本平台“我要投诉”提交投诉，写明商家名称、购买时间、订单号和诉求，并上传证据；",
    "仍未解决，可以申请调解、拨打12315或向市场监管部门投诉，必要时申请仲裁或向人民法院起诉。",
]


def _extras(question: str, hits: list[Hit], amount_claimed: Any = None) -> dict[str, Any]:
    """What the answer carries besides text: similar cases, the calculation, steps and evidence."""
    keys = [h.article.key for h in hits]
    cases = [c.public() for c in similar_cases(question, keys)]
    calc = compensation.for_question(question, set(keys), amount_claimed)
    evidence = list(_EVIDENCE[:4])
    if any(k[0] in ("食品安全法", "民法典侵权责任编") for k in keys) or calc and calc["basis"] == "known_defect":
        evidence.append(_EVIDENCE[4])
    return {"cases": cases, "compensation": calc, "next_steps": NEXT_STEPS, "evidence": evidence,
            "disclaimer": DISCLAIMER}


def _compensation_text(calc: dict[str, Any] | None) -> str:
    if not calc:
        return ""
    return (f"赔偿测算（依据《{calc['law']}》{calc['article']}）：{calc['computation']}，"
            f"可主张的增加赔偿为{calc['amount']}。{calc['note']}实际金额以协商、调解或法院认定为准。")


def _result(answer: str, hits: list[Hit], provider: str, extras: dict[str, Any] | None = None,
            notice: str = "") -> dict[str, Any]:
    out = {"answer": answer, "citations": [h.article.citation() for h in hits], "provider": provider,
           "ai_generated": provider == "llm", "notice": notice}
    out.update(extras or {})
    return out


def _local_with_note(answer: str, reason: str | None) -> tuple[str, str]:
    """The local answer, headed by why the model did not write it when the user should know (budget spent,
    invalid output, too busy); a model that is simply down or slow is not worth a note."""
    note = llm.FALLBACK_NOTES.get(reason or "", "")
    return (f"{note}\n\n{answer}" if note else answer), note


def consult(question: str, history: list[dict] | None, settings: Mapping[str, Any],
            amount_claimed: Any = None, budget: llm.Budget | None = None) -> dict[str, Any]:
    """Answer a consumer-rights question: {"answer", "citations": [{law, article, text}], "provider",
    "ai_generated", "notice", "cases", "compensation", "next_steps", "evidence", "disclaimer"}.

    With the model configured the answer is the model's json (schemas.ConsultAnswer), validated, its
    citations limited to the retrieved articles; otherwise, or when that fails, the local answer."""
    q = validate_question(question)
    turns = _clean_history(history)
    hits = retrieve(q, turns)
    extras = _extras(_retrieval_query(q, turns), hits, amount_claimed)
    reason = None
    if llm.configured(settings):
        got = llm.complete_json(settings, build_messages(q, turns, hits, json_mode=True), ConsultAnswer, budget,
                                check=lambda v: grounded(v, hits, ("answer",)))
        if got.value is not None:
            answer = got.value.answer
            if extras["compensation"]:
                answer += "\n\n" + _compensation_text(extras["compensation"])
            if DISCLAIMER not in answer:
                answer += "\n\n" + DISCLAIMER
            return _result(answer, hits, "llm", extras)
        reason = got.reason
    answer, note = _local_with_note(compose_local_answer(q, hits, extras["compensation"]), reason)
    return _result(answer, hits, "local", extras, note)


def _chunks(text: str, size: int = 24) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i:i + size]


# A tail that may still become a 《法》第N条 reference: held back until it is complete or clearly is not one.
_PARTIAL_CITE_RE = re.compile(r"《[^》\n]{0,60}$|《[^》\n]{1,60}》\s*(第[零〇一二两三四五六七八九十百千]*)?$")


class CitationFilter:
    """Streamed model text with every reference to an unretrieved article removed before it is shown:
    text is released up to any unfinished 《…》第…条, which waits for the next delta."""

    def __init__(self, hits: list[Hit]):
        self.hits = hits
        self.pending = ""

    def feed(self, delta: str) -> str:
        self.pending += delta
        m = _PARTIAL_CITE_RE.search(self.pending)
        cut = m.start() if m else len(self.pending)
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return drop_unretrieved_citations(out, self.hits) if out else ""

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return drop_unretrieved_citations(out, self.hits) if out else ""


def consult_stream(
    question: str, history: list[dict] | None, settings: Mapping[str, Any], meta: dict[str, Any] | None = None,
    amount_claimed: Any = None, budget: llm.Budget | None = None,
) -> Iterator[str]:
    """Yield the answer as text chunks. Validation happens before the first chunk.

    If `meta` is given it is filled with "citations" at once and "provider" ("llm" or "local")
    once known, so an HTTP layer can send citations before the text and the provider after it.
    The model's text passes CitationFilter; the whole stream is cut after LLM_STREAM_SECONDS.
    """
    q = validate_question(question)
    turns = _clean_history(history)
    hits = retrieve(q, turns)
    info = meta if meta is not None else {}
    info["citations"] = [h.article.citation() for h in hits]
    info["provider"] = "local"
    info["ai_generated"] = False
    info["notice"] = ""
    info.update(_extras(_retrieval_query(q, turns), hits, amount_claimed))
    spend = budget or llm.NoBudget()

    def gen() -> Iterator[str]:
        sent = False
        reason = None
        if llm.configured(settings):
            reason = spend.refusal()
        if llm.configured(settings) and reason is None:
            messages = build_messages(q, turns, hits)
            deadline = time.monotonic() + float(settings.get("LLM_STREAM_SECONDS") or 60)
            text, usage, stream = [], None, None
            cite = CitationFilter(hits)
            try:
                stream = llm.client(settings).chat.completions.create(
                    model=settings["LLM_MODEL"], messages=messages, temperature=0.2, stream=True,
                    max_tokens=llm.max_tokens(settings), stream_options={"include_usage": True})
                for chunk in stream:
                    if getattr(chunk, "usage", None) is not None:
                        usage = chunk.usage
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta.content or ""
                    text.append(delta)
                    shown = cite.feed(delta)
                    if shown:
                        if not sent:
                            info["provider"] = "llm"
                            info["ai_generated"] = True
                        sent = True
                        yield shown
                    if time.monotonic() > deadline:
                        log.warning("LLM stream cut after %ss", settings.get("LLM_STREAM_SECONDS") or 60)
                        if sent:
                            yield "\n\n（回答过长，已截断。）"
                        break
                rest = cite.flush()
                if rest:
                    if not sent:
                        info["provider"], info["ai_generated"] = "llm", True
                    sent = True
                    yield rest
                if sent:
                    return
            except Exception as exc:
                log.warning("LLM stream failed (%s); serving the local answer", type(exc).__name__)
                if sent:
                    yield "\n\n（模型回答中断，以下为系统依据法律条文整理的答案）\n\n"
            finally:
                if stream is not None:  # the model answered: its tokens count, even for a stream cut short
                    try:
                        stream.close()
                    except Exception:  # noqa: BLE001 - the connection is going away anyway
                        pass
                    spend.spend(llm.usage_tokens(usage, messages, "".join(text)))
        info["provider"] = "local"
        info["ai_generated"] = False
        answer, info["notice"] = _local_with_note(compose_local_answer(q, hits, info.get("compensation")), reason)
        yield from _chunks(answer)

    return gen()
