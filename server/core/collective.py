"""Collective complaints (集体投诉, API.md "Collective complaints").

A consumer who has the same grievance against the same business as a published (or otherwise visible)
open complaint joins it: POST /complaints/{id}/join files their own complaint, through the one filing
path (server/core/complaints/actions.do_create_complaint: moderation, duplicate screening, the rate limit
in the API, notifications), linked to the lead by `collective_id`. The lead is the complaint that was
joined first; joining a member joins its lead. Each member is a complaint like any other: its own
amount, its own state and outcome, counted in the business's index like any other complaint.

The lead's detail shows `collective: {members, amount_claimed_total}`; members counts the lead itself
and every member that was not withdrawn or rejected (MEMBER_GONE), and the amount is the sum of their
claimed amounts. The business's staff and the mediators may apply one reply or proposal to every open
member at once (`apply_to_members`): each member's transition is checked on its own, and the ones that
cannot move are reported, never failed.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.cache import public_changed_on_commit
from server.core.complaints import abuse
from server.core.complaints.states import OPEN_STATES
from server.core.complaints.visibility import can_see
from server.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from server.core.models import Complaint, User
from server.core.money import format_yuan
from server.core.publication import public_clause, public_text
from server.core.vocabulary import ACTIONS, STATUSES

JOIN_ACTION = "join"  # the event on the lead's timeline when someone joins it
JOINED_EVENT = "complaint.joined"  # its notification: the lead's consumer and (once it reached it) the business
MEMBER_GONE = ("withdrawn", "rejected")  # members that no longer count in `members` and the amount
# What apply_to_members may repeat on every member: steps of the handling, never an outcome (each member
# keeps its own: its consumer confirms, disputes, rates; the mediator ends each mediation on its own).
MEMBER_ACTIONS = ("accept", "respond", "propose", "pause", "resume", "request_materials")
DEFAULT_DESCRIPTION = "我也遇到了同样的问题，加入集体投诉 {public_no}。"


class Joining(NamedTuple):
    """What check_join decided: the lead to join and the data of the joiner's own complaint."""

    lead: Complaint
    data: dict[str, Any]


