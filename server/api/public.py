"""Public disclosure: statistics, rankings, industries, anonymised complaints, the index method, monthly
disclosures; plus the admin's index weights. Public reads go through the public cache (server.core.cache)."""
from __future__ import annotations

import statistics
import threading
from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, func, select, text
from sqlalchemy.orm import Session

from server import http_cache
from server.api.common import db_session, operation, settings
from server.api.schemas import PageQuery, Strict
from server.core import cache as public_cache
from server.core.assist.taxonomy import INDUSTRY_NAMES
from server.core.errors import Forbidden
from server.core.models import (
    Business,
    BusinessIndex,
    Complaint,
    Disclosure,
    IndexHistory,
    Industry,
    User,
    utcnow,
)
from server.core.money import format_yuan
from server.core.publication import public_clause, public_text
from server.core.reference import region_full_name
from server.core.scoring.actions import MEANS_NOTE, get_weights, set_weights
from server.core.scoring.disclosure import check_period, get_disclosure
from server.core.scoring.formula import DEFAULT_DEADLINE_HOURS, FORMULA_VERSION, describe_method
from server.core.scoring.stats import window_start
from server.core.timeutil import SHANGHAI, to_iso
from server.db import sqlite_write_intent

bp = Blueprint("public", __name__)
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
REGION = r"^\d{2}(\d{2}(\d{2})?)?$"


@bp.record_once
def _configure(state) -> None:
    public_cache.configure(state.app.config["SMART315"])


def cache() -> public_cache.PublicCache:
    app = current_app
    c = app.extensions.get("smart315.public_cache")
    if c is None:
        c = app.extensions["smart315.public_cache"] = public_cache.PublicCache(
            app.extensions.get("smart315.redis"),
            fresh_seconds=app.config["SMART315"]["PUBLIC_CACHE_SECONDS"])
    return c


def _in_background(fn) -> None:
    """Run a stale aggregate's refresh in a thread with its own app context (and so its own session)."""
    app = current_app._get_current_object()

    def run() -> None:
        sqlite_write_intent.set(False)  # a read-only refresh must not take SQLite's write lock
        with app.app_context():
            fn()

    threading.Thread(target=run, name="smart315-cache-refresh", daemon=True).start()


def on_replica(compute):
    """Compute a public aggregate on the read replica (DATABASE_REPLICA_URL) when one is configured, else on
    the request's session. Only aggregates, which are cached on a freshness window anyway, read there: the
    replica's delay adds to that window. A business profile (exact after each commit) and the index
    method (the admin sees new weights at once) read the primary. See Database.on_replica."""
    return current_app.extensions["smart315.db"].on_replica(compute, db_session)


def cached(key: str, compute, scope: str | None = None, exact: bool = False):
    """A JSON response straight from the cache's stored text (a hit is neither decoded nor re-encoded).

    The request is marked with its cache key, so the fast path in front of Flask (server/fastpath.py)
    can answer the same anonymous request from memory next time."""
    text = cache().get_or_set_text(key, compute, scope=scope, background=_in_background)
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    view = current_app.view_functions.get(request.endpoint)
    # An operation with auth="none" never looks at credentials: a token sent with it changes nothing.
    auth_free = getattr(view, "_openapi", {}).get("auth") == "none"
    request.environ["smart315.cached"] = (key, scope, rule, auth_free)
    etag = http_cache.etag_for(text)
    headers = {"ETag": etag, "Cache-Control": http_cache.cache_control(settings(), exact=exact)}
    if http_cache.not_modified(request.headers.get("If-None-Match"), etag):
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(text, mimetype="application/json", headers=headers)


# ------------------------------------------------------------------ schemas

class StatsMonth(BaseModel):
    month: str
    complaints: int
    resolved: int
    amount_recovered: str


class StatsOut(BaseModel):
    consumers: int
    businesses: int
    complaints_total: int
    complaints_resolved: int
    amount_recovered: str = Field(description="元，两位小数的字符串")
    resolution_rate: float | None = Field(description="已解决 ÷ 已办结（有结果的投诉），0–1")
    by_month: list[StatsMonth]


class RankingQuery(PageQuery):
    industry: str | None = Field(None, max_length=32)
    region: str | None = Field(None, pattern=REGION)
    period: str | None = Field(None, pattern=PERIOD, description="YYYY-MM：该月月末的指数；不填为当前指数")
    insufficient: bool = Field(False, description="true：列出投诉量不足、不参与排名的经营者")


