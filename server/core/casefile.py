"""The complete case (issue 18): reports (举报) and the business's public reply.

Reports are tips about a violation without personal redress. A signed-in consumer files one naming a
platform business (``business_id``) or any business by name, in a region; the region's mediators (by
division-code prefix, like complaints) and admins read them, the reporter reads their own. A report is
never a complaint: it has no timeline, no deadlines and never reaches the index or the rankings.

The public reply is the business's one current answer shown beside its published complaint on
``/public/complaints`` and the ``/cases`` page; a new reply replaces it, and each is a timeline event.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from server.core import moderation
from server.core.actor import Actor
from server.core.complaints.visibility import parties
from server.core.errors import Forbidden, NotFound, ValidationFailed
from server.core.models import (
    Business,
    Complaint,
    PublicReply,
    Report,
    ReportAttachment,
    Upload,
    utcnow,
)
from server.core.timeutil import to_iso
from server.core.uploads import claim_own_uploads

MAX_ATTACHMENTS = 9
REPLY_MAX_LENGTH = 1000
REPLY_ACTION = "public_reply"
REPORT_EVENT = "report.filed"


# ------------------------------------------------------------------ reports

def report_visibility(actor: Actor):
    """The reports the actor may read: admins all, mediators their region's, a consumer their own."""
    if actor.kind == "admin":
        return true()
    if actor.kind == "mediator":
        if not actor.region_code:
            return false()
        return Report.region_code.startswith(actor.region_code, autoescape=True)
    if actor.user_id is not None:
        return Report.reporter_id == actor.user_id
    return false()


def _report_uploads(session: Session, actor: Actor, ids: Sequence[str]) -> list[Upload]:
    return claim_own_uploads(session, actor, ids, limit=MAX_ATTACHMENTS)


def do_file_report(session: Session, settings: Mapping[str, Any], actor: Actor, data: Mapping[str, Any],
                now: datetime | None = None, gate: Callable[[], None] | None = None) -> tuple[Report, list[Upload]]:
    """File a report (no commit). Refusals come before anything is written; `gate` (the rate limit) runs once
    the report is known to be acceptable, so a refused one uses none of the reporter's quota."""
    now = (now or utcnow()).replace(microsecond=0)
    if actor.user is None or actor.kind not in ("consumer", "business_staff"):
        raise Forbidden("只有消费者账号可以提交举报")
    errors = []
    business = None
    if data.get("business_id") is not None:
        business = session.get(Business, data["business_id"])
        if business is None:
            errors.append({"field": "business_id", "message": "商家不存在"})
    elif not (data.get("business_name") or "").strip():
        errors.append({"field": "business_name", "message": "请填写被举报的商家（business_id 或 business_name）"})
    region = data["region_code"]  # a county code (validated by the API schema)
    if errors:
        raise ValidationFailed(errors)
    verdict = moderation.enforce(moderation.check_texts([data.get("business_name"), data["description"]],
                                                        user=actor.user, scene="complaint", settings=settings))
    uploads = _report_uploads(session, actor, data.get("attachment_ids") or [])
    if gate is not None:
        gate()
    report = Report(reporter_id=actor.user_id, business_id=business.id if business else None,
                    business_name=business.name if business else data["business_name"].strip(),
                    region_code=region, description=data["description"].strip(),
                    moderation="review" if verdict.verdict == "review" else "pass", created_at=now)
    session.add(report)
    session.flush()
    session.add_all([ReportAttachment(upload_id=u.id, report_id=report.id, position=i) for i, u in enumerate(uploads)])
    _notify_mediators(session, settings, report, now)
    return report, uploads


def _notify_mediators(session: Session, settings: Mapping[str, Any], report: Report, now: datetime) -> None:
    """An inbox notice to each mediator of the report's region (reports have no webhooks or business side)."""
    from server.core.models import Notification, User
    from server.core.notifications.outbox import with_request_id

    code = report.region_code or ""
    prefixes = [code[:n] for n in (2, 4, 6) if len(code) >= n]
    mediators = session.execute(select(User.id).where(User.kind == "mediator", User.region_code.in_(prefixes),
                                                      User.deleted_at.is_(None)).order_by(User.id)).scalars().all()
    session.add_all([Notification(
        event_type=REPORT_EVENT, recipient_id=uid, channel="inbox", dedupe_key=f"report{report.id}:{uid}:inbox",
        title="新的举报", body=f"{report.business_name}（举报 #{report.id}）",
        payload=with_request_id({"report_id": report.id, "region_code": report.region_code}), send_state="sent",
        sent_at=now,
        created_at=now) for uid in mediators])


