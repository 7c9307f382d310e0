"""What a verdict does to what is stored, and the mediator's decision on a held complaint.

* A ``review`` verdict on text stored with a complaint (its title and description, a message, a note
  of the consumer's or the business's step) sets ``complaint.moderation = "review"``: the complaint is
  held from the business (server.core.complaints.visibility) and the public (/public/complaints)
  until a mediator of its region or an admin clears it (``POST /complaints/{id}/moderation``).
* ``clear: true`` -> "pass"; ``clear: false`` -> "rejected": hidden from the business and the public
  for good, the reason (note) on the timeline, which the consumer sees.
* An image whose WeChat media check answers ``risky`` is hidden from everyone but its owner and the
  complaint's mediators (server.core.uploads).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.cache import public_changed_on_commit
from server.core.complaints.states import ENDED_STATES
from server.core.complaints.visibility import parties
from server.core.errors import Forbidden, NotFound, NotUnderReview
from server.core.models import Complaint, Upload, utcnow
from server.core.moderation.verdict import Verdict

ACTION = "moderation"
STATES = ("pass", "review", "rejected")
MEDIA_STATES = ("pass", "pending", "review", "risky")


def hold_if_review(complaint: Complaint, verdict: Verdict) -> None:
    """A review verdict holds the complaint (a held or rejected complaint stays as it is)."""
    if verdict.review and (complaint.moderation or "pass") == "pass":
        complaint.moderation = "review"


def do_decide_hold(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, clear: bool,
           note: str | None = None, now: datetime | None = None):
    """The mediator's decision on a held complaint; answers the timeline (as do_transition does)."""
    from server.core.complaints.actions import _append_event, mark_seen, timeline_of

    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if "mediator" not in mine:
        raise Forbidden("只有投诉所在辖区的调解员或管理员可以审核内容")
    if complaint.moderation != "review":
        raise NotUnderReview("该投诉没有待审核的内容")
    now = now or utcnow()
    timeline = timeline_of(session, complaint.id)
    complaint.moderation = "pass" if clear else "rejected"
    if clear:  # images held with it are cleared with it
        for upload in session.execute(select(Upload).where(Upload.complaint_id == complaint.id,
                                                           Upload.moderation == "review")).scalars():
            upload.moderation = "pass"
    complaint.updated_at = now
    mark_seen(complaint, now)
    note = (note or "").strip() or (None if clear else "内容未通过审核")
    ev = _append_event(session, complaint, actor, actor.kind, ACTION, complaint.status, complaint.status, note,
                       {"clear": bool(clear), "moderation": complaint.moderation}, now, timeline=timeline,
                       settings=settings)
    if clear and complaint.business_id is not None and complaint.forwarded_at is not None \
            and complaint.status not in ENDED_STATES + ("closed",):
        # Forwarded while held, the business was told nothing: it hears of the complaint now.
        # (The consumer was told when it was forwarded.)
        from server.core.notifications.outbox import _fan_out

        _fan_out(session, settings, complaint, "complaint.forwarded", f"ev{ev.id}",
                 f"{complaint.public_no}「{complaint.title}」",
                 {"complaint_id": complaint.id, "public_no": complaint.public_no, "status": complaint.status,
                  "event_seq": ev.seq}, now, exclude_user=complaint.consumer_id)
    public_changed_on_commit(session, settings, complaint.business_id)
    return timeline


def apply_media_result(session: Session, settings: Mapping[str, Any], trace_id: str, verdict: Verdict) -> Upload | None:
    """The WeChat push for one media check: a risky image is withdrawn from the business and the public."""
    upload = session.execute(select(Upload).where(Upload.moderation_trace_id == trace_id)).scalar_one_or_none()
    if upload is None:
        return None
    if verdict.risky:
        upload.moderation = "risky"
    elif upload.moderation == "pending":
        # review: the image waits for a person like text does; the complaint it belongs to (now, or when
        # it is filed: see do_create_complaint) is held until a mediator clears it.
        upload.moderation = "review" if verdict.review else "pass"
        complaint = session.get(Complaint, upload.complaint_id) if upload.complaint_id else None
        if complaint is not None:
            hold_if_review(complaint, verdict)
    if upload.complaint_id is not None:
        complaint = session.get(Complaint, upload.complaint_id)
        if complaint is not None:
            public_changed_on_commit(session, settings, complaint.business_id)
    return upload
