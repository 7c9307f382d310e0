"""Read models behind the public disclosure pages: platform statistics, index rankings, industry figures,
anonymised complaints, the index method and the list of monthly disclosures.

Each function takes a session and returns the JSON body as a dict; none writes. The API caches them
(server/api/public_cache.py) and may run them on the read replica, so they read nothing but the session.
"""
from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from server.core.assist.taxonomy import INDUSTRY_NAMES
from server.core.casefile import replies_of, reply_json
from server.core.collective import collectives
from server.core.complaints.states import OPEN_STATES
from server.core.models import Business, BusinessIndex, Complaint, Disclosure, IndexHistory, Industry, User
from server.core.money import format_yuan
from server.core.publication import public_clause, public_text
from server.core.reference import region_full_name
from server.core.scoring.actions import MEANS_NOTE, get_weights
from server.core.scoring.formula import DEFAULT_DEADLINE_HOURS, FORMULA_VERSION, describe_method
from server.core.scoring.stats import window_start
from server.core.timeutil import SHANGHAI, to_iso


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

# What a person would count as a complaint in the public figures (累计投诉 and everything computed with it,
# home and /stats, per month and per industry): not one the consumer withdrew, and not one moderation
# refused (spam, abuse: hidden for good; one held for review still counts, the hold is often about a later
# message and is temporary). A complaint the association declined
# (不予受理) was still a complaint filed and stays counted. The index method page states this (COUNTED_TEXT).
def _counted():
    # Withdrawn by the consumer: not counted. Withdrawn by the system because the consumer erased their
    # account (server/core/erasure.py): the anonymised record stays in the statistics, as DESIGN.md says.
    erased = select(User.id).where(User.deleted_at.is_not(None))
    return and_(or_(func.coalesce(Complaint.outcome, "") != "withdrawn", Complaint.consumer_id.in_(erased)),
                Complaint.moderation != "rejected")


COUNTED_TEXT = ("平台数据（累计投诉、已解决、解决率、挽回损失、每月与各行业投诉量）统计消费者提交的投诉，"
                "但不含消费者自行撤回的投诉（消费者注销账号时由系统撤回的投诉仍计入），也不含经内容审核认定为垃圾信息、辱骂等而不予展示的投诉；"
                "调解组织不予受理的投诉仍计为一件投诉。")


def compute_stats(s: Session, now: datetime) -> dict[str, Any]:
    pg = _is_pg(s)
    counted = _counted()
    consumers = s.execute(select(func.count()).select_from(User).where(
        User.kind == "consumer", User.deleted_at.is_(None))).scalar_one()
    businesses = s.execute(select(func.count()).select_from(Business).where(Business.status == "verified")).scalar_one()
    resolved = Complaint.outcome == "resolved"
    total, n_resolved, n_ended, recovered = s.execute(select(
        func.count(), func.sum(case((resolved, 1), else_=0)),
        func.sum(case((Complaint.outcome.is_not(None), 1), else_=0)),
        func.sum(case((resolved, Complaint.amount_recovered_fen), else_=0))).where(counted)).one()
    months = _last_months(now)
    start = datetime.strptime(months[0] + "-01", "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    filed = dict(s.execute(select(_month(Complaint.created_at, pg), func.count())
                           .where(Complaint.created_at >= start, counted).group_by(text("1"))).all())
    ended = {m: (int(n or 0), int(a or 0)) for m, n, a in s.execute(
        select(_month(Complaint.ended_at, pg), func.count(), func.sum(Complaint.amount_recovered_fen))
        .where(resolved, Complaint.ended_at >= start, counted).group_by(text("1"))).all()}
    return {
        "consumers": consumers, "businesses": businesses, "complaints_total": int(total or 0),
        "complaints_resolved": int(n_resolved or 0), "amount_recovered": format_yuan(int(recovered or 0)),
        "resolution_rate": _rate(int(n_resolved or 0), int(n_ended or 0)),
        "by_month": [{"month": m, "complaints": int(filed.get(m, 0)), "resolved": ended.get(m, (0, 0))[0],
                      "amount_recovered": format_yuan(ended.get(m, (0, 0))[1])} for m in months],
    }


# ------------------------------------------------------------------ rankings

def compute_rankings(s: Session, *, industry: str | None, region: str | None, period: str | None,
                     insufficient: bool, page: int, per_page: int) -> dict[str, Any]:
    """Verified businesses by index score; period (YYYY-MM) reads that month's history instead of the
    current index; insufficient lists the businesses with too few complaints to be ranked."""
    if period:
        src = IndexHistory
        flag = IndexHistory.grade.is_(None)
        base = (select(IndexHistory, Business).join(Business, Business.id == IndexHistory.business_id)
                .where(IndexHistory.period == period))
    else:
        src = BusinessIndex
        flag = BusinessIndex.insufficient.is_(True)
        base = select(BusinessIndex, Business).join(Business, Business.id == BusinessIndex.business_id)
    base = base.where(Business.status == "verified")
    if industry:
        base = base.where(Business.industry_code == industry)
    if region:
        base = base.where(Business.region_code.startswith(region))
    ranked_total = s.execute(select(func.count()).select_from(base.where(~flag).subquery())).scalar_one()
    insufficient_total = s.execute(select(func.count()).select_from(base.where(flag).subquery())).scalar_one()
    if insufficient:
        stmt = base.where(flag).order_by(src.n_complaints.desc(), Business.id)
        total = insufficient_total
    else:
        stmt = base.where(~flag).order_by(src.score.desc(), Business.id)
        total = ranked_total
    offset = (page - 1) * per_page
    rows = s.execute(stmt.limit(per_page).offset(offset)).all()
    items = []
    for i, (idx, b) in enumerate(rows):
        items.append({
            "rank": None if insufficient else offset + i + 1, "business_id": b.id, "name": b.name,
            "industry_code": b.industry_code, "industry_name": INDUSTRY_NAMES.get(b.industry_code),
            "region_code": b.region_code, "region_name": region_full_name(b.region_code),
            "score": idx.score, "grade": idx.grade,
            "insufficient": idx.grade is None if period else idx.insufficient, "n_complaints": idx.n_complaints,
            "components": {} if period else dict(idx.components or {}),
        })
    return {"items": items, "page": page, "per_page": per_page, "total": total, "period": period,
            "ranked_total": ranked_total, "insufficient_total": insufficient_total,
            "formula_version": FORMULA_VERSION}


