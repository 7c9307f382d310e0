"""check_* decides, do_* writes: complaint creation and every transition, with its timeline event and outbox rows."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.actor import SYSTEM, Actor
from server.core.complaints.rules import rule_set_for, rule_set_of
from server.core.complaints.states import ENDED_STATES, SYSTEM_TRANSITIONS, USER_TRANSITIONS, Transition
from server.core.complaints.visibility import parties
from server.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from server.core.models import Business, Complaint, ComplaintEvent, Message, Upload, utcnow
from server.core.timeutil import add_working_days, to_iso
from server.core.vocabulary import ACTIONS, STATUSES

GENESIS_HASH = "0" * 64


def public_no_for(complaint_id: int, created_at: datetime) -> str:
    """TS + local date + 8-digit id: unique because the id is, whatever the concurrency."""
    from server.core.timeutil import SHANGHAI

    return f"TS{created_at.astimezone(SHANGHAI):%Y%m%d}{complaint_id:08d}"


def event_hash(complaint_id: int, seq: int, actor_id: int | None, actor_role: str, action: str,
               from_status: str | None, to_status: str, note: str | None, data: dict, created_at: datetime,
               prev_hash: str) -> str:
    canonical = json.dumps(
        [complaint_id, seq, actor_id, actor_role, action, from_status, to_status, note or "", data or {},
         to_iso(created_at), prev_hash],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _append_event(session: Session, complaint: Complaint, actor: Actor, role: str, action: str,
                  from_status: str | None, to_status: str, note: str | None, data: dict | None,
                  now: datetime, first: bool = False,
                  timeline: list[ComplaintEvent] | None = None) -> ComplaintEvent:
    """Append the next event of the complaint's chain.

    first=True: the complaint was created in this transaction and has no event yet, so the chain
    starts at the genesis hash without asking the database for a previous event it cannot have.
    timeline: every event of the complaint, ordered by seq, read in this transaction with the
    complaint locked (see transition_complaint): the chain continues from its last one without a
    query, and the new event is appended to it.
    """
    if timeline is not None:
        last = (timeline[-1].seq, timeline[-1].hash) if timeline else None
    else:
        last = None if first else session.execute(
            select(ComplaintEvent.seq, ComplaintEvent.hash)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.seq.desc())
            .limit(1)
        ).first()
    seq = (last[0] + 1) if last else 1
    prev = last[1] if last else GENESIS_HASH
    data = data or {}
    now = now.replace(microsecond=0)
    ev = ComplaintEvent(
        complaint_id=complaint.id, seq=seq, actor_id=actor.user_id, actor_role=role, action=action,
        from_status=from_status, to_status=to_status, note=note, data=data, created_at=now, prev_hash=prev,
        hash=event_hash(complaint.id, seq, actor.user_id, role, action, from_status, to_status, note, data, now, prev),
    )
    session.add(ev)
    session.flush()
    if timeline is not None:
        timeline.append(ev)
    return ev


def _after_change(session: Session, settings: Mapping[str, Any], complaint: Complaint, event: ComplaintEvent,
                  event_type: str | None, now: datetime) -> None:
    """Outbox rows and the index update, in the caller's transaction."""
    from server.core.notifications.outbox import enqueue_complaint_event
    from server.core.scoring.actions import on_complaint_changed

    if event_type:
        enqueue_complaint_event(session, settings, complaint, event, event_type, now)
    on_complaint_changed(session, settings, complaint, now)


def mark_seen(complaint: Complaint, now: datetime) -> bool:
    """A person (a mediator, an admin, the business) acted on the complaint: from now on it counts in the
    index (DESIGN.md "What counts"). True when this is the first time."""
    if complaint.person_seen_at is not None:
        return False
    complaint.person_seen_at = now.replace(microsecond=0)
    return True


# ---------------------------------------------------------------- creation

class Filed(NamedTuple):
    """A complaint just created, with what its detail shows, known without reading it back."""

    complaint: Complaint
    attachments: list[Upload]  # ordered by created_at, as complaint_json's query would list them
    timeline: list[ComplaintEvent]  # the submit event: a new complaint has no other


