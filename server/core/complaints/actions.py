"""check_* decides, do_* writes: complaint creation and every transition, with its timeline event and outbox rows."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core import moderation
from server.core.actor import SYSTEM, Actor
from server.core.cache import public_changed_on_commit
from server.core.complaints import abuse
from server.core.complaints.rules import rule_set_for, rule_set_of
from server.core.complaints.states import (
    ENDED_STATES,
    FULFILMENT_ANSWERS,
    PAUSE_REASONS,
    REOPEN_OUTCOMES,
    SYSTEM_TRANSITIONS,
    USER_TRANSITIONS,
    Transition,
)
from server.core.complaints.visibility import parties
from server.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from server.core.models import Business, Complaint, ComplaintEvent, Message, MessageAttachment, Upload, utcnow
from server.core.moderation.holds import hold_if_review
from server.core.timeutil import add_working_days
from server.core.uploads import bind_to_complaint, check_own_uploads, claim_own_uploads
from server.core.vocabulary import ACTIONS, STATUSES

GENESIS_HASH = "0" * 64


def public_no_for(complaint_id: int, created_at: datetime) -> str:
    """TS + local date + 8-digit id: unique because the id is, whatever the concurrency."""
    from server.core.timeutil import SHANGHAI

    return f"TS{created_at.astimezone(SHANGHAI):%Y%m%d}{complaint_id:08d}"


def event_hash(complaint_id: int, seq: int, actor_id: int | None, actor_role: str, action: str,
               from_status: str | None, to_status: str, note: str | None, data: dict, created_at: datetime,
               prev_hash: str) -> str:
    """The legacy (chain 1) unkeyed hash; new events are keyed (server/core/auditchain.py)."""
    from server.core.auditchain import legacy_hash

    return legacy_hash(complaint_id, seq, actor_id, actor_role, action, from_status, to_status, note, data,
                       created_at, prev_hash)


def _append_event(session: Session, complaint: Complaint, actor: Actor, role: str, action: str,
                  from_status: str | None, to_status: str, note: str | None, data: dict | None,
                  now: datetime, first: bool = False,
                  timeline: list[ComplaintEvent] | None = None,
                  settings: Mapping[str, Any] | None = None) -> ComplaintEvent:
    """Append the next event of the complaint's chain (auditchain.append_event: keyed with AUDIT_KEY, covering
    the complaint's state as it is now, so change the complaint first).

    first=True: the complaint was created in this transaction and has no event yet, so the chain
    starts at the genesis hash without asking the database for a previous event it cannot have.
    timeline: every event of the complaint, ordered by seq, read in this transaction with the
    complaint locked (see do_transition): the chain continues from its last one without a
    query, and the new event is appended to it.
    settings: for AUDIT_KEY (required: every do_* has them and hands them on).
    """
    from server.core.auditchain import append_event

    return append_event(session, settings, complaint, actor.user_id, role, action, from_status, to_status, note,
                        data, now, first=first, timeline=timeline)


def _after_change(session: Session, settings: Mapping[str, Any], complaint: Complaint, event: ComplaintEvent,
                  event_type: str | None, now: datetime) -> None:
    """Outbox rows, the index update and, after commit, the business's public profile, in the caller's
    transaction (every do_* that moves a complaint ends here)."""
    from server.core.notifications.outbox import enqueue_complaint_event
    from server.core.scoring.actions import on_complaint_changed

    if event_type:
        enqueue_complaint_event(session, settings, complaint, event, event_type, now)
    on_complaint_changed(session, settings, complaint, now)
    if complaint.business_id is not None:
        public_changed_on_commit(session, settings, complaint.business_id)


def mark_seen(complaint: Complaint, now: datetime) -> bool:
    """A person (a mediator, an admin, the business) acted on the complaint: from now on it counts in the
    index (DESIGN.md "What counts"). True when this is the first time."""
    if complaint.person_seen_at is not None:
        return False
    complaint.person_seen_at = now.replace(microsecond=0)
    return True


def _held(session: Session, settings: Mapping[str, Any], complaint: Complaint, verdict: Any) -> None:
    """hold_if_review, and when it holds a published complaint, every public entry after commit: the case
    leaves /public/complaints at once (a held complaint is not public, server/core/publication.py)."""
    before = complaint.moderation
    hold_if_review(complaint, verdict)
    if complaint.moderation != before:
        public_changed_on_commit(session, settings,
                                 None if complaint.publication_state == "approved" else complaint.business_id)


# ---------------------------------------------------------------- creation

class Filed(NamedTuple):
    """A complaint just created, with what its detail shows, known without reading it back."""

    complaint: Complaint
    attachments: list[Upload]  # ordered by created_at, as complaint_json's query would list them
    timeline: list[ComplaintEvent]  # the submit event: a new complaint has no other


class _Checked(NamedTuple):
    """What check_create_complaint found: the business, the uploads to attach and the texts' verdict."""

    business: Business | None
    uploads: list[Upload]
    attachment_ids: list[str]
    screening: abuse.Screening
    verdict: Any
    details: dict  # the business's address, phone and credit code, cleaned (business_details)


