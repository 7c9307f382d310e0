"""The AI assistant over HTTP: consumer-rights answers from the law, and complaint classification."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Literal

from flask import Blueprint, Response, current_app, stream_with_context
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.context import db_session, settings
from server.api.limits import check_assist_limit
from server.api.operation import operation
from server.core.assist.classify import classify
from server.core.assist.consult import consult, consult_stream
from server.core.complaints.states import OPEN_STATES
from server.core.models import Business, Complaint

bp = Blueprint("assist", __name__)


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
    if not body.stream:
        return consult(body.question, history, settings(), amount_claimed=body.amount_claimed)
    meta: dict[str, Any] = {}
    chunks = consult_stream(body.question, history, settings(), meta, amount_claimed=body.amount_claimed)  # validates before the first chunk
    first = next(chunks, "")

    def events():
        yield f"event: citations\ndata: {json.dumps(meta.get('citations', []), ensure_ascii=False)}\n\n"
        for chunk in _chain(first, chunks):
            yield f"data: {json.dumps({'delta': chunk}, ensure_ascii=False)}\n\n"
        done = {"provider": meta.get("provider", "local"), "ai_generated": bool(meta.get("ai_generated"))}
        done.update({k: meta.get(k) for k in ("cases", "compensation", "next_steps", "evidence", "disclaimer")})
        yield f"event: done\ndata: {json.dumps(done, ensure_ascii=False)}\n\n"

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# stream=true: Server-Sent Events; each event is described as OpenAPI 3.2 does (event name, JSON text in data).
consult_view._openapi["alt_content"] = {"text/event-stream": {"type": "object", "required": ["data"], "properties": {
    "event": {"type": "string"}, "data": {"type": "string"}}}}


def _chain(first: str, rest):
    if first:
        yield first
    yield from rest


@bp.post("/assist/classify")
@operation(summary="根据投诉描述推荐行业、类别和平台上的商家；提示可能的重复投诉", body=ClassifyIn,
           response=ClassifyOut, auth="optional", tags=("assist",), errors=(429,))
def classify_view(body: ClassifyIn, actor):
    check_assist_limit(actor, "classify")
    result = classify(body.text, business_names())
    result["duplicate_of"] = []
    if actor is not None and actor.user_id is not None and result["business_candidates"]:
        ids = [c["id"] for c in result["business_candidates"]]
        rows = db_session().execute(
            select(Complaint.id, Complaint.public_no, Complaint.business_id, Complaint.status)
            .where(Complaint.consumer_id == actor.user_id, Complaint.business_id.in_(ids),
                   Complaint.status.in_(OPEN_STATES))).all()
        result["duplicate_of"] = [{"id": r[0], "public_no": r[1], "business_id": r[2], "status": r[3],
                                   "message": f"您已有一件针对该商家的投诉正在处理中（{r[1]}），请勿重复投诉"}
                                  for r in rows]
    return result