class RankingItem(BaseModel):
    rank: int | None
    business_id: int
    name: str
    industry_code: str
    industry_name: str | None
    region_code: str
    region_name: str
    score: float | None
    grade: str | None
    insufficient: bool
    n_complaints: int
    components: dict[str, float] = {}


class RankingList(BaseModel):
    items: list[RankingItem]
    page: int
    per_page: int
    total: int
    period: str | None
    ranked_total: int
    insufficient_total: int
    formula_version: str


class IndustryStat(BaseModel):
    code: str
    name: str
    businesses: int
    rated_businesses: int
    complaints: int
    resolved: int
    resolution_rate: float | None
    median_response_hours: float | None
    mean_index: float | None


class IndustryStatList(BaseModel):
    items: list[IndustryStat]


class PublicComplaintQuery(PageQuery):
    business_id: int | None = Field(None, ge=1)
    industry: str | None = Field(None, max_length=32)


class PublicComplaint(BaseModel):
    public_no: str | None
    business_id: int | None
    business_name: str
    industry_code: str
    industry_name: str | None
    region_code: str
    region_name: str
    category: str
    title: str
    description: str
    status: str
    outcome: str | None
    amount_claimed: str | None
    amount_recovered: str | None
    rating: int | None
    created_at: str | None
    business_reply: dict[str, Any] | None = Field(None, description="商家的公开回复 {text, replied_at}；没有时为 null")


class PublicComplaintList(BaseModel):
    items: list[PublicComplaint]
    page: int
    per_page: int
    total: int


class IndexMethodOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    version: str
    effective_date: str = Field(description="本版本施行日期")
    versions: list[dict[str, str]] = Field(description="各版本及其变更（新在前）：version, date, changes")
    counting: dict[str, Any] = Field(description="哪些投诉计入、哪些不计入及原因（counted, not_counted, why, appeals, "
                                                 "past_periods）")
    window_days: int
    components: list[dict[str, Any]]
    min_complaints: int
    grades: list[dict[str, Any]]
    industry_means: str


class DisclosureItem(BaseModel):
    period: str
    published_at: str | None
    sha256: str
    csv_url: str
    json_url: str
    # The signed audit checkpoint of every timeline's head written when the month was published (the
    # operator publishes the file itself and the public key; `smart315 audit verify --against FILE`).
    audit_checkpoint_name: str | None = None
    audit_checkpoint_sha256: str | None = None


class DisclosureList(BaseModel):
    items: list[DisclosureItem]
    page: int
    per_page: int
    total: int


class DisclosureDoc(BaseModel):
    model_config = ConfigDict(extra="allow")
    period: str
    formula_version: str
    columns: list[dict[str, str]]
    row_count: int
    rows: list[dict[str, str]]


class WeightsIn(Strict):
    weights: dict[str, float]


class WeightsOut(BaseModel):
    weights: dict[str, float]
    recompute: dict[str, Any] | None = None


# ------------------------------------------------------------------ helpers

def _month(col, postgres: bool):
    if postgres:
        return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM")
    return func.strftime("%Y-%m", col, "+8 hours")


def _last_months(now: datetime, n: int = 12) -> list[str]:
    local = now.astimezone(SHANGHAI)
    y, m = local.year, local.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))


def _is_pg(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ------------------------------------------------------------------ statistics

def compute_stats(s: Session, now: datetime) -> dict[str, Any]:
    pg = _is_pg(s)
    consumers = s.execute(select(func.count()).select_from(User).where(
        User.kind == "consumer", User.deleted_at.is_(None))).scalar_one()
    businesses = s.execute(select(func.count()).select_from(Business).where(Business.status == "verified")).scalar_one()
    resolved = Complaint.outcome == "resolved"
    total, n_resolved, n_ended, recovered = s.execute(select(
        func.count(), func.sum(case((resolved, 1), else_=0)),
        func.sum(case((Complaint.outcome.is_not(None), 1), else_=0)),
        func.sum(case((resolved, Complaint.amount_recovered_fen), else_=0)))).one()
    months = _last_months(now)
    start = datetime.strptime(months[0] + "-01", "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    filed = dict(s.execute(select(_month(Complaint.created_at, pg), func.count())
                           .where(Complaint.created_at >= start).group_by(text("1"))).all())
    ended = {m: (int(n or 0), int(a or 0)) for m, n, a in s.execute(
        select(_month(Complaint.ended_at, pg), func.count(), func.sum(Complaint.amount_recovered_fen))
        .where(resolved, Complaint.ended_at >= start).group_by(text("1"))).all()}
    return {
        "consumers": consumers, "businesses": businesses, "complaints_total": int(total or 0),
        "complaints_resolved": int(n_resolved or 0), "amount_recovered": format_yuan(int(recovered or 0)),
        "resolution_rate": _rate(int(n_resolved or 0), int(n_ended or 0)),
        "by_month": [{"month": m, "complaints": int(filed.get(m, 0)), "resolved": ended.get(m, (0, 0))[0],
                      "amount_recovered": format_yuan(ended.get(m, (0, 0))[1])} for m in months],
    }