def check_create_complaint(session: Session, settings: Mapping[str, Any], actor: Actor, data: Mapping[str, Any],
                           now: datetime, screening: abuse.Screening | None = None) -> _Checked:
    """Decide whether the validated data (see api schemas) may become a complaint; writes nothing.

    screening: abuse.screen's result when the caller ran it already (the API does, before the rate limit,
    so that a refused duplicate uses none of the consumer's quota); else it is run here.
    """
    if screening is None:
        screening = abuse.screen(session, settings, actor.user_id, data, now)
    from server.core.complaints.business_details import check_business_details, find_platform_business

    business: Business | None = None
    errors = []
    try:
        details = check_business_details(data)
    except ValidationFailed as exc:
        errors += exc.extra["errors"]
        details = {}
    if data.get("business_id") is not None:
        business = session.get(Business, data["business_id"])
        if business is None:
            errors.append({"field": "business_id", "message": "商家不存在"})
    elif not errors:
        # Named by its credit code or its exact name: the platform business is meant (issue 18.4).
        business = find_platform_business(session, data.get("business_name"), details.get("business_credit_code"))
    attachment_ids = list(dict.fromkeys(data.get("attachment_ids") or []))
    uploads, upload_errors = check_own_uploads(session, actor, attachment_ids)
    errors += upload_errors
    if errors:
        raise ValidationFailed(errors)
    # Before anything is written: a risky text is refused whole (422 content_rejected).
    verdict = moderation.enforce(moderation.check_texts(
        [data["title"], data["description"]], user=actor.user, scene="complaint", settings=settings))
    return _Checked(business, uploads, attachment_ids, screening, verdict, details)


def do_create_complaint(session: Session, settings: Mapping[str, Any], actor: Actor, data: Mapping[str, Any],
                        now: datetime | None = None, screening: abuse.Screening | None = None) -> Filed:
    """Create a submitted complaint from validated data (see api schemas) and write its first event.

    Returns the complaint with its attachments and timeline. screening: see check_create_complaint.
    """
    now = now or utcnow()
    business, uploads, attachment_ids, screening, verdict, details = check_create_complaint(
        session, settings, actor, data, now, screening)
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
        business_address=details.get("business_address"),
        business_phone=details.get("business_phone"),
        business_credit_code=details.get("business_credit_code"),
        contact_preference=data.get("contact_preference") or "message",
        # A member of a collective complaint (server/core/collective.py): its lead, and the lead's rule set.
        collective_id=data.get("collective_id"),
        rule_set=data.get("rule_set"),
        status="submitted",
        created_at=now,
        updated_at=now,
        deadline_at=add_working_days(now, int(settings["ACCEPT_DEADLINE_WORKING_DAYS"])),
    )
    hold_if_review(complaint, verdict)
    session.add(complaint)
    session.flush()
    complaint.public_no = public_no_for(complaint.id, now)
    abuse.record_flags(session, complaint.id, screening, now)
    bind_to_complaint(complaint, uploads)
    ev = _append_event(session, complaint, actor, "consumer", "submit", None, "submitted", None, {}, now, first=True,
                       settings=settings)
    _after_change(session, settings, complaint, ev, None, now)
    # The uploads now attached are exactly those of the new complaint (its id is new); list them in the
    # request's order, then by created_at, as a query ordered by created_at would.
    order = {aid: i for i, aid in enumerate(attachment_ids)}
    attached = sorted(sorted(uploads, key=lambda u: order[u.id]), key=lambda u: u.created_at)
    return Filed(complaint, attached, [ev])


# ---------------------------------------------------------------- transitions

def reopen_until(complaint: Complaint, settings: Mapping[str, Any] | None = None) -> datetime | None:
    """The last moment the consumer may reopen the complaint, or None when it cannot be reopened."""
    if complaint.reopened_at is not None or complaint.ended_at is None or complaint.outcome not in REOPEN_OUTCOMES:
        return None
    days = int((settings or {}).get("REOPEN_DAYS") or 30)
    return complaint.ended_at + timedelta(days=days)