def do_create_complaint(session: Session, settings: Mapping[str, Any], actor: Actor, data: Mapping[str, Any],
                        now: datetime | None = None) -> Complaint:
    """Create a submitted complaint from validated data (see api schemas) and write its first event."""
    return file_complaint(session, settings, actor, data, now).complaint


def file_complaint(session: Session, settings: Mapping[str, Any], actor: Actor, data: Mapping[str, Any],
                   now: datetime | None = None) -> Filed:
    """do_create_complaint, also returning the new complaint's attachments and timeline."""
    now = now or utcnow()
    business: Business | None = None
    errors = []
    if data.get("business_id") is not None:
        business = session.get(Business, data["business_id"])
        if business is None:
            errors.append({"field": "business_id", "message": "商家不存在"})
    attachment_ids = list(dict.fromkeys(data.get("attachment_ids") or []))
    uploads: list[Upload] = []
    if attachment_ids:
        uploads = list(session.execute(select(Upload).where(Upload.id.in_(attachment_ids))).scalars())
        found = {u.id for u in uploads}
        for aid in attachment_ids:
            if aid not in found:
                errors.append({"field": "attachment_ids", "message": f"附件 {aid} 不存在"})
        for u in uploads:
            if u.owner_id != actor.user_id or u.complaint_id is not None:
                errors.append({"field": "attachment_ids", "message": f"附件 {u.id} 不可用"})
    if errors:
        raise ValidationFailed(errors)
    complaint = Complaint(
        consumer_id=actor.user_id,
        business_id=business.id if business else None,
        business_name=business.name if business else data["business_name"].strip(),
        industry_code=data["industry_code"],
        region_code=data["region_code"],
        category=data["category"],
        title=data["title"].strip(),
        description=data["description"].strip(),
        purchase_date=data.get("purchase_date"),
        order_no=data.get("order_no"),
        amount_claimed_fen=data.get("amount_claimed_fen"),
        demands=list(data.get("demands") or []),
        public_consent=bool(data.get("public_consent")),
        status="submitted",
        created_at=now,
        updated_at=now,
        deadline_at=add_working_days(now, int(settings["ACCEPT_DEADLINE_WORKING_DAYS"])),
    )
    session.add(complaint)
    session.flush()
    complaint.public_no = public_no_for(complaint.id, now)
    for u in uploads:
        u.complaint_id = complaint.id
    ev = _append_event(session, complaint, actor, "consumer", "submit", None, "submitted", None, {}, now, first=True)
    _after_change(session, settings, complaint, ev, None, now)
    # The uploads now attached are exactly those of the new complaint (its id is new); list them in the
    # request's order, then by created_at, as a query ordered by created_at would.
    order = {aid: i for i, aid in enumerate(attachment_ids)}
    attached = sorted(sorted(uploads, key=lambda u: order[u.id]), key=lambda u: u.created_at)
    return Filed(complaint, attached, [ev])


# ---------------------------------------------------------------- transitions

def allowed_actions(actor: Actor, complaint: Complaint) -> list[str]:
    mine = parties(actor, complaint)
    return [a for a, t in USER_TRANSITIONS.items() if t.party in mine and complaint.status in t.sources]


def check_transition(actor: Actor, complaint: Complaint, action: str, note: str | None,
                     amount_recovered_fen: int | None, rating: int | None) -> Transition:
    t = USER_TRANSITIONS.get(action)
    if t is None:
        raise ValidationFailed([{"field": "action", "message": f"未知操作：{action}；可选 {'、'.join(USER_TRANSITIONS)}"}])
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if t.party not in mine:
        raise Forbidden("您不能对这件投诉执行该操作", allowed_actions=allowed_actions(actor, complaint))
    if complaint.status not in t.sources:
        raise InvalidTransition(
            f"投诉当前状态为“{STATUSES.get(complaint.status, complaint.status)}”，不能执行“{ACTIONS.get(action, action)}”",
            allowed_actions=allowed_actions(actor, complaint),
        )
    errors = []
    if t.note_required and not (note and note.strip()):
        errors.append({"field": "note", "message": "请填写理由或方案"})
    if action == "rate" and rating is None:
        errors.append({"field": "rating", "message": "请给出 1 到 5 的评分"})
    if errors:
        raise ValidationFailed(errors)
    return t