@bp.get("/public/stats")
@operation(summary="平台总体数据：注册消费者、入驻商家、投诉、解决、挽回金额、解决率、近 12 个月", response=StatsOut,
           auth="none", tags=("public",))
def stats():
    return cached("stats", lambda: on_replica(lambda s: compute_stats(s, utcnow())))


# ------------------------------------------------------------------ rankings

def compute_rankings(s: Session, q: RankingQuery) -> dict[str, Any]:
    if q.period:
        src = IndexHistory
        flag = IndexHistory.grade.is_(None)
        base = (select(IndexHistory, Business).join(Business, Business.id == IndexHistory.business_id)
                .where(IndexHistory.period == q.period))
    else:
        src = BusinessIndex
        flag = BusinessIndex.insufficient.is_(True)
        base = select(BusinessIndex, Business).join(Business, Business.id == BusinessIndex.business_id)
    base = base.where(Business.status == "verified")
    if q.industry:
        base = base.where(Business.industry_code == q.industry)
    if q.region:
        base = base.where(Business.region_code.startswith(q.region))
    ranked_total = s.execute(select(func.count()).select_from(base.where(~flag).subquery())).scalar_one()
    insufficient_total = s.execute(select(func.count()).select_from(base.where(flag).subquery())).scalar_one()
    if q.insufficient:
        stmt = base.where(flag).order_by(src.n_complaints.desc(), Business.id)
        total = insufficient_total
    else:
        stmt = base.where(~flag).order_by(src.score.desc(), Business.id)
        total = ranked_total
    offset = (q.page - 1) * q.per_page
    rows = s.execute(stmt.limit(q.per_page).offset(offset)).all()
    items = []
    for i, (idx, b) in enumerate(rows):
        insufficient = idx.grade is None if q.period else idx.insufficient
        items.append({
            "rank": None if q.insufficient else offset + i + 1, "business_id": b.id, "name": b.name,
            "industry_code": b.industry_code, "industry_name": INDUSTRY_NAMES.get(b.industry_code),
            "region_code": b.region_code, "region_name": region_full_name(b.region_code),
            "score": idx.score, "grade": idx.grade, "insufficient": insufficient, "n_complaints": idx.n_complaints,
            "components": {} if q.period else dict(idx.components or {}),
        })
    return {"items": items, "page": q.page, "per_page": q.per_page, "total": total, "period": q.period,
            "ranked_total": ranked_total, "insufficient_total": insufficient_total,
            "formula_version": FORMULA_VERSION}


@bp.get("/public/rankings")
@operation(summary="投诉处理指数排名（按行业、地区、月份）；投诉量不足者不参与排名，用 insufficient=true 单独列出",
           query=RankingQuery, response=RankingList, auth="none", tags=("public",))
def rankings(query: RankingQuery):
    key = f"rankings:{query.industry}:{query.region}:{query.period}:{query.insufficient}:{query.page}:{query.per_page}"
    return cached(key, lambda: on_replica(lambda s: compute_rankings(s, query)))


# ------------------------------------------------------------------ industries