# ------------------------------------------------------------------ industries

def compute_industries(s: Session, now: datetime) -> dict[str, Any]:
    pg = _is_pg(s)
    resolved = Complaint.outcome == "resolved"
    counts = {code: (int(n), int(r or 0), int(e or 0)) for code, n, r, e in s.execute(
        select(Complaint.industry_code, func.count(), func.sum(case((resolved, 1), else_=0)),
               func.sum(case((Complaint.outcome.is_not(None), 1), else_=0))).where(_counted())
        .group_by(Complaint.industry_code))}
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


# ------------------------------------------------------------------ business profile

def profile_figures(s: Session, business_id: int) -> dict[str, Any]:
    """A business profile's complaint counts by status and its last 12 months of index history."""
    rows = s.execute(select(Complaint.status, func.count()).where(Complaint.business_id == business_id)
                     .group_by(Complaint.status)).all()
    counts = {status: n for status, n in rows}
    hist = s.execute(select(IndexHistory).where(IndexHistory.business_id == business_id)
                     .order_by(IndexHistory.period.desc()).limit(12)).scalars().all()
    return {"counts": {"total": sum(counts.values()), **counts},
            "trend": [{"period": h.period, "score": h.score, "grade": h.grade, "n_complaints": h.n_complaints}
                      for h in reversed(hist)]}


# ------------------------------------------------------------------ anonymised complaints

def compute_public_complaints(s: Session, *, business_id: int | None, industry: str | None, page: int,
                              per_page: int) -> dict[str, Any]:
    """The published complaints (server.core.publication.public_clause), newest first, in their public text."""
    cond = public_clause()
    if business_id is not None:
        cond = and_(cond, Complaint.business_id == business_id)
    if industry:
        cond = and_(cond, Complaint.industry_code == industry)
    total = s.execute(select(func.count()).select_from(Complaint).where(cond)).scalar_one()
    rows = s.execute(select(Complaint, User.display_name).outerjoin(User, User.id == Complaint.consumer_id)
                     .where(cond).order_by(Complaint.created_at.desc(), Complaint.id.desc())
                     .limit(per_page).offset((page - 1) * per_page)).all()
    replies = replies_of(s, [c.id for c, _ in rows])
    groups = collectives(s, [c for c, _ in rows])  # 集体投诉: how many joined each (the lead included)
    items = []
    for c, display_name in rows:
        shown = public_text(c, display_name)
        group = groups.get(c.id)
        items.append({
            # id: what POST /complaints/{id}/join takes; members: the collective's size, null when alone.
            "id": c.id, "members": group["members"] if group else None,
            "joinable": c.status in OPEN_STATES,
            "public_no": c.public_no, "business_id": c.business_id, "business_name": c.business_name,
            "industry_code": c.industry_code, "industry_name": INDUSTRY_NAMES.get(c.industry_code),
            "region_code": c.region_code, "region_name": region_full_name(c.region_code), "category": c.category,
            "title": shown["title"], "description": shown["description"], "status": c.status,
            "outcome": c.outcome, "amount_claimed": format_yuan(c.amount_claimed_fen),
            "amount_recovered": format_yuan(c.amount_recovered_fen), "rating": c.rating,
            "created_at": to_iso(c.created_at), "business_reply": reply_json(replies.get(c.id)),
        })
    return {"items": items, "page": page, "per_page": per_page, "total": total}


# ------------------------------------------------------------------ index method

def method_doc(s: Session) -> dict[str, Any]:
    """How the index is computed, with the weights now in force."""
    doc = describe_method(get_weights(s), DEFAULT_DEADLINE_HOURS)
    doc["industry_means"] = MEANS_NOTE
    doc["window_rule"] = ("“待答复”指尚未答复且未转入调解的投诉（仍在响应期内，或在响应期内撤回），不计入应答复投诉；"
                          "未答复即超期转入调解的投诉按用满期限计。")
    doc["statistics_rule"] = COUNTED_TEXT
    return doc


# ------------------------------------------------------------------ monthly disclosures

def disclosure_item(d) -> dict[str, Any]:
    """One published month (a Disclosure, or a row with its columns) with the URLs of its frozen files."""
    return {"period": d.period, "published_at": to_iso(d.published_at), "sha256": d.sha256,
            "csv_url": f"/api/v1/public/disclosures/{d.period}.csv",
            "json_url": f"/api/v1/public/disclosures/{d.period}.json",
            "audit_checkpoint_name": d.audit_checkpoint_name, "audit_checkpoint_sha256": d.audit_checkpoint_sha256}


def compute_disclosures(s: Session, *, page: int, per_page: int) -> dict[str, Any]:
    """The published months, newest first (without their frozen files)."""
    total = s.execute(select(func.count()).select_from(Disclosure)).scalar_one()
    rows = s.execute(select(Disclosure.period, Disclosure.published_at, Disclosure.sha256,
                            Disclosure.audit_checkpoint_name, Disclosure.audit_checkpoint_sha256)
                     .order_by(Disclosure.period.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [disclosure_item(r) for r in rows], "page": page, "per_page": per_page, "total": total}