def _enter(session: Session, settings: Mapping[str, Any], complaint: Complaint, target: str, now: datetime) -> None:
    """Set the state, its timestamps and its deadline."""
    source = complaint.status
    complaint.status = target
    complaint.updated_at = now
    if target == "accepted":
        complaint.accepted_at = now
        complaint.rule_set = rule_set_for(now).code
        complaint.deadline_at = None
    elif target == "forwarded":
        complaint.forwarded_at = now
        complaint.response_deadline_at = add_working_days(now, int(settings["RESPONSE_DEADLINE_WORKING_DAYS"]))
        complaint.deadline_at = complaint.response_deadline_at
    elif target == "responded":
        if complaint.first_response_at is None:
            complaint.first_response_at = now
        complaint.mediation_cooperated = True
        complaint.deadline_at = now + timedelta(days=int(settings["CONFIRM_DEADLINE_DAYS"]))
    elif target == "mediating":
        complaint.mediating_at = now
        if source in ("forwarded", "responded"):
            complaint.went_to_mediation = True
        rules = rule_set_of(complaint.rule_set, complaint.accepted_at) or rule_set_for(now)
        deadline = rules.mediation_deadline(complaint.accepted_at or now)
        # A dispute late in the window still gets a week of mediation rather than an instant timeout.
        complaint.deadline_at = max(deadline, now + timedelta(days=int(settings["CONFIRM_DEADLINE_DAYS"])))
    elif target in ENDED_STATES:
        complaint.ended_at = now
        complaint.outcome = target
        complaint.deadline_at = now + timedelta(days=int(settings["CLOSE_AFTER_DAYS"]))
    elif target == "closed":
        complaint.closed_at = now
        complaint.deadline_at = None


def _route_after_accept(session: Session, settings: Mapping[str, Any], complaint: Complaint, now: datetime,
                        timeline: list[ComplaintEvent] | None = None) -> None:
    """A verified business on the platform gets the complaint; otherwise mediators take it directly."""
    business = session.get(Business, complaint.business_id) if complaint.business_id else None
    step = "forward" if business is not None and business.status == "verified" else "to_mediation"
    do_system_step(session, settings, complaint, step, now, timeline=timeline)


class Moved(NamedTuple):
    """A complaint just moved, with its whole timeline, known without reading it back."""

    complaint: Complaint
    timeline: list[ComplaintEvent]  # every event, ordered by seq, the ones just written included


def timeline_of(session: Session, complaint_id: int) -> list[ComplaintEvent]:
    """Every event of the complaint, ordered by seq (what its detail shows)."""
    return list(session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
                                .order_by(ComplaintEvent.seq)).scalars())


def do_transition(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, action: str,
                  note: str | None = None, amount_recovered_fen: int | None = None, rating: int | None = None,
                  now: datetime | None = None) -> Complaint:
    return transition_complaint(session, settings, actor, complaint, action, note, amount_recovered_fen, rating,
                                now).complaint