def _blocked(action: str, complaint: Complaint, now: datetime, settings: Mapping[str, Any] | None) -> str | None:
    """Why an action the state allows cannot be done now (the clock, the reopening window), or None."""
    if action in ("pause", "request_materials") and complaint.paused:
        return "投诉已暂停计时，不能重复暂停"
    if action == "supplement" and complaint.materials_due_at is None:
        return "调解员没有要求补正材料"
    if action == "resume" and not complaint.paused:
        return "投诉未暂停计时，无需恢复"
    if action == "reopen":
        if complaint.reopened_at is not None:
            return "投诉只能重新打开一次"
        if complaint.outcome not in REOPEN_OUTCOMES:
            return "只有已解决的投诉可以重新打开"
        until = reopen_until(complaint, settings)
        if until is None or now > until:
            days = int((settings or {}).get("REOPEN_DAYS") or 30)
            return f"投诉办结已超过 {days} 日，不能重新打开"
    if action in FULFILMENT_ANSWERS:
        return fulfilment_blocked(complaint)
    return None


def fulfilment_blocked(complaint: Complaint) -> str | None:
    """Why the consumer cannot answer the fulfilment check now, or None: only after the check was sent, once,
    and about the resolution it asked about (not after a reopening ended in another one)."""
    if complaint.fulfilment is not None:
        return "已回答过商家是否履行和解承诺"
    if complaint.fulfilment_checked_at is None:
        return "尚未询问商家是否履行和解承诺"
    if complaint.outcome != "resolved" or (complaint.ended_at is not None
                                           and complaint.ended_at > complaint.fulfilment_checked_at):
        return "该和解承诺的履行情况已无需回答"
    return None


def allowed_actions(actor: Actor, complaint: Complaint, now: datetime | None = None,
                    settings: Mapping[str, Any] | None = None) -> list[str]:
    mine = parties(actor, complaint)
    now = now or utcnow()
    return [a for a, t in USER_TRANSITIONS.items()
            if t.party in mine and complaint.status in t.sources and _blocked(a, complaint, now, settings) is None]


def check_transition(actor: Actor, complaint: Complaint, action: str, note: str | None,
                     amount_recovered_fen: int | None, rating: int | None, region_code: str | None = None,
                     reason: str | None = None, now: datetime | None = None,
                     settings: Mapping[str, Any] | None = None) -> Transition:
    t = USER_TRANSITIONS.get(action)
    if t is None:
        raise ValidationFailed([{"field": "action", "message": f"未知操作：{action}；可选 {'、'.join(USER_TRANSITIONS)}"}])
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if t.party not in mine:
        raise Forbidden("您不能对这件投诉执行该操作", allowed_actions=allowed_actions(actor, complaint, now, settings))
    if complaint.status not in t.sources:
        raise InvalidTransition(
            f"投诉当前状态为“{STATUSES.get(complaint.status, complaint.status)}”，不能执行“{ACTIONS.get(action, action)}”",
            allowed_actions=allowed_actions(actor, complaint, now, settings),
        )
    now = now or utcnow()
    blocked = _blocked(action, complaint, now, settings)
    if blocked:
        raise InvalidTransition(blocked, allowed_actions=allowed_actions(actor, complaint, now, settings))
    errors = []
    if t.note_required and not (note and note.strip()):
        errors.append({"field": "note", "message": "请填写理由或方案"})
    if t.party == "business":
        from server.core.assist.placeholders import check_no_placeholders

        check_no_placeholders("note", note)
    if action == "rate" and rating is None:
        errors.append({"field": "rating", "message": "请给出 1 到 5 的评分"})
    if action == "pause" and reason not in PAUSE_REASONS:
        errors.append({"field": "reason", "message": "请选择暂停原因：检测鉴定、补正材料或双方同意延期"})
    if action == "transfer":
        from server.core.reference import is_county

        if not region_code or not is_county(region_code):
            errors.append({"field": "region_code", "message": "请选择要转往的区县"})
        elif region_code == complaint.region_code:
            errors.append({"field": "region_code", "message": "投诉已在该地区，无需转办"})
    if errors:
        raise ValidationFailed(errors)
    return t