def get_report(session: Session, actor: Actor, report_id: int) -> Report:
    r = session.execute(select(Report).where(Report.id == report_id, report_visibility(actor))).scalar_one_or_none()
    if r is None:
        raise NotFound("举报不存在或无权查看")
    return r


def attachments_by_report(session: Session, ids: Sequence[int]) -> dict[int, list[Upload]]:
    out: dict[int, list[Upload]] = {i: [] for i in ids}
    if not ids:
        return out
    for link, u in session.execute(select(ReportAttachment, Upload).join(Upload, Upload.id == ReportAttachment.upload_id)
                                   .where(ReportAttachment.report_id.in_(list(ids)))
                                   .order_by(ReportAttachment.report_id, ReportAttachment.position)).all():
        out[link.report_id].append(u)
    return out


def report_of_upload(session: Session, upload_id: str) -> Report | None:
    return session.execute(select(Report).join(ReportAttachment, ReportAttachment.report_id == Report.id)
                           .where(ReportAttachment.upload_id == upload_id)).scalar_one_or_none()


def report_view(report: Report, uploads: Sequence[Upload] = (), mine: bool = False) -> dict[str, Any]:
    from server.core.reference import region_full_name

    return {"id": report.id, "business_id": report.business_id, "business_name": report.business_name,
            "region_code": report.region_code, "region_name": region_full_name(report.region_code),
            "description": report.description, "moderation": report.moderation, "mine": mine,
            "created_at": to_iso(report.created_at),
            "attachments": [{"id": u.id, "sha256": u.sha256, "mime": u.mime, "size": u.size,
                             "url": f"/api/v1/uploads/{u.id}"} for u in uploads]}


def report_search(stmt, q: str | None):
    if not q:
        return stmt
    return stmt.where(or_(Report.business_name.contains(q, autoescape=True),
                          Report.description.contains(q, autoescape=True)))


# ------------------------------------------------------------------ the business's public reply

def public_reply(session: Session, complaint_id: int) -> PublicReply | None:
    return session.get(PublicReply, complaint_id)


def replies_of(session: Session, complaint_ids: Sequence[int]) -> dict[int, PublicReply]:
    if not complaint_ids:
        return {}
    return {r.complaint_id: r for r in session.execute(
        select(PublicReply).where(PublicReply.complaint_id.in_(list(complaint_ids)))).scalars()}


def reply_json(reply: PublicReply | None) -> dict[str, Any] | None:
    return None if reply is None else {"text": reply.text, "replied_at": to_iso(reply.replied_at)}


def do_set_public_reply(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint, text: str,
                     now: datetime | None = None) -> PublicReply:
    """Write (or replace) the business's public reply; the caller holds the complaint locked. No commit."""
    from server.core.cache import public_changed_on_commit
    from server.core.complaints.actions import _append_event, timeline_of

    now = (now or utcnow()).replace(microsecond=0)
    if "business" not in parties(actor, complaint):
        raise Forbidden("只有被投诉商家的员工可以公开回复")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed([{"field": "text", "message": "内容太短"}])
    from server.core.assist.placeholders import check_no_placeholders

    check_no_placeholders("text", text)
    moderation.enforce(moderation.check_text(text, user=actor.user, scene="reply", settings=settings))
    reply = session.get(PublicReply, complaint.id)
    replaced = reply is not None
    if reply is None:
        reply = PublicReply(complaint_id=complaint.id, text=text, replied_at=now)
        session.add(reply)
    reply.text, reply.replied_at = text, now
    reply.replied_by_id, reply.api_key_id = actor.user_id, actor.api_key_id
    complaint.updated_at = now
    _append_event(session, complaint, actor, "business_staff", REPLY_ACTION, complaint.status, complaint.status,
                  text, {"replaced": replaced}, now, timeline=timeline_of(session, complaint.id), settings=settings)
    public_changed_on_commit(session, settings)
    return reply