def _lock(session: Session, complaint_id: int) -> Complaint | None:
    """The complaint row, locked (PostgreSQL) and read again after the lock: it may already be in the session
    (check_join read it), and a concurrent join may have moved its audit chain and version meanwhile."""
    stmt = select(Complaint).where(Complaint.id == complaint_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def is_public(session: Session, complaint: Complaint) -> bool:
    """Whether the public may read it (server.core.publication.public_clause, the one definition)."""
    return session.execute(select(Complaint.id).where(Complaint.id == complaint.id, public_clause())).first() \
        is not None


def check_join(session: Session, actor: Actor, complaint_id: int, body: Mapping[str, Any]) -> Joining:
    """Decide whether the actor may join the complaint (or its lead) and build their complaint; writes nothing.

    The complaint asked for must be public or visible to the actor (404 otherwise, ids cannot be probed);
    the lead row is locked (PostgreSQL) so that joins of one case write its timeline one after another."""
    asked = session.get(Complaint, complaint_id)
    if asked is None or not (can_see(actor, asked) or is_public(session, asked)):
        raise NotFound("投诉不存在或无权查看")
    if actor.user is None or actor.kind not in ("consumer", "business_staff"):
        raise Forbidden("只有消费者账号可以加入集体投诉")
    lead = _lock(session, asked.collective_id or asked.id)
    if lead is None:
        raise NotFound("投诉不存在或无权查看")
    if lead.business_id is not None and lead.business_id in (actor.business_ids or ()):
        raise Forbidden("不能加入针对本商家的投诉")
    if lead.consumer_id is not None and lead.consumer_id == actor.user_id:
        raise Conflict("这是您自己提交的投诉，无需加入")
    already = session.execute(select(Complaint.id).where(
        Complaint.collective_id == lead.id, Complaint.consumer_id == actor.user_id,
        Complaint.status.not_in(MEMBER_GONE))).first()
    if already is not None:
        raise Conflict("您已加入这件集体投诉，请在您自己的投诉中补充情况", existing_id=already[0])
    if lead.status not in OPEN_STATES:
        raise Conflict(f"这件投诉当前为“{STATUSES.get(lead.status, lead.status)}”，不能再加入")
    if (lead.moderation or "pass") != "pass":
        raise Conflict("这件投诉正在审核，暂时不能加入")
    # The lead's title and description as the public reads them: the joiner never receives the lead
    # consumer's name or contact details (server.core.publication.public_text redacts them).
    owner = session.get(User, lead.consumer_id) if lead.consumer_id else None
    shown = public_text(lead, owner.display_name if owner else None)
    description = (body.get("description") or "").strip() or DEFAULT_DESCRIPTION.format(public_no=lead.public_no)
    data = {
        "business_id": lead.business_id, "business_name": lead.business_name, "industry_code": lead.industry_code,
        "region_code": lead.region_code, "category": lead.category, "title": shown["title"][:60],
        "description": description, "purchase_date": None, "order_no": None,
        "amount_claimed_fen": body.get("amount_claimed_fen"), "demands": list(lead.demands or []),
        "public_consent": False, "attachment_ids": list(body.get("attachment_ids") or []),
        "collective_id": lead.id, "rule_set": lead.rule_set,
    }
    return Joining(lead, data)


def do_join(session: Session, settings: Mapping[str, Any], actor: Actor, joining: Joining, now: datetime,
            screening: abuse.Screening | None = None):
    """File the joiner's complaint (the one filing path) and write the join on the lead's timeline."""
    from server.core.auditchain import append_event
    from server.core.complaints.actions import do_create_complaint
    from server.core.notifications.outbox import enqueue_complaint_event

    filed = do_create_complaint(session, settings, actor, joining.data, now, screening=screening)
    lead = joining.lead
    members = summary(session, [lead.id])[lead.id]["members"]
    ev = append_event(session, settings, lead, actor.user_id, "consumer", JOIN_ACTION, lead.status, lead.status,
                      None, {"members": members}, now)
    enqueue_complaint_event(session, settings, lead, ev, JOINED_EVENT, now)
    if is_public(session, lead):  # /public/complaints shows the number of members
        public_changed_on_commit(session, settings, None)
    return filed


def summary(session: Session, lead_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{lead id: {members, amount_claimed_total}} for these complaints, in one query; members counts the
    lead and every member not withdrawn or rejected, the amount is theirs summed (fen, then yuan)."""
    if not lead_ids:
        return {}
    counted = or_(Complaint.id.in_(lead_ids), and_(Complaint.collective_id.in_(lead_ids),
                                                   Complaint.status.not_in(MEMBER_GONE)))
    lead = case((Complaint.collective_id.is_(None), Complaint.id), else_=Complaint.collective_id)
    rows = session.execute(select(lead.label("lead"), func.count(), func.sum(Complaint.amount_claimed_fen))
                           .where(counted).group_by(lead)).all()
    out = {i: {"members": 1, "amount_claimed_total": None} for i in lead_ids}
    for lead_id, n, total in rows:
        out[lead_id] = {"members": int(n), "amount_claimed_total": format_yuan(int(total)) if total else None}
    return out


def collectives(session: Session, complaints: list[Complaint]) -> dict[int, dict[str, Any]]:
    """The `collective` of each lead among these complaints that has members, by id (a page: one query)."""
    leads = [c.id for c in complaints if c.collective_id is None]
    return {i: s for i, s in summary(session, leads).items() if s["members"] > 1}


class Applied(NamedTuple):
    applied: list[int]  # the members moved, by id
    skipped: list[dict[str, Any]]  # {id, public_no, detail}: the members that could not move, and why


def do_transition_members(session: Session, settings: Mapping[str, Any], actor: Actor, lead: Complaint,
                          action: str, note: str | None, now: datetime) -> Applied:
    """The same action on every open member of the lead the actor may act on (apply_to_members): each is
    checked on its own (actions.check_transition, before anything of it is written) and moved, or reported."""
    from server.core.complaints import actions

    if action not in MEMBER_ACTIONS:
        raise ValidationFailed([{"field": "action", "message": "一并处理成员投诉只适用于："
                                 + "、".join(ACTIONS[a] for a in MEMBER_ACTIONS)}])
    if lead.collective_id is not None:
        raise Conflict("只有集体投诉的发起投诉可以一并处理成员投诉")
    stmt = select(Complaint).where(Complaint.collective_id == lead.id, Complaint.status.in_(OPEN_STATES)) \
        .order_by(Complaint.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    applied: list[int] = []
    skipped: list[dict[str, Any]] = []
    for member in session.execute(stmt).scalars().all():
        if not can_see(actor, member):
            skipped.append({"id": member.id, "public_no": member.public_no, "detail": "该投诉尚未转交到您这里"})
            continue
        try:  # do_transition checks (check_transition, moderation) before it writes anything of the member
            actions.do_transition(session, settings, actor, member, action, note=note, now=now)
        except DomainError as exc:
            skipped.append({"id": member.id, "public_no": member.public_no, "detail": exc.detail})
            continue
        applied.append(member.id)
    return Applied(applied, skipped)


def suggestion(session: Session, business_ids: list[int], actor: Actor | None) -> dict[str, Any] | None:
    """An open collective case (a public lead with members) against one of these businesses that the actor
    may join, the one with the most members: {id, title, members}; None when there is none."""
    if not business_ids:
        return None
    cond = and_(public_clause(), Complaint.business_id.in_(business_ids), Complaint.collective_id.is_(None),
                Complaint.status.in_(OPEN_STATES))
    if actor is not None and actor.user_id is not None:
        joined = select(Complaint.collective_id).where(Complaint.consumer_id == actor.user_id,
                                                       Complaint.collective_id.is_not(None))
        cond = and_(cond, or_(Complaint.consumer_id.is_(None), Complaint.consumer_id != actor.user_id),
                    Complaint.id.not_in(joined))
    n = func.count(Complaint.id)
    member = Complaint.__table__.alias("member")
    rows = session.execute(
        select(Complaint.id, n.label("n"))
        .join(member, and_(member.c.collective_id == Complaint.id, member.c.status.not_in(MEMBER_GONE)))
        .where(cond).group_by(Complaint.id).order_by(n.desc(), Complaint.id.desc()).limit(1)).first()
    if rows is None:
        return None
    lead = session.get(Complaint, rows[0])
    owner = session.get(User, lead.consumer_id) if lead.consumer_id else None
    return {"id": lead.id, "title": public_text(lead, owner.display_name if owner else None)["title"],
            "members": int(rows[1]) + 1}


def filing_hints(session: Session, actor: Actor | None, business_ids: list[int]) -> dict[str, Any]:
    """What the filing form tells a consumer about the candidate businesses (/assist/classify): their own open
    complaints against them (duplicate_of) and an open collective case to join instead (collective_suggestion,
    against the best candidate)."""
    duplicate_of: list[dict[str, Any]] = []
    if actor is not None and actor.user_id is not None and business_ids:
        rows = session.execute(
            select(Complaint.id, Complaint.public_no, Complaint.business_id, Complaint.status)
            .where(Complaint.consumer_id == actor.user_id, Complaint.business_id.in_(business_ids),
                   Complaint.status.in_(OPEN_STATES))).all()
        duplicate_of = [{"id": r[0], "public_no": r[1], "business_id": r[2], "status": r[3],
                         "message": f"您已有一件针对该商家的投诉正在处理中（{r[1]}），请勿重复投诉"} for r in rows]
    return {"duplicate_of": duplicate_of, "collective_suggestion": suggestion(session, business_ids[:1], actor)}
