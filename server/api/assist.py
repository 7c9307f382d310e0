"""The AI assistant over HTTP: consumer-rights answers from the law, complaint classification, and help for
the other parties (a reply draft for the business, a case summary for the mediator).

Model use is bounded three ways: ASSIST_RATE_LIMIT per caller (each endpoint its own window), a daily
token budget for the platform (LLM_DAILY_TOKEN_BUDGET) and per caller (LLM_CALLER_DAILY_TOKEN_BUDGET),
counted where the rate limits are (Redis, else the database; `TokenBudget`), and at most
ASSIST_MAX_STREAMS model streams at once per process. Past any of them the answer comes from retrieval,
saying so in Chinese. Streams run on gunicorn's gthread workers (deploy/gunicorn.conf.py): a stream
holds one thread of a worker, not the worker.
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from datetime import UTC, datetime
from typing import Any, Literal

from flask import Blueprint, Response, current_app, stream_with_context
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.context import db_session, settings
from server.api.limits import _caller, check_assist_limit, limits_of
from server.api.operation import operation
from server.core.assist import llm
from server.core.assist.classify import classify
from server.core.assist.consult import consult, consult_stream
from server.core.assist.drafting import MAX_PLAN_CHARS, case_summary, reply_draft
from server.core.collective import filing_hints
from server.core.complaints.visibility import get_visible_complaint, parties
from server.core.errors import Forbidden
from server.core.models import Business
from server.core.timeutil import local_today

bp = Blueprint("assist", __name__)
log = logging.getLogger(__name__)
TOKEN_UNIT = 100  # the budget is counted in units of 100 tokens, each call rounded up


class TokenBudget:
    """llm.Budget on the rate limits' storage: one counter per Asia/Shanghai day for the platform and one per
    caller. Checked before each model call, added to after it, so concurrent calls can pass the budget by at
    most their own use (each is capped at LLM_MAX_TOKENS of output)."""

    def __init__(self, app, actor, cfg):
        self.limits = limits_of(app)
        day = local_today(datetime.now(UTC)).isoformat()
        self.total = int(cfg.get("LLM_DAILY_TOKEN_BUDGET") or 0)
        self.per_caller = int(cfg.get("LLM_CALLER_DAILY_TOKEN_BUDGET") or 0)
        self.day_key = f"llm_tokens:{day}"
        self.caller_key = f"llm_tokens:{day}:{_caller(actor)}"

    def _get(self, key: str) -> int:
        return int(self.limits.run(lambda limiter: limiter.storage.get(key)) or 0) * TOKEN_UNIT

    def refusal(self) -> str | None:
        try:
            if self.total and self._get(self.day_key) >= self.total:
                return "budget"
            if self.per_caller and self._get(self.caller_key) >= self.per_caller:
                return "caller_budget"
        except Exception as exc:  # noqa: BLE001 - neither storage answers: do not spend unknown money
            log.warning("token budget unreadable (%s); answering locally", type(exc).__name__)
            return "budget"
        return None

    def spend(self, tokens: int) -> None:
        units = max(1, math.ceil(tokens / TOKEN_UNIT))
        for key, on in ((self.day_key, self.total), (self.caller_key, self.per_caller)):
            if on:
                try:
                    self.limits.run(lambda limiter, k=key: limiter.storage.incr(k, 2 * 86400, amount=units))
                except Exception as exc:  # noqa: BLE001 - a lost count must not fail an answer already given
                    log.warning("token budget not recorded (%s)", type(exc).__name__)


class _Busy:
    """The budget of a stream that found no free slot: no model call."""

    def refusal(self) -> str | None:
        return "busy"

    def spend(self, tokens: int) -> None:
        return None


_slots_lock = threading.Lock()


def _stream_slots(app, cfg) -> threading.BoundedSemaphore:
    slots = app.extensions.get("smart315.assist_streams")
    if slots is None:
        with _slots_lock:
            slots = app.extensions.get("smart315.assist_streams")
            if slots is None:
                slots = app.extensions["smart315.assist_streams"] = threading.BoundedSemaphore(
                    max(1, int(cfg["ASSIST_MAX_STREAMS"])))
    return slots


def _warm(state) -> None:
    """Build the retrieval index (jieba's dictionary, 2,000 articles, the cases) in a background thread when
    the app is created, so the first /consult of a worker does not wait seconds for it."""
    cfg = state.app.config["SMART315"]
    if cfg.get("ASSIST_INDEX_CACHE_DIR") not in (None, "", "off") and not cfg.get("SMART315_TESTING"):
        from server.core.assist.retrieval import configure_cache

        configure_cache(cfg["ASSIST_INDEX_CACHE_DIR"])
    if not cfg["ASSIST_WARM_INDEX"] or cfg.get("SMART315_TESTING"):
        return  # tests build it when they need it

    def build() -> None:
        started = time.perf_counter()
        try:
            from server.core.assist.cases import similar_cases
            from server.core.assist.retrieval import get_index

            get_index().search("预热", 1)  # the first search also loads jieba's dictionary
            similar_cases("预热", [])
            log.info("retrieval index ready in %.2f s", time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - the first request builds it again and reports
            log.exception("warming the retrieval index failed")

    thread = threading.Thread(target=build, name="smart315-assist-warm", daemon=True)
    thread.start()
    state.app.extensions["smart315.assist_warm"] = thread


bp.record_once(_warm)


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=4000)


class ConsultIn(BaseModel):
    question: str = Field(max_length=1000)
    history: list[Turn] | None = Field(None, max_length=20)
    stream: bool = False
    amount_claimed: str | None = Field(None, max_length=20, description="投诉中的索赔金额（元），用于赔偿测算")


class Citation(BaseModel):
    law: str
    article: str
    text: str


class CaseOut(BaseModel):
    name: str
    title: str
    holding: str
    facts: str
    source: str


class Compensation(BaseModel):
    basis: Literal["fraud", "food", "known_defect"]
    law: str
    article: str
    amount: str
    amount_fen: int
    computation: str
    minimum: str | None = None
    price: str | None = None
    loss: str | None = None
    note: str


class ConsultOut(BaseModel):
    answer: str
    citations: list[Citation]
    provider: Literal["local", "llm"]
    ai_generated: bool = False
    cases: list[CaseOut] = []
    compensation: Compensation | None = None
    next_steps: list[str] = []
    evidence: list[str] = []
    disclaimer: str = ""
    notice: str = Field("", description="答案不是模型撰写时的原因（如今日模型用量已达上限）；为空表示无需提示")


class ClassifyIn(BaseModel):
    text: str = Field(max_length=5000)


class Candidate(BaseModel):
    id: int
    name: str
    score: float


class ClassifyOut(BaseModel):
    industry_code: str
    category: str
    confidence: float
    business_candidates: list[Candidate]
    duplicate_of: list[dict[str, Any]] = []
    collective_suggestion: dict[str, Any] | None = Field(
        None, description="可加入的集体投诉（针对同一商家、尚未结束）{id, title, members}；加入用 POST /complaints/{id}/join")


_names_lock = threading.Lock()


def business_names() -> list[tuple[int, str]]:
    """Names of businesses on the platform, refreshed every minute: fuzzy matching needs them all in memory."""
    cache = current_app.extensions.setdefault("smart315.business_names", {"at": -1e9, "names": []})
    with _names_lock:
        if time.monotonic() - cache["at"] > 60:
            rows = db_session().execute(select(Business.id, Business.name).where(Business.status == "verified"))
            cache["names"] = [(r[0], r[1]) for r in rows]
            cache["at"] = time.monotonic()
        return cache["names"]


@bp.post("/consult")
@operation(summary="维权咨询：依据法律条文回答并引用条文（stream=true 时以 SSE 流式返回）", body=ConsultIn,
           response=ConsultOut, auth="optional", tags=("assist",), errors=(422, 429, 503))
def consult_view(body: ConsultIn, actor):
    check_assist_limit(actor, "consult")
    history = [t.model_dump() for t in body.history] if body.history else None
    # The question is user text (and may go to a paid model): a risky one is refused before either.
    from server.core import moderation

    moderation.enforce(moderation.check_text(body.question, user=actor.user if actor else None, scene="consult",
                                             settings=settings()))
    cfg = settings()
    budget = TokenBudget(current_app, actor, cfg)
    if not body.stream:
        return consult(body.question, history, cfg, amount_claimed=body.amount_claimed, budget=budget)
    # A model stream holds a thread for its whole length: at most ASSIST_MAX_STREAMS at once in this process;
    # past that the answer is streamed from retrieval at once.
    slots = _stream_slots(current_app, cfg)
    held = llm.configured(cfg) and slots.acquire(blocking=False)
    meta: dict[str, Any] = {}
    try:
        chunks = consult_stream(body.question, history, cfg, meta, amount_claimed=body.amount_claimed,
                                budget=budget if held or not llm.configured(cfg) else _Busy())
        first = next(chunks, "")  # validates the question before the response starts
    except BaseException:
        if held:
            slots.release()
        raise

    def events():
        try:
            yield f"event: citations\ndata: {json.dumps(meta.get('citations', []), ensure_ascii=False)}\n\n"
            for chunk in _chain(first, chunks):
                yield f"data: {json.dumps({'delta': chunk}, ensure_ascii=False)}\n\n"
            done = {"provider": meta.get("provider", "local"), "ai_generated": bool(meta.get("ai_generated"))}
            done.update({k: meta.get(k) for k in ("cases", "compensation", "next_steps", "evidence", "disclaimer",
                                                   "notice")})
            yield f"event: done\ndata: {json.dumps(done, ensure_ascii=False)}\n\n"
        finally:
            chunks.close()

    resp = Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    if held:
        # On close, not at the generator's end: a response closed before its first chunk frees the slot too.
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                slots.release()

        resp.call_on_close(release)
    return resp


# stream=true: Server-Sent Events; each event is described as OpenAPI 3.2 does (event name, JSON text in data).
consult_view._openapi["alt_content"] = {"text/event-stream": {"type": "object", "required": ["data"], "properties": {
    "event": {"type": "string"}, "data": {"type": "string"}}}}


def _chain(first: str, rest):
    if first:
        yield first
    yield from rest


@bp.post("/assist/classify")
@operation(summary="根据投诉描述推荐行业、类别和平台上的商家；提示可能的重复投诉和可加入的集体投诉", body=ClassifyIn,
           response=ClassifyOut, auth="optional", tags=("assist",), errors=(429,))
def classify_view(body: ClassifyIn, actor):
    check_assist_limit(actor, "classify")
    result = classify(body.text, business_names())
    # Your own open complaint against a candidate (duplicate_of), or an open collective case to join.
    return result | filing_hints(db_session(), actor, [c["id"] for c in result["business_candidates"]])


# --- help for the other parties (issue 20 item 5) ----------------------------------------------

class ReplyDraftIn(BaseModel):
    plan: str | None = Field(None, max_length=MAX_PLAN_CHARS,
                             description="商家拟定的处理方向（可选），如“同意退货退款，运费由我方承担”")


class AssistTextOut(BaseModel):
    kind: Literal["reply_draft", "case_summary"]
    complaint_id: int
    text: str = Field(description="草稿或摘要正文；商家答复草稿中【】标出需要填写或核实的内容")
    points: list[str] = Field(description="答复草稿：发送前需要核实的事项；案情摘要：争议焦点")
    citations: list[Citation]
    provider: Literal["local", "llm"]
    ai_generated: bool = Field(description="是否由大模型撰写（为 false 时由系统依据材料和条文整理）")
    notice: str = Field(description="提示：自动生成、仅供参考、不会自动发送")
    sent: Literal[False] = Field(False, description="始终为 false：系统从不代为发送或保存")
    compensation: Compensation | None = None
    cases: list[CaseOut] = []


@bp.post("/complaints/<int:complaint_id>/assist/reply-draft")
@operation(summary="商家答复草稿（被投诉商家的员工或其 API 密钥）：依据投诉事实和检索到的法律条文生成，"
                   "标明是否由 AI 撰写；不保存、不发送，请修改后通过“答复”或留言发送",
           body=ReplyDraftIn, response=AssistTextOut, tags=("assist",), errors=(403, 404, 422, 429), api_key=True)
def reply_draft_view(complaint_id: int, body: ReplyDraftIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    if "business" not in parties(actor, c):
        raise Forbidden("只有被投诉商家的员工可以生成答复草稿")
    check_assist_limit(actor, "reply_draft")
    cfg = settings()
    if body.plan and body.plan.strip():
        from server.core import moderation

        moderation.enforce(moderation.check_text(body.plan, user=actor.user, scene="reply", settings=cfg))
    out = reply_draft(s, c, cfg, TokenBudget(current_app, actor, cfg), plan=body.plan)
    s.rollback()  # nothing is stored: the draft is the caller's to edit and send
    return out


@bp.post("/complaints/<int:complaint_id>/assist/summary")
@operation(summary="调解员案情摘要（投诉所在辖区的调解员、管理员）：中立概括双方陈述、争议焦点和可能适用的条文，"
                   "标明是否由 AI 撰写；不保存、不发送",
           response=AssistTextOut, tags=("assist",), errors=(403, 404, 429))
def case_summary_view(complaint_id: int, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    if "mediator" not in parties(actor, c):
        raise Forbidden("只有负责该投诉的调解员可以查看案情摘要")
    check_assist_limit(actor, "case_summary")
    cfg = settings()
    out = case_summary(s, c, cfg, TokenBudget(current_app, actor, cfg))
    s.rollback()
    return out
