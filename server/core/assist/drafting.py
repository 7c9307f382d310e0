"""Help for the other parties of a complaint (issue 20 item 5): a reply draft for the business's staff and
a neutral case summary for the mediator.

Both rest on the complaint's own facts (title, description, demands, amount, the timeline's notes and the
messages, all passed through privacy.redact before they reach a model) and on the articles retrieved for
them. Nothing is stored and nothing is sent: the caller gets text to read and edit; the business sends
its reply through the usual respond action or a message, in its own words. The model's output is a json
object validated against schemas.ReplyDraft / schemas.CaseSummary and tied to the retrieved articles;
without a model, or when it fails, the draft is composed from the facts and the articles.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import privacy
from ..models import Complaint, ComplaintEvent, Message
from ..money import format_yuan
from ..timeutil import to_iso
from ..vocabulary import label
from . import compensation, llm
from .cases import similar_cases
from .consult import MAX_CITATIONS, articles_block, retrieve
from .placeholders import PLACEHOLDER_HINT
from .retrieval import Hit
from .schemas import CaseSummary, ReplyDraft, drop_unretrieved_citations, example_json, grounded
from .taxonomy import CATEGORY_NAMES, INDUSTRY_NAMES

MAX_PLAN_CHARS = 500
REPLY_NOTICE = ("本草稿由系统自动生成，仅供参考：请核对事实、修改完善后，再通过“答复”或留言以贵方名义发送。"
                "系统不会自动发送，也不会保存本草稿。")
SUMMARY_NOTICE = ("本摘要由系统依据投诉材料和法律条文自动整理，仅供调解参考，不代表任何一方的立场，"
                  "也不构成法律意见；请以原始材料为准。")
_BUSINESS_ROLES = ("business_staff", "business")


def _day(value) -> str:
    iso = to_iso(value)
    return iso[:10] if iso else ""


def _cut(text: str, limit: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit] + "……"


def complaint_facts(session: Session, complaint: Complaint) -> dict[str, Any]:
    """What both texts may rest on, as the parties see it (the model gets `redacted(facts)`)."""
    events = session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                             .order_by(ComplaintEvent.seq)).scalars().all()
    messages = session.execute(select(Message).where(Message.complaint_id == complaint.id)
                               .order_by(Message.created_at, Message.id)).scalars().all()
    steps = []
    for e in events:
        if e.note and e.action != "submit":
            steps.append({"day": _day(e.created_at), "role": label("roles", e.actor_role), "action": label("actions", e.action),
                          "note": _cut(e.note, 300), "business": e.actor_role in _BUSINESS_ROLES})
    thread = [{"day": _day(m.created_at), "role": label("roles", m.author_role), "body": _cut(m.body, 200),
               "business": m.author_role in _BUSINESS_ROLES} for m in messages[-8:]]
    return {
        "public_no": complaint.public_no or "",
        "title": complaint.title,
        "description": _cut(complaint.description, 1500),
        "business_name": complaint.business_name,
        "industry": INDUSTRY_NAMES.get(complaint.industry_code, complaint.industry_code),
        "category": CATEGORY_NAMES.get(complaint.category, complaint.category),
        "demands": [label("demands", d) for d in (complaint.demands or [])],
        "amount_claimed": format_yuan(complaint.amount_claimed_fen),
        "purchase_date": complaint.purchase_date.isoformat() if complaint.purchase_date else "",
        "filed": _day(complaint.created_at),
        "status": label("statuses", complaint.status),
        "deadline": _day(complaint.deadline_at),
        "steps": steps,
        "messages": thread,
        "message_count": len(messages),
    }


def redacted(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts with personal data removed (names, phones, ids, addresses, order numbers): what a model reads."""
    out = dict(facts, title=privacy.redact(facts["title"]), description=privacy.redact(facts["description"]))
    out["steps"] = [dict(x, note=privacy.redact(x["note"])) for x in facts["steps"]]
    out["messages"] = [dict(x, body=privacy.redact(x["body"])) for x in facts["messages"]]
    return out


def _query(facts: dict[str, Any]) -> str:
    return f"{facts['title']} {facts['category']}问题 要求{'、'.join(facts['demands'])}"


def retrieve_for(facts: dict[str, Any]) -> list[Hit]:
    """Articles for a complaint: its title, category and demands read like a consumer's question and are
    searched first; the narrative (which also carries words like 推脱 that pull in penalty rules) fills up."""
    first = retrieve(_query(facts))
    more = retrieve(facts["description"][:400]) if facts["description"] else []
    seen = {h.article.key for h in first}
    return (first + [h for h in more if h.article.key not in seen])[:MAX_CITATIONS]