def compute_industries(s: Session, now: datetime) -> dict[str, Any]:
    pg = _is_pg(s)
    resolved = Complaint.outcome == "resolved"
    counts = {code: (int(n), int(r or 0), int(e or 0)) for code, n, r, e in s.execute(
        select(Complaint.industry_code, func.count(), func.sum(case((resolved, 1), else_=0)),
               func.sum(case((Complaint.outcome.is_not(None), 1), else_=0))).group_by(Complaint.industry_code))}
    biz = dict(s.execute(select(Business.industry_code, func.count()).where(Business.status == "verified")
                         .group_by(Business.industry_code)).all())
    idx = {code: (int(n), m) for code, n, m in s.execute(
        select(BusinessIndex.industry_code, func.count(), func.avg(BusinessIndex.score))
        .where(BusinessIndex.insufficient.is_(False)).group_by(BusinessIndex.industry_code))}
    answered = and_(Complaint.first_response_at.is_not(None), Complaint.forwarded_at >= window_start(now))
    medians: dict[str, float | None] = {}
    if pg:
        hours = func.extract("epoch", Complaint.first_response_at - Complaint.forwarded_at) / 3600.0
        medians = {code: (None if m is None else float(m)) for code, m in s.execute(
            select(Complaint.industry_code, func.percentile_cont(0.5).within_group(hours))
            .where(answered).group_by(Complaint.industry_code))}
    else:
        per: dict[str, list[float]] = {}
        for code, fwd, first in s.execute(select(Complaint.industry_code, Complaint.forwarded_at,
                                                 Complaint.first_response_at).where(answered)):
            per.setdefault(code, []).append((first - fwd).total_seconds() / 3600.0)
        medians = {code: statistics.median(v) for code, v in per.items()}
    items = []
    for ind in s.execute(select(Industry).order_by(Industry.sort, Industry.code)).scalars():
        n, r, e = counts.get(ind.code, (0, 0, 0))
        rated, mean = idx.get(ind.code, (0, None))
        med = medians.get(ind.code)
        items.append({"code": ind.code, "name": ind.name, "businesses": int(biz.get(ind.code, 0)),
                      "rated_businesses": rated, "complaints": n, "resolved": r, "resolution_rate": _rate(r, e),
                      "median_response_hours": None if med is None else round(med, 1),
                      "mean_index": None if mean is None else round(float(mean), 1)})
    return {"items": items}


@bp.get("/public/industries")
@operation(summary="各行业投诉量、解决率、首次答复时间中位数（小时，近 365 天）、平均指数", response=IndustryStatList,
           auth="none", tags=("public",))
def industries():
    return cached("industries", lambda: on_replica(lambda s: compute_industries(s, utcnow())))


# ------------------------------------------------------------------ anonymised complaints

def compute_public_complaints(s: Session, q: PublicComplaintQuery) -> dict[str, Any]:
    cond = public_clause()
    if q.business_id is not None:
        cond = and_(cond, Complaint.business_id == q.business_id)
    if q.industry:
        cond = and_(cond, Complaint.industry_code == q.industry)
    total = s.execute(select(func.count()).select_from(Complaint).where(cond)).scalar_one()
    rows = s.execute(select(Complaint, User.display_name).outerjoin(User, User.id == Complaint.consumer_id)
                     .where(cond).order_by(Complaint.created_at.desc(), Complaint.id.desc())
                     .limit(q.per_page).offset((q.page - 1) * q.per_page)).all()
    from server.core.casefile import replies_of, reply_json

    replies = replies_of(s, [c.id for c, _ in rows])
    items = []
    for c, display_name in rows:
        text = public_text(c, display_name)
        items.append({
            "public_no": c.public_no, "business_id": c.business_id, "business_name": c.business_name,
            "industry_code": c.industry_code, "industry_name": INDUSTRY_NAMES.get(c.industry_code),
            "region_code": c.region_code, "region_name": region_full_name(c.region_code), "category": c.category,
            "title": text["title"], "description": text["description"], "status": c.status,
            "outcome": c.outcome, "amount_claimed": format_yuan(c.amount_claimed_fen),
            "amount_recovered": format_yuan(c.amount_recovered_fen), "rating": c.rating,
            "created_at": to_iso(c.created_at), "business_reply": reply_json(replies.get(c.id)),
        })
    return {"items": items, "page": q.page, "per_page": q.per_page, "total": total}


@bp.get("/public/complaints")
@operation(summary="消费者同意公开、已受理并经调解员审核同意公开的投诉（任何人的姓名、电话、身份证号、出生日期、邮箱、"
                   "银行卡号、详细地址、车牌号、QQ/微信号、订单号已脱敏）",
           query=PublicComplaintQuery, response=PublicComplaintList, auth="none", tags=("public",))
def public_complaints(query: PublicComplaintQuery):
    key = f"complaints:{query.business_id}:{query.industry}:{query.page}:{query.per_page}"
    return cached(key, lambda: on_replica(lambda s: compute_public_complaints(s, query)))