def transition_complaint(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint,
                         action: str, note: str | None = None, amount_recovered_fen: int | None = None,
                         rating: int | None = None, now: datetime | None = None) -> Moved:
    """do_transition, also returning the complaint's timeline.

    Once the transition is allowed, the timeline is read once (the caller holds the complaint
    locked): its last event continues the chain, and the events written here (the action, then
    any routing step) are appended to it, instead of a query for the previous event per event
    and a read of the whole timeline afterwards.

    It is a statement of its own, after the lock, on purpose: joined to the complaint's
    SELECT … FOR UPDATE, PostgreSQL would, after waiting for a concurrent transition to commit,
    return the complaint's new row but the events of the statement's older snapshot, and the
    chain would continue from a stale event (duplicate seq).
    """
    now = now or utcnow()
    t = check_transition(actor, complaint, action, note, amount_recovered_fen, rating)
    timeline = timeline_of(session, complaint.id)
    role = {"consumer": "consumer", "business": "business_staff", "mediator": actor.kind}[t.party]
    if t.party != "consumer":  # the consumer's own steps and the scheduler's never make it count
        mark_seen(complaint, now)
    source = complaint.status
    data: dict[str, Any] = {}
    if amount_recovered_fen is not None and action in ("confirm", "mediate_success"):
        complaint.amount_recovered_fen = amount_recovered_fen
        data["amount_recovered_fen"] = amount_recovered_fen
    if action == "confirm":
        complaint.settled_directly = True
    if action == "propose":
        complaint.mediation_cooperated = True
    if action == "rate":
        complaint.rating = rating
        complaint.rated_at = now
        data["rating"] = rating
    if t.target is not None:
        _enter(session, settings, complaint, t.target, now)
    else:
        complaint.updated_at = now
    ev = _append_event(session, complaint, actor, role, action, source, complaint.status, note, data, now,
                       timeline=timeline)
    _after_change(session, settings, complaint, ev, t.event_type, now)
    if action == "accept":
        _route_after_accept(session, settings, complaint, now, timeline=timeline)
    return Moved(complaint, timeline)


def do_system_step(session: Session, settings: Mapping[str, Any], complaint: Complaint, action: str,
                   now: datetime, note: str | None = None,
                   timeline: list[ComplaintEvent] | None = None) -> ComplaintEvent:
    """An automatic step by `system` (routing or a passed deadline). timeline: see _append_event."""
    t = SYSTEM_TRANSITIONS[action]
    if complaint.status not in t.sources:
        raise InvalidTransition(f"system step {action} not allowed from {complaint.status}")
    source = complaint.status
    if action == "deadline_reminder":
        complaint.deadline_reminded = True
    if t.target is not None:
        _enter(session, settings, complaint, t.target, now)
    ev = _append_event(session, complaint, SYSTEM, "system", action, source, complaint.status, note, {}, now,
                       timeline=timeline)
    _after_change(session, settings, complaint, ev, t.event_type, now)
    if action == "auto_accept":
        _route_after_accept(session, settings, complaint, now, timeline=timeline)
    return ev


# ---------------------------------------------------------------- messages

def do_post_message(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, body: str,
                    now: datetime | None = None) -> Message:
    now = now or utcnow()
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if complaint.status == "closed":
        raise InvalidTransition("投诉已结案，不能再留言", allowed_actions=[])
    role = "consumer" if "consumer" in mine else "business_staff" if "business" in mine else actor.kind
    msg = Message(complaint_id=complaint.id, author_id=actor.user_id, author_role=role, body=body.strip(), created_at=now)
    session.add(msg)
    cooperated = role == "business_staff" and complaint.status == "mediating"
    if cooperated:
        complaint.mediation_cooperated = True
    # A message by the business or a mediator is a person looking at the complaint (the consumer's is not).
    seen = role != "consumer" and mark_seen(complaint, now)
    session.flush()
    from server.core.notifications.outbox import enqueue_message

    enqueue_message(session, settings, complaint, msg, now)
    if cooperated or seen:
        from server.core.scoring.actions import on_complaint_changed

        on_complaint_changed(session, settings, complaint, now)  # cooperation, or whether it counts, changed
    return msg


def event_count(session: Session, complaint_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    ).scalar_one()


def validate_purchase_date(value: date | None, now: datetime) -> None:
    if value is not None and value > (now + timedelta(days=1)).date():
        raise ValidationFailed([{"field": "purchase_date", "message": "购买日期不能晚于今天"}])


__all__ = [
    "Filed", "Moved", "allowed_actions", "check_transition", "do_create_complaint", "do_post_message",
    "do_system_step", "do_transition", "event_hash", "file_complaint", "mark_seen", "public_no_for", "timeline_of",
    "transition_complaint",
]