def facts_text(facts: dict[str, Any]) -> str:
    """The facts as the model reads them (and the simulator echoes)."""
    lines = [f"投诉标题：{facts['title']}", f"被投诉商家：{facts['business_name']}",
             f"行业/类别：{facts['industry']}/{facts['category']}", f"消费者陈述：{facts['description']}",
             f"诉求：{'、'.join(facts['demands']) or '未填写'}"]
    if facts["amount_claimed"]:
        lines.append(f"涉及金额：{facts['amount_claimed']}元")
    if facts["purchase_date"]:
        lines.append(f"购买日期：{facts['purchase_date']}")
    lines.append(f"投诉日期：{facts['filed']}；当前状态：{facts['status']}")
    for s in facts["steps"]:
        lines.append(f"{s['day']} {s['role']}{s['action']}：{s['note']}")
    for m in facts["messages"]:
        lines.append(f"{m['day']} {m['role']}留言：{m['body']}")
    return "\n".join(lines)


def _citations(hits: list[Hit]) -> list[dict[str, str]]:
    return [h.article.citation() for h in hits]


def _scrub_list(items: list[str], hits: list[Hit]) -> list[str]:
    return [drop_unretrieved_citations(x, hits) for x in items if x.strip()]


def _result(kind: str, complaint: Complaint, text: str, points: list[str], hits: list[Hit], provider: str,
            notice: str, fallback_note: str = "", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": kind, "complaint_id": complaint.id, "text": text, "points": points,
            "citations": _citations(hits), "provider": provider, "ai_generated": provider == "llm",
            "notice": f"{fallback_note}{notice}" if fallback_note else notice, "sent": False, **(extra or {})}


# --- the business's reply ---------------------------------------------------------------------

def _local_reply(facts: dict[str, Any], hits: list[Hit], plan: str) -> tuple[str, list[str]]:
    demands = "、".join(facts["demands"]) or "您的诉求"
    no = f"（投诉编号 {facts['public_no']}）" if facts["public_no"] else ""
    parts = [f"您好！我们已收到您关于“{facts['title']}”的投诉{no}，对给您带来的不便深表歉意。",
             "经核实，【请填写核实的情况：订单、商品或服务的实际状况】。"]
    if hits:
        a = hits[0].article
        parts.append(f"根据《{a.law}》{a.label}的规定，对于您提出的{demands}，我们的处理方案是："
                     + (plan if plan else "【请填写具体方案：退货、退款、换货、维修或赔偿的金额与方式】") + "。")
    else:
        parts.append(f"对于您提出的{demands}，我们的处理方案是：" + (plan or "【请填写具体方案】") + "。")
    parts.append("【请填写办理时限和联系方式】。如有疑问，欢迎通过平台留言与我们联系。")
    points = ["核对订单、付款和发货记录是否与消费者陈述一致", "确认处理方案与消费者的诉求逐项对应",
              "删除或填写草稿中【】标出的内容"]
    if facts["deadline"]:
        points.insert(0, f"请在处理期限（{facts['deadline']}）前答复")
    return "\n".join(parts), points


def reply_messages(facts: dict[str, Any], hits: list[Hit], plan: str) -> list[dict[str, str]]:
    system = (
        "你是消费者投诉平台上帮助商家客服起草答复的助手。依据投诉事实和下面给出的法律条文，以商家的口吻起草一份"
        "礼貌、具体、可直接修改使用的中文答复：先回应消费者的诉求，说明依据（只能引用下面给出的条文，写明法律名称和条号），"
        "提出处理方案和办理时限；不承认投诉材料中没有的事实，不编造条文，不承诺商家没有同意的内容。"
        "商家尚未确定的内容用" + PLACEHOLDER_HINT + "标出。to_verify 列出发送前客服必须核实的事项。\n\n法律条文：\n"
        + (articles_block(hits) or "（未检索到相关条文）")
        + "\n\n请只输出一个 json 对象。json 示例：\n" + example_json(ReplyDraft)
    )
    user = facts_text(facts) + (f"\n商家拟定的处理方向：{plan}" if plan else "")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def reply_draft(session: Session, complaint: Complaint, settings: Mapping[str, Any],
                budget: llm.Budget | None = None, plan: str | None = None) -> dict[str, Any]:
    """{"kind": "reply_draft", "text", "points" (what to check before sending), "citations", "provider",
    "ai_generated", "notice", "sent": false}. Stores nothing, sends nothing."""
    plan = (plan or "").strip()[:MAX_PLAN_CHARS]
    facts = complaint_facts(session, complaint)
    hits = retrieve_for(facts)
    reason = None
    if llm.configured(settings):
        got = llm.complete_json(settings, reply_messages(redacted(facts), hits, privacy.redact(plan)), ReplyDraft, budget,
                                check=lambda v: grounded(v, hits, ("draft",)))
        if got.value is not None:
            return _result("reply_draft", complaint, got.value.draft, _scrub_list(got.value.to_verify, hits),
                           hits, "llm", REPLY_NOTICE)
        reason = got.reason
    text, points = _local_reply(facts, hits, plan)
    return _result("reply_draft", complaint, text, points, hits, "local", REPLY_NOTICE,
                   llm.FALLBACK_NOTES.get(reason or "", ""))


