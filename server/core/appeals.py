"""Business appeals (申诉): the business asks a mediator to take a complaint out of its index.

* Filing (staff of the complaint's business, or its API key: a key speaks for the business exactly as its
  staff do, and it is a mediator, a person, who decides): one pending appeal per complaint at a time; a
  complaint already excluded cannot be appealed again. Filing changes nothing in the index.
* Deciding (a mediator of the complaint's region, or an admin): upheld sets ``index_excluded`` on the
  complaint, which leaves the business's index and the rankings in the same transaction; rejected, the
  complaint counts (a person has now looked at it). An upheld appeal is final.
* Both steps are timeline events written with the complaint's hash chain (the same function transitions
  use); their data carry the appeal id and a SHA-256 of the appeal's content, so the audit trail pins what
  was claimed and decided without showing the business's note to the consumer.
* Who hears of it (inbox, plus the configured channels of each party): filing, the consumer and the
  mediators of the region; the decision, the consumer and the business (and its webhooks).
* Who sees what (:func:`appeal_view`): the business, the region's mediators and admins see everything; the
  consumer sees that an appeal exists, when, and its outcome (not the reason, note, evidence or decision note).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.cache import public_changed_on_commit
from server.core.complaints.actions import _append_event, mark_seen, timeline_of
from server.core.complaints.visibility import parties
from server.core.errors import (
    AppealDecided,
    AppealPending,
    Forbidden,
    IndexExcluded,
    NotFound,
    ValidationFailed,
)
from server.core.models import Appeal, AppealAttachment, Complaint, ComplaintEvent, Upload, User, utcnow
from server.core.timeutil import to_iso
from server.core.uploads import claim_own_uploads

REASONS: dict[str, str] = {
    "not_consumer": "投诉人并非本商家的消费者",
    "duplicate": "重复投诉",
    "malicious": "恶意投诉",
    "wrong_business": "投诉对象错误",
    "other": "其他",
}
STATES = ("pending", "upheld", "rejected")
MAX_ATTACHMENTS = 9
FILE_ACTION = "appeal"
DECIDE_ACTION = "appeal_decision"
FILED_EVENT = "appeal.filed"
DECIDED_EVENT = "appeal.decided"


def _digest(doc: Mapping[str, Any]) -> str:
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def appeals_of(session: Session, complaint_id: int) -> list[Appeal]:
    return list(session.execute(select(Appeal).where(Appeal.complaint_id == complaint_id)
                                .order_by(Appeal.id)).scalars())


def attachments_by_appeal(session: Session, appeal_ids: Sequence[int]) -> dict[int, list[Upload]]:
    out: dict[int, list[Upload]] = {i: [] for i in appeal_ids}
    if not appeal_ids:
        return out
    for link, upload in session.execute(
            select(AppealAttachment, Upload).join(Upload, Upload.id == AppealAttachment.upload_id)
            .where(AppealAttachment.appeal_id.in_(list(appeal_ids)))
            .order_by(AppealAttachment.appeal_id, AppealAttachment.position)).all():
        out[link.appeal_id].append(upload)
    return out


def appeal_complaint_of_upload(session: Session, upload_id: str) -> Complaint | None:
    """The complaint whose appeal carries this upload as evidence, if any."""
    return session.execute(select(Complaint).join(Appeal, Appeal.complaint_id == Complaint.id)
                           .join(AppealAttachment, AppealAttachment.appeal_id == Appeal.id)
                           .where(AppealAttachment.upload_id == upload_id)).scalar_one_or_none()


def sees_appeal_details(actor: Actor, complaint: Complaint) -> bool:
    """The business and the complaint's mediators (admins included) see an appeal whole; the consumer only
    that it exists and how it ended."""
    return bool(parties(actor, complaint) & {"business", "mediator"})


def appeal_view(actor: Actor, complaint: Complaint, appeal: Appeal, uploads: list[Upload] | None = None) -> dict:
    out: dict[str, Any] = {"id": appeal.id, "complaint_id": appeal.complaint_id, "state": appeal.state,
                           "created_at": to_iso(appeal.created_at), "decided_at": to_iso(appeal.decided_at)}
    if sees_appeal_details(actor, complaint):
        out.update({
            "reason": appeal.reason, "reason_label": REASONS.get(appeal.reason, appeal.reason), "note": appeal.note,
            "attachments": [{"id": u.id, "sha256": u.sha256, "mime": u.mime, "size": u.size,
                             "url": f"/api/v1/uploads/{u.id}"} for u in (uploads or [])],
            "filed_via": "api_key" if appeal.api_key_id else "staff",
            "decision_note": appeal.decision_note,
        })
    return out


def pending_appeal_clause():
    """Complaints with a pending appeal (the mediators' queue: GET /complaints?appeal=pending)."""
    return Complaint.id.in_(select(Appeal.complaint_id).where(Appeal.state == "pending"))


def appeal_clause(state: str):
    return Complaint.id.in_(select(Appeal.complaint_id).where(Appeal.state == state))


# ------------------------------------------------------------------ notifications

def _notify(session: Session, settings: Mapping[str, Any], complaint: Complaint, event: ComplaintEvent,
            event_type: str, now: datetime, exclude_user: int | None, to_mediators: bool) -> None:
    from server.core.notifications.outbox import _add, _fan_out, wake_after_commit

    body = f"{complaint.public_no}「{complaint.title}」"
    payload = {"complaint_id": complaint.id, "public_no": complaint.public_no, "status": complaint.status,
               "event_seq": event.seq, "appeal_id": event.data.get("appeal_id")}
    if event_type == DECIDED_EVENT:
        payload["upheld"] = bool(event.data.get("upheld"))
    _fan_out(session, settings, complaint, event_type, f"ev{event.id}", body, payload, now,
             exclude_user=exclude_user)
    if not to_mediators:
        return
    code = complaint.region_code or ""
    prefixes = [code[:n] for n in (2, 4, 6) if len(code) >= n]
    mediators = session.execute(select(User.id).where(User.kind == "mediator", User.region_code.in_(prefixes),
                                                      User.deleted_at.is_(None)).order_by(User.id)).scalars().all()
    added = False
    for uid in mediators:
        if uid != exclude_user and _add(session, event_type=event_type, source=f"ev{event.id}", complaint=complaint,
                                        recipient_id=uid, channel="inbox", now=now, body=body, payload=dict(payload)):
            added = True
    if added:
        wake_after_commit(session, settings)


# ------------------------------------------------------------------ filing

def _check_attachments(session: Session, actor: Actor, attachment_ids: Sequence[str]) -> list[Upload]:
    if attachment_ids and actor.user_id is None:
        raise ValidationFailed([{"field": "attachment_ids", "message": "API 密钥不能附带附件，请由员工登录后上传"}])
    return claim_own_uploads(session, actor, attachment_ids, limit=MAX_ATTACHMENTS)


def do_file_appeal(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, reason: str,
                note: str | None, attachment_ids: Sequence[str] = (), now: datetime | None = None
                ) -> tuple[Appeal, list[Upload]]:
    """File an appeal (the caller holds the complaint locked). No commit."""
    now = (now or utcnow()).replace(microsecond=0)
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if "business" not in mine:
        raise Forbidden("只有被投诉商家可以对这件投诉提出申诉")
    note = (note or "").strip() or None
    errors = []
    if reason not in REASONS:
        errors.append({"field": "reason", "message": f"申诉理由应为 {', '.join(REASONS)} 之一"})
    if reason == "other" and not note:
        errors.append({"field": "note", "message": "理由为“其他”时请说明申诉理由"})
    if errors:
        raise ValidationFailed(errors)
    if note:
        # A risky note is refused before anything is written. A review verdict needs no hold: an appeal is
        # seen only by its business and the mediators, and a mediator reads it before deciding.
        from server.core import moderation

        moderation.enforce(moderation.check_text(note, user=actor.user, scene="appeal", settings=settings))
    if complaint.index_excluded:
        raise IndexExcluded("这件投诉已因申诉成立不计入指数，无需再次申诉")
    if session.execute(select(Appeal.id).where(Appeal.complaint_id == complaint.id, Appeal.state == "pending")
                       .limit(1)).first() is not None:
        raise AppealPending("这件投诉已有一项待处理的申诉，请等待调解员处理后再提出")
    uploads = _check_attachments(session, actor, attachment_ids)
    appeal = Appeal(complaint_id=complaint.id, business_id=complaint.business_id, filed_by_id=actor.user_id,
                    api_key_id=actor.api_key_id, reason=reason, note=note, state="pending", created_at=now)
    session.add(appeal)
    session.flush()
    session.add_all([AppealAttachment(upload_id=u.id, appeal_id=appeal.id, position=i) for i, u in enumerate(uploads)])
    timeline = timeline_of(session, complaint.id)
    content = {"reason": reason, "note": note or "", "attachments": [u.sha256 for u in uploads]}
    ev = _append_event(session, complaint, actor, "business_staff", FILE_ACTION, complaint.status, complaint.status,
                       None, {"appeal_id": appeal.id, "content_sha256": _digest(content)}, now, timeline=timeline,
                       settings=settings)
    _notify(session, settings, complaint, ev, FILED_EVENT, now, exclude_user=actor.user_id, to_mediators=True)
    return appeal, uploads


# ------------------------------------------------------------------ deciding

def do_decide_appeal(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, appeal_id: int,
                  upheld: bool, note: str | None, now: datetime | None = None) -> Appeal:
    """Uphold or reject a pending appeal (the caller holds the complaint locked); the index follows at once.
    No commit."""
    from server.core.scoring.actions import on_complaint_changed

    now = (now or utcnow()).replace(microsecond=0)
    mine = parties(actor, complaint)
    if not mine:
        raise NotFound("投诉不存在或无权查看")
    if "mediator" not in mine:
        raise Forbidden("只有投诉所在地区的调解员或管理员可以处理申诉")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or appeal.complaint_id != complaint.id:
        raise NotFound("申诉不存在")
    if appeal.state != "pending":
        raise AppealDecided(f"这项申诉已经处理过了（{'成立' if appeal.state == 'upheld' else '不成立'}）")
    note = (note or "").strip() or None
    appeal.state = "upheld" if upheld else "rejected"
    appeal.decided_at = now
    appeal.decided_by_id = actor.user_id
    appeal.decision_note = note
    mark_seen(complaint, now)  # a mediator has looked at it
    if upheld:
        complaint.index_excluded = True
    complaint.updated_at = now
    timeline = timeline_of(session, complaint.id)
    content = {"upheld": bool(upheld), "note": note or ""}
    ev = _append_event(session, complaint, actor, actor.kind, DECIDE_ACTION, complaint.status, complaint.status, None,
                       {"appeal_id": appeal.id, "upheld": bool(upheld), "content_sha256": _digest(content)}, now,
                       timeline=timeline, settings=settings)
    _notify(session, settings, complaint, ev, DECIDED_EVENT, now, exclude_user=actor.user_id, to_mediators=False)
    # The business's index in this transaction (as a transition does), and every public aggregate (the
    # rankings) fresh at once after commit rather than at the end of the cache's freshness window.
    on_complaint_changed(session, settings, complaint, now)
    public_changed_on_commit(session, settings)
    return appeal