def _enter(session: Session, settings: Mapping[str, Any], complaint: Complaint, target: str, now: datetime,
           promised: bool = False) -> None:
    """Set the state, its timestamps and its deadline. promised: the resolution accepts a proposal the business
    made in the mediation (a promise whose keeping the fulfilment check asks about)."""
    source = complaint.status
    complaint.status = target
    complaint.updated_at = now
    if target != source and complaint.paused:
        # A new state has a new deadline: a pause ends with the state it was taken in.
        _stop_pause(complaint, now)
    if target == "accepted":
        complaint.accepted_at = now
        # A member of a collective complaint keeps the rule set of its lead (set when it joined).
        complaint.rule_set = complaint.rule_set or rule_set_for(now).code
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
        if source in ENDED_STATES or source == "closed":
            # Reopened: a new mediation period from today; it is no longer ended.
            deadline = rules.mediation_deadline(now)
            complaint.ended_at = None
            complaint.closed_at = None
            complaint.outcome = None
            complaint.fulfilment_expected = False
        else:
            # Paused time does not count (paused_seconds: every pause so far).
            deadline = rules.mediation_deadline(complaint.accepted_at or now) \
                + timedelta(seconds=complaint.paused_seconds or 0)
        # A dispute late in the window still gets a week of mediation rather than an instant timeout.
        complaint.deadline_at = max(deadline, now + timedelta(days=int(settings["CONFIRM_DEADLINE_DAYS"])))
    elif target in ENDED_STATES:
        complaint.ended_at = now
        complaint.outcome = target
        # A resolution with an amount or a promise (the business's answer the consumer confirmed, or let stand,
        # a proposal the mediation ended on): the scheduler asks later whether it was kept.
        complaint.fulfilment_expected = target == "resolved" and (
            (complaint.amount_recovered_fen or 0) > 0 or source == "responded" or promised)
        complaint.deadline_at = now + timedelta(days=int(settings["CLOSE_AFTER_DAYS"]))
    elif target == "closed":
        complaint.closed_at = now
        complaint.deadline_at = None


def _proposed_in_mediation(timeline: list[ComplaintEvent] | None) -> bool:
    """The business proposed a settlement (propose) since the complaint last entered mediation."""
    proposed = False
    for e in timeline or ():
        if e.to_status == "mediating" and e.from_status != "mediating":
            proposed = False
        if e.action == "propose":
            proposed = True
    return proposed


def _stop_pause(complaint: Complaint, now: datetime) -> int:
    """End the pause: its time is added up; returns it in seconds."""
    paused_for = max(0, int((now - complaint.paused_at).total_seconds())) if complaint.paused_at else 0
    complaint.paused = False
    complaint.paused_reason = None
    complaint.paused_at = None
    complaint.materials_due_at = None
    complaint.paused_seconds = (complaint.paused_seconds or 0) + paused_for
    return paused_for


def _pause(complaint: Complaint, reason: str, now: datetime) -> None:
    complaint.paused = True
    complaint.paused_reason = reason
    complaint.paused_at = now
    complaint.updated_at = now


def _resume(complaint: Complaint, now: datetime) -> int:
    """The deadline (and a running response deadline) moves by the paused time."""
    paused_for = _stop_pause(complaint, now)
    shift = timedelta(seconds=paused_for)
    if complaint.deadline_at is not None:
        complaint.deadline_at = complaint.deadline_at + shift
    if complaint.status == "forwarded" and complaint.response_deadline_at is not None:
        complaint.response_deadline_at = complaint.response_deadline_at + shift
    complaint.updated_at = now
    return paused_for


def _attach(session: Session, actor: Actor, complaint: Complaint, attachment_ids: list[str]) -> list[str]:
    """The consumer's own unattached uploads join the complaint's evidence (supplement); refused whole otherwise."""
    uploads = claim_own_uploads(session, actor, attachment_ids, complaint_id=complaint.id)
    bind_to_complaint(complaint, uploads)
    return [u.id for u in uploads]


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