# ------------------------------------------------------------------ index method and weights

def method_doc(s: Session) -> dict[str, Any]:
    doc = describe_method(get_weights(s), DEFAULT_DEADLINE_HOURS)
    doc["industry_means"] = MEANS_NOTE
    doc["window_rule"] = ("“待答复”指尚未答复且未转入调解的投诉（仍在响应期内，或在响应期内撤回），不计入应答复投诉；"
                          "未答复即超期转入调解的投诉按用满期限计。")
    return doc


@bp.get("/public/index-method")
@operation(summary="投诉处理指数的计算方法、版本和当前权重", response=IndexMethodOut, auth="none", tags=("public",))
def index_method():
    return cached("index-method", lambda: method_doc(db_session()), exact=True)


def _require_admin(actor) -> None:
    if actor is None or not actor.is_admin:
        raise Forbidden("只有管理员可以设置指数权重")


@bp.get("/admin/index-weights")
@operation(summary="当前指数权重（管理员）", response=WeightsOut, tags=("admin",), errors=(403,))
def get_index_weights(actor):
    _require_admin(actor)
    return {"weights": get_weights(db_session()), "recompute": None}


@bp.put("/admin/index-weights")
@operation(summary="设置指数权重（管理员）；保存后立即全量重算所有经营者的指数", body=WeightsIn, response=WeightsOut,
           tags=("admin",), errors=(403,))
def put_index_weights(body: WeightsIn, actor):
    _require_admin(actor)
    s = db_session()
    summary = set_weights(s, settings(), body.weights)
    s.commit()
    return {"weights": get_weights(s), "recompute": summary}


# ------------------------------------------------------------------ disclosures

class DisclosureQuery(PageQuery):
    pass


def _disclosure_item(d: Disclosure) -> dict[str, Any]:
    return {"period": d.period, "published_at": to_iso(d.published_at), "sha256": d.sha256,
            "csv_url": f"/api/v1/public/disclosures/{d.period}.csv",
            "json_url": f"/api/v1/public/disclosures/{d.period}.json",
            "audit_checkpoint_name": d.audit_checkpoint_name, "audit_checkpoint_sha256": d.audit_checkpoint_sha256}


@bp.get("/public/disclosures")
@operation(summary="已发布的月度公示（最新在前）", query=DisclosureQuery, response=DisclosureList, auth="none",
           tags=("public",))
def disclosures(query: DisclosureQuery):
    def compute(s: Session):
        total = s.execute(select(func.count()).select_from(Disclosure)).scalar_one()
        rows = s.execute(select(Disclosure.period, Disclosure.published_at, Disclosure.sha256,
                                Disclosure.audit_checkpoint_name, Disclosure.audit_checkpoint_sha256)
                         .order_by(Disclosure.period.desc()).limit(query.per_page)
                         .offset((query.page - 1) * query.per_page)).all()
        return {"items": [_disclosure_item(r) for r in rows], "page": query.page, "per_page": query.per_page,
                "total": total}

    return cached(f"disclosures:{query.page}:{query.per_page}", lambda: on_replica(compute))


def _frozen(period: str, kind: Literal["csv", "json"]) -> Response:
    check_period(period)
    d = get_disclosure(db_session(), period)
    headers = {"Content-Disposition": f'attachment; filename="smart315-disclosure-{period}.{kind}"',
               "ETag": f'"{d.sha256}"', "Cache-Control": "public, max-age=86400",
               "X-Content-SHA256": d.sha256}
    if kind == "csv":
        return Response(d.csv_bytes, mimetype="text/csv", content_type="text/csv; charset=utf-8", headers=headers)
    return Response(d.json_text.encode("utf-8"), content_type="application/json; charset=utf-8", headers=headers)


@bp.get("/public/disclosures/<period>.csv")
@operation(summary="月度公示 CSV（UTF-8 带 BOM，中文表头，发布后冻结、逐字节可复现）", response=str, auth="none",
           tags=("public",), errors=(404,), content_type="text/csv")
def disclosure_csv(period: str):
    return _frozen(period, "csv")


@bp.get("/public/disclosures/<period>.json")
@operation(summary="月度公示 JSON（与 CSV 同一份冻结数据）", response=DisclosureDoc, auth="none", tags=("public",),
           errors=(404,))
def disclosure_json(period: str):
    return _frozen(period, "json")