# --- the mediator's summary -------------------------------------------------------------------

def _local_summary(facts: dict[str, Any], hits: list[Hit], calc: dict[str, Any] | None,
                   cases: list[dict[str, str]]) -> tuple[str, list[str]]:
    demands = "、".join(facts["demands"]) or "未填写"
    amount = f"，涉及金额 {facts['amount_claimed']} 元" if facts["amount_claimed"] else ""
    parts = [f"【概要】{facts['filed']} 消费者投诉“{facts['business_name']}”（{facts['industry']}，{facts['category']}）：{facts['title']}。",
             f"【消费者陈述】{_cut(facts['description'], 300)}",
             f"【消费者诉求】{demands}{amount}。"]
    answers = [s for s in facts["steps"] if s["business"]] + [m | {"note": m["body"], "action": "留言"}
                                                           for m in facts["messages"] if m["business"]]
    if answers:
        parts.append("【商家答复】" + "；".join(f"{a['day']} {a['action']}：{a['note']}" for a in answers[-3:]) + "。")
    else:
        parts.append("【商家答复】商家尚未答复。")
    others = [s for s in facts["steps"] if not s["business"]]
    if others:
        parts.append("【处理经过】" + "；".join(f"{s['day']} {s['role']}{s['action']}：{s['note']}" for s in others[-3:]) + "。")
    counts = {"consumer": sum(not m["business"] for m in facts["messages"]), "business": sum(m["business"] for m in facts["messages"])}
    parts.append(f"【当前状态】{facts['status']}" + (f"，处理期限 {facts['deadline']}" if facts["deadline"] else "")
                 + f"；留言共 {facts['message_count']} 条（最近 {len(facts['messages'])} 条中消费者 {counts['consumer']} 条、商家 {counts['business']} 条）。")
    if hits:
        parts.append("【可能适用的条文】" + "；".join(f"《{h.article.law}》{h.article.label}" for h in hits) + "。")
    if calc:
        parts.append(f"【赔偿测算（如认定{'欺诈' if calc['basis'] == 'fraud' else '相应情形'}）】依据《{calc['law']}》{calc['article']}："
                     f"{calc['computation']}。")
    if cases:
        parts.append("【类似案例】" + "；".join(c["name"] for c in cases) + "。")
    points = []
    if not answers:
        points.append("商家是否已知悉投诉、何时答复")
    if facts["demands"]:
        points.append(f"消费者的诉求（{demands}）是否有事实和法律依据")
    points.append("双方对事实的陈述是否一致，证据是否充分")
    return "\n".join(parts), points


def summary_messages(facts: dict[str, Any], hits: list[Hit]) -> list[dict[str, str]]:
    system = (
        "你是消费者协会调解员的助手。请依据投诉材料，为调解员写一份中立、客观的案情摘要：不偏向任何一方，"
        "不作结论性的责任认定，只陈述材料中有的事实；分别概括消费者的主张和商家的答复（商家没有答复就写“商家尚未答复”），"
        "列出争议焦点；需要引用法律时只能引用下面给出的条文，写明法律名称和条号，不要编造条文。\n\n法律条文：\n"
        + (articles_block(hits) or "（未检索到相关条文）")
        + "\n\n请只输出一个 json 对象。json 示例：\n" + example_json(CaseSummary)
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": facts_text(facts)}]


def case_summary(session: Session, complaint: Complaint, settings: Mapping[str, Any],
                 budget: llm.Budget | None = None) -> dict[str, Any]:
    """{"kind": "case_summary", "text", "points" (disputed points), "citations", "provider", "ai_generated",
    "notice", "sent": false, "compensation", "cases"}. Stores nothing."""
    facts = complaint_facts(session, complaint)
    query = _query(facts)
    hits = retrieve_for(facts)
    keys = [h.article.key for h in hits]
    calc = compensation.for_question(f"{facts['title']} {facts['description']}", set(keys))
    cases = [c.public() for c in similar_cases(query, keys)]
    extra = {"compensation": calc, "cases": cases}
    reason = None
    if llm.configured(settings):
        got = llm.complete_json(settings, summary_messages(redacted(facts), hits), CaseSummary, budget,
                                check=lambda v: grounded(v, hits, ("summary",)))
        if got.value is not None:
            v = got.value
            text = "\n".join([f"【概要】{v.summary}",
                              f"【消费者主张】{drop_unretrieved_citations(v.consumer_position, hits)}",
                              f"【商家答复】{drop_unretrieved_citations(v.business_position, hits)}"])
            return _result("case_summary", complaint, text, _scrub_list(v.disputed_points, hits), hits, "llm",
                           SUMMARY_NOTICE, extra=extra)
        reason = got.reason
    text, points = _local_summary(facts, hits, calc, cases)
    return _result("case_summary", complaint, text, points, hits, "local", SUMMARY_NOTICE,
                   llm.FALLBACK_NOTES.get(reason or "", ""), extra)
