"""Who may see which complaint, in one place; an invisible row answers 404 so ids cannot be probed."""
from __future__ import annotations

from sqlalchemy import Select, false, select, true
from sqlalchemy.orm import Session, contains_eager

from server.core.actor import Actor
from server.core.errors import NotFound
from server.core.models import Complaint


def business_sees_clause(business_ids):
    """The complaints a business (its staff, its API keys) may read: its own, once they reached it --
    forwarded, or gone to mediation -- never while under review or after the mediator rejected them.
    The one definition: the list (SQL) and the object check (`business_sees`) must never diverge."""
    if not business_ids:
        return false()
    # A complaint held by moderation (review, rejected) is not shown to the business until a mediator clears it.
    return Complaint.business_id.in_(business_ids) & (Complaint.moderation == "pass") \
        & (Complaint.forwarded_at.is_not(None) | Complaint.went_to_mediation)


def business_sees(complaint: Complaint, business_ids) -> bool:
    """Python twin of business_sees_clause, for one loaded complaint."""
    return (complaint.business_id is not None and complaint.business_id in business_ids
            and (complaint.moderation or "pass") == "pass"
            and (complaint.forwarded_at is not None or bool(complaint.went_to_mediation)))


def visibility_clause(actor: Actor):
    """A SQL condition selecting exactly the complaints the actor may read."""
    if actor.kind == "admin":
        return true()
    if actor.kind == "mediator":
        if not actor.region_code:
            return false()
        return Complaint.region_code.startswith(actor.region_code, autoescape=True)
    if actor.api_key_id:
        # An API key sees exactly what the business's staff see (issue 15.1: it used to list every
        # complaint naming the business, including those under review or rejected).
        return business_sees_clause(actor.business_ids)
    clauses = []
    if actor.user_id is not None:
        clauses.append(Complaint.consumer_id == actor.user_id)
    if actor.business_ids:
        clauses.append(business_sees_clause(actor.business_ids))
    if not clauses:
        return false()
    cond = clauses[0]
    for c in clauses[1:]:
        cond = cond | c
    return cond


def parties(actor: Actor, complaint: Complaint) -> set[str]:
    """The roles the actor holds in this complaint: consumer, business, mediator."""
    out: set[str] = set()
    if actor.user_id is not None and complaint.consumer_id == actor.user_id:
        out.add("consumer")
    if business_sees(complaint, actor.business_ids):
        out.add("business")
    if actor.kind in ("mediator", "admin") and actor.in_region(complaint.region_code):
        out.add("mediator")
    return out


def can_see(actor: Actor, complaint: Complaint) -> bool:
    return bool(parties(actor, complaint))


def get_visible_complaint(session: Session, actor: Actor, complaint_id: int, for_update: bool = False,
                          with_business: bool = False) -> Complaint:
    """for_update: lock the complaint row (PostgreSQL). with_business: load its business (if any) in the
    same statement, so that a later session.get(Business, complaint.business_id) needs no query. (After
    waiting for the lock, PostgreSQL returns the complaint's latest row with the business row of the
    statement's snapshot: fine for a business, whose changes the complaint's lock never ordered anyway;
    not for the complaint's events, which are therefore read after the lock, see do_transition.)"""
    stmt: Select = select(Complaint).where(Complaint.id == complaint_id)
    if with_business:
        stmt = stmt.outerjoin(Complaint.business).options(contains_eager(Complaint.business))
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Complaint)  # the complaint row only, as without the join
    complaint = session.execute(stmt).scalar_one_or_none()
    if complaint is None or not can_see(actor, complaint):
        raise NotFound("投诉不存在或无权查看")
    return complaint
