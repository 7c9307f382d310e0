"""Publication needs a person (API.md "Trust"): a consented complaint is public only once a mediator of its
region, or an admin, has read the redacted text and approved it.

* States: ``pending`` (every new complaint), ``approved``, ``refused``. A decision can be changed (a
  mediator may take an approved case down again); each decision is a timeline event
  ``publication_decision`` with ``{"approve": bool}`` and the note, chained like every other event.
* :func:`public_text` is the one place the public text is made: ``/public/complaints``, the ``/cases``
  page (which reads it) and the preview all use it, so the preview is exactly what the public sees.
  It needs nothing of the consumer's account beyond the name it still has: after erasure the stored
  text is scrubbed and the name finder works without being told names.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.cache import public_changed_on_commit
from server.core.complaints.actions import _append_event, mark_seen, timeline_of
from server.core.complaints.visibility import parties
from server.core.errors import Conflict, Forbidden, NotFound
from server.core.models import Complaint, User, utcnow
from server.core.privacy import redact
from server.core.timeutil import to_iso

STATES = ("pending", "approved", "refused")
DECIDE_ACTION = "publication_decision"


def public_clause():
    """The complaints the public may read: consented, accepted, approved by a person, and not held or
    refused by moderation (server/core/moderation/holds.py)."""
    return and_(Complaint.public_consent.is_(True), Complaint.accepted_at.is_not(None),
                Complaint.publication_state == "approved", Complaint.moderation == "pass")


def public_text(complaint: Complaint, display_name: str | None) -> dict[str, str]:
    names = [display_name] if display_name and display_name.strip() else []
    return {"title": redact(complaint.title, names), "description": redact(complaint.description, names)}


def publication_json(complaint: Complaint) -> dict[str, Any]:
    return {"state": complaint.publication_state or "pending", "decided_at": to_iso(complaint.publication_decided_at)}


def preview(session: Session, actor: Actor, complaint: Complaint) -> dict[str, Any]:
    """The title and description as the public would see them (the consumer and its mediators)."""
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if not mine & {"consumer", "mediator"}:
        raise Forbidden("只有投诉人和投诉所在地区的调解员可以预览公开内容")
    consumer = session.get(User, complaint.consumer_id) if complaint.consumer_id else None
    return public_text(complaint, consumer.display_name if consumer else None) | {
        "public_consent": bool(complaint.public_consent), "publication": publication_json(complaint)}


def do_decide_publication(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, approve: bool,
           note: str | None, now: datetime | None = None) -> Complaint:
    """Approve or refuse publication (the caller holds the complaint locked). No commit."""
    now = (now or utcnow()).replace(microsecond=0)
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if "mediator" not in mine:
        raise Forbidden("只有投诉所在地区的调解员或管理员可以决定是否公开")
    if not complaint.public_consent:
        raise Conflict("投诉人没有同意公开这件投诉")
    note = (note or "").strip() or None
    complaint.publication_state = "approved" if approve else "refused"
    complaint.publication_decided_at = now
    complaint.publication_decided_by_id = actor.user_id
    complaint.publication_note = note
    complaint.updated_at = now
    mark_seen(complaint, now)
    _append_event(session, complaint, actor, actor.kind, DECIDE_ACTION, complaint.status, complaint.status, note,
                  {"approve": bool(approve)}, now, timeline=timeline_of(session, complaint.id), settings=settings)
    # /public/complaints and the /cases page change at once after commit, not at the end of the freshness window
    public_changed_on_commit(session, settings)
    return complaint
