"""Abuse signals on filing: duplicate refusal and professional-claimant (职业索赔/职业打假) flags.

One query reads the consumer's complaints that either check needs (open ones, for duplicates; those of the
last CLAIMANT_WINDOW_DAYS, for the claimant signal); the comparison is done here on normalised text with
rapidfuzz's normalised Indel similarity (0..1), so small edits, spacing and punctuation do not hide a repeat.

- Duplicate: an open complaint of the same consumer against the same business whose text is at least
  DUPLICATE_COMPLAINT_THRESHOLD similar (0 disables) -> DuplicateComplaint (409, existing_id); nothing stored.
- Claimant: near-identical texts (CLAIMANT_SIMILARITY) from one account against at least
  CLAIMANT_MIN_BUSINESSES different businesses within the window -> a `claimant` flag on each of those
  complaints for a mediator. A flag never refuses or rejects anything: people with many real grievances exist.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from rapidfuzz import fuzz
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.core.complaints.states import OPEN_STATES
from server.core.errors import DuplicateComplaint
from server.core.models import Complaint, ComplaintFlag

CLAIMANT = "claimant"
FLAG_LABELS = {CLAIMANT: "疑似职业索赔"}
_NOISE = re.compile(r"[\W_]+", re.UNICODE)
_MAX_COMPARED = 200  # the newest ones: an account with more in the window is flagged long before


def normalise(title: str, description: str) -> str:
    return _NOISE.sub("", f"{title}{description}".lower())


def similarity(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100.0


class Screening(NamedTuple):
    claimant: dict[str, Any] | None  # the flag's detail when the signal fires
    related_ids: list[int]  # the earlier complaints that make up the signal


def _business_key(business_id: int | None, business_name: str | None) -> str:
    return f"id:{business_id}" if business_id is not None else "name:" + _NOISE.sub("", (business_name or "").lower())


def screen(session: Session, settings: Mapping[str, Any], consumer_id: int | None, data: Mapping[str, Any],
           now: datetime) -> Screening:
    """Refuse a duplicate (DuplicateComplaint); otherwise say whether the claimant signal fires."""
    threshold = float(settings.get("DUPLICATE_COMPLAINT_THRESHOLD") or 0)
    min_businesses = int(settings.get("CLAIMANT_MIN_BUSINESSES") or 0)
    window_days = int(settings.get("CLAIMANT_WINDOW_DAYS") or 0)
    claimant_on = min_businesses > 1 and window_days > 0
    if consumer_id is None or (threshold <= 0 and not claimant_on):
        return Screening(None, [])
    since = now - timedelta(days=window_days)
    wanted = []
    if threshold > 0:
        wanted.append(Complaint.status.in_(OPEN_STATES))
    if claimant_on:
        wanted.append(Complaint.created_at >= since)
    rows = session.execute(
        select(Complaint.id, Complaint.public_no, Complaint.business_id, Complaint.business_name, Complaint.title,
               Complaint.description, Complaint.status, Complaint.created_at)
        .where(Complaint.consumer_id == consumer_id, or_(*wanted))
        .order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(_MAX_COMPARED)
    ).all()
    if not rows:
        return Screening(None, [])
    text = normalise(data.get("title") or "", data.get("description") or "")
    target = _business_key(data.get("business_id"), data.get("business_name"))
    scored = [(r, similarity(text, normalise(r.title, r.description))) for r in rows]
    if threshold > 0:
        for r, score in scored:
            if r.status in OPEN_STATES and score >= threshold and _business_key(r.business_id, r.business_name) == target:
                raise DuplicateComplaint(
                    f"您已有一件针对该商家、内容相同的投诉正在处理中（{r.public_no or r.id}），请勿重复提交；如需补充，请在原投诉中留言",
                    existing_id=r.id)
    if not claimant_on:
        return Screening(None, [])
    cut = float(settings["CLAIMANT_SIMILARITY"])
    similar = [r for r, score in scored if r.created_at >= since and score >= cut]
    businesses = {_business_key(r.business_id, r.business_name) for r in similar} | {target}
    if len(businesses) < min_businesses:
        return Screening(None, [])
    detail = {"businesses": len(businesses), "similar_complaints": len(similar) + 1, "window_days": window_days,
              "related_ids": sorted(r.id for r in similar),
              "label": FLAG_LABELS[CLAIMANT]}
    return Screening(detail, [r.id for r in similar])


def record_flags(session: Session, complaint_id: int, screening: Screening, now: datetime) -> None:
    """Flag the new complaint and the earlier ones of the signal that carry no claimant flag yet."""
    if screening.claimant is None:
        return
    already = set(session.execute(select(ComplaintFlag.complaint_id).where(
        ComplaintFlag.kind == CLAIMANT, ComplaintFlag.complaint_id.in_(screening.related_ids))).scalars())
    for cid in [complaint_id, *[i for i in screening.related_ids if i not in already]]:
        session.add(ComplaintFlag(complaint_id=cid, kind=CLAIMANT, detail=dict(screening.claimant), created_at=now))
    session.flush()


def flags_of(session: Session, complaint_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The flags of these complaints (the latest of each kind), by complaint id; one query."""
    if not complaint_ids:
        return {}
    rows = session.execute(select(ComplaintFlag).where(ComplaintFlag.complaint_id.in_(complaint_ids))
                           .order_by(ComplaintFlag.created_at, ComplaintFlag.id)).scalars()
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for f in rows:
        out.setdefault(f.complaint_id, {})[f.kind] = {
            "kind": f.kind, "label": FLAG_LABELS.get(f.kind, f.kind), "detail": f.detail or {},
            "created_at": f.created_at}
    return {cid: list(kinds.values()) for cid, kinds in out.items()}


def flag_clause(kind: str):
    return Complaint.id.in_(select(ComplaintFlag.complaint_id).where(ComplaintFlag.kind == kind))