def do_transition(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint,
                  action: str, note: str | None = None, amount_recovered_fen: int | None = None,
                  rating: int | None = None, now: datetime | None = None, region_code: str | None = None,
                  reason: str | None = None, attachment_ids: list[str] | None = None) -> Moved:
    """Do a user's action on the complaint (check_transition decides) and return it with its timeline.

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
    t = check_transition(actor, complaint, action, note, amount_recovered_fen, rating, region_code=region_code,
                         reason=reason, now=now, settings=settings)
    verdict = None
    if note and t.party in ("consumer", "business"):
        # The consumer's and the business's notes (a reply, a proposal, a dispute) are user text; the
        # platform's mediators are not moderated.
        verdict = moderation.enforce(moderation.check_text(
            note, user=actor.user, scene="reply" if t.party == "business" else "message", settings=settings))
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
    if action == "transfer":
        data["from_region"], data["to_region"] = complaint.region_code, region_code
        complaint.region_code = region_code
        complaint.updated_at = now
    if action == "pause":
        _pause(complaint, reason, now)
        data["reason"] = reason
    if action == "resume":
        data["reason"] = complaint.paused_reason
        data["paused_seconds"] = _resume(complaint, now)
    if action == "reopen":
        complaint.reopened_at = now
    if action in FULFILMENT_ANSWERS:
        complaint.fulfilment = action
        complaint.fulfilment_answered_at = now
        data["fulfilment"] = action
    if action == "request_materials":
        _pause(complaint, "materials", now)
        complaint.materials_due_at = now + timedelta(days=int(settings["MATERIALS_DAYS"]))
        data["reason"] = "materials"
        data["materials_due_at"] = complaint.materials_due_at.isoformat()
    if action == "supplement":
        data["attachment_ids"] = _attach(session, actor, complaint, attachment_ids or [])
        data["paused_seconds"] = _resume(complaint, now)
    if verdict is not None:
        _held(session, settings, complaint, verdict)
    if t.target is not None:
        _enter(session, settings, complaint, t.target, now,
               promised=action == "mediate_success" and _proposed_in_mediation(timeline))
    else:
        complaint.updated_at = now
    ev = _append_event(session, complaint, actor, role, action, source, complaint.status, note, data, now,
                       timeline=timeline, settings=settings)
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
    if action == "fulfilment_check":
        complaint.fulfilment_checked_at = now
    if t.target is not None:
        _enter(session, settings, complaint, t.target, now)
    ev = _append_event(session, complaint, SYSTEM, "system", action, source, complaint.status, note, {}, now,
                       timeline=timeline, settings=settings)
    _after_change(session, settings, complaint, ev, t.event_type, now)
    if action == "auto_accept":
        _route_after_accept(session, settings, complaint, now, timeline=timeline)
    return ev


# ---------------------------------------------------------------- messages

MAX_MESSAGE_ATTACHMENTS = 9


def do_post_message(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, body: str,
                    now: datetime | None = None, attachment_ids: list[str] | None = None) -> Message:
    """A message in the complaint's thread, with the poster's own unused uploads as evidence (at most 9; a
    message with attachments may have no text). The uploads join the complaint, so that its parties see
    them; any upload that may not be used refuses the whole message (422), before anything is written."""
    now = now or utcnow()
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if complaint.status == "closed":
        raise InvalidTransition("投诉已结案，不能再留言", allowed_actions=[])
    uploads = claim_own_uploads(session, actor, attachment_ids, limit=MAX_MESSAGE_ATTACHMENTS)
    if not body.strip() and not uploads:
        raise ValidationFailed([{"field": "body", "message": "请填写留言内容或添加附件"}])
    role = "consumer" if "consumer" in mine else "business_staff" if "business" in mine else actor.kind
    if role == "business_staff":
        from server.core.assist.placeholders import check_no_placeholders

        check_no_placeholders("body", body)
    if role in ("consumer", "business_staff") and body.strip():
        verdict = moderation.enforce(moderation.check_text(body, user=actor.user, scene="message",
                                                           settings=settings))
        _held(session, settings, complaint, verdict)
    msg = Message(complaint_id=complaint.id, author_id=actor.user_id, author_role=role, body=body.strip(), created_at=now)
    session.add(msg)
    if uploads:
        session.flush()  # the message's id
        bind_to_complaint(complaint, uploads)
        session.add_all(MessageAttachment(upload_id=u.id, message_id=msg.id, position=i) for i, u in enumerate(uploads))
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
        if complaint.business_id is not None:
            public_changed_on_commit(session, settings, complaint.business_id)
    return msg


def event_count(session: Session, complaint_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    ).scalar_one()


def validate_purchase_date(value: date | None, now: datetime) -> None:
    if value is not None and value > (now + timedelta(days=1)).date():
        raise ValidationFailed([{"field": "purchase_date", "message": "购买日期不能晚于今天"}])


__all__ = [
    "Filed", "Moved", "allowed_actions", "reopen_until", "check_create_complaint", "check_transition",
    "do_create_complaint", "do_post_message", "fulfilment_blocked", "do_system_step", "do_transition", "event_hash", "mark_seen",
    "public_no_for", "timeline_of",
]
