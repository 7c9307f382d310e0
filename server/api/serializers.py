"""Objects to JSON, in one place, so every endpoint shows a complaint or a business the same way."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.assist.taxonomy import INDUSTRY_NAMES
from server.core.collective import JOIN_ACTION, summary
from server.core.complaints.actions import allowed_actions
from server.core.models import Business, BusinessIndex, Complaint, ComplaintEvent, Message, Upload
from server.core.money import format_yuan
from server.core.public_reads import profile_figures
from server.core.reference import region_full_name
from server.core.timeutil import to_iso


def event_json(ev: ComplaintEvent) -> dict[str, Any]:
    return {"seq": ev.seq, "action": ev.action, "from_status": ev.from_status, "to_status": ev.to_status,
            "actor_role": ev.actor_role, "note": ev.note, "data": ev.data or {}, "created_at": to_iso(ev.created_at)}


def _settings() -> dict[str, Any] | None:
    """The app's settings, when serialising inside a request (REOPEN_DAYS decides allowed_actions)."""
    from flask import current_app, has_app_context

    return current_app.config.get("SMART315") if has_app_context() else None


def complaint_json(session: Session, actor: Actor, c: Complaint, with_timeline: bool = False,
                   attachments: list[Upload] | None = None,
                   timeline: list[ComplaintEvent] | None = None,
                   flags: dict[int, list[dict[str, Any]]] | None = None,
                   collectives: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """attachments / timeline: when the caller already holds them (ordered by created_at / seq), else read.
    flags: the flags of a page of complaints by id (a list reads them in one query), else read for staff.
    collectives: the `collective` of a page's leads by id (server/core/collective.py, one query); without it
    the detail reads it only when its timeline has a join (nearly none has)."""
    out: dict[str, Any] = {
        "id": c.id, "public_no": c.public_no, "status": c.status, "business_id": c.business_id,
        "business_name": c.business_name, "industry_code": c.industry_code, "region_code": c.region_code,
        "region_name": region_full_name(c.region_code), "category": c.category, "title": c.title,
        "description": c.description, "purchase_date": c.purchase_date.isoformat() if c.purchase_date else None,
        "order_no": c.order_no, "amount_claimed": format_yuan(c.amount_claimed_fen),
        "amount_recovered": format_yuan(c.amount_recovered_fen), "demands": list(c.demands or []),
        "public_consent": c.public_consent, "rating": c.rating, "created_at": to_iso(c.created_at),
        "updated_at": to_iso(c.updated_at), "deadline_at": to_iso(c.deadline_at),
        "allowed_actions": allowed_actions(actor, c, settings=_settings()), "index_excluded": bool(c.index_excluded),
        "paused": bool(c.paused), "paused_reason": c.paused_reason if c.paused else None,
        "paused_at": to_iso(c.paused_at) if c.paused else None,
        "reopened_at": to_iso(c.reopened_at), "materials_due_at": to_iso(c.materials_due_at),
        "fulfilment_checked_at": to_iso(c.fulfilment_checked_at), "fulfilment": c.fulfilment,
        "moderation": c.moderation or "pass",
        "rule_set": c.rule_set,
        "publication": {"state": c.publication_state or "pending", "decided_at": to_iso(c.publication_decided_at)},
        "business_address": c.business_address, "business_phone": c.business_phone,
        "business_credit_code": c.business_credit_code, "contact_preference": c.contact_preference or "message",
    }
    if with_timeline:
        from server.core.complaints.business_details import contact_view

        contact = contact_view(session, _settings() or {}, actor, c)
        if contact is not None:
            out["consumer_contact"] = contact
        if attachments is None:
            attachments = attachments_of(session, c.id)
        from server.core.uploads import upload_visible_in

        out["attachments"] = [attachment_json(u) for u in attachments if upload_visible_in(actor, c, u)]
        if timeline is None:
            timeline = list(session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                                            .order_by(ComplaintEvent.seq)).scalars())
        shown = {a["id"]: a for a in out["attachments"]}
        out["timeline"] = [event_json(e) | _event_attachments(e, shown) for e in timeline]
        out["appeals"] = appeals_json(session, actor, c, timeline)
        if collectives is None and any(e.action == JOIN_ACTION for e in timeline):
            collectives = summary(session, [c.id])
    out["collective_id"] = c.collective_id
    out["collective"] = (collectives or {}).get(c.id) if c.collective_id is None else None
    if sees_flags(actor):
        out["flags"] = flags.get(c.id, []) if flags is not None else flags_json(session, [c.id]).get(c.id, [])
    return out


def sees_flags(actor: Actor) -> bool:
    """Abuse signals are for the platform's people: mediators and admins, never the parties."""
    return actor.kind in ("mediator", "admin")


def flags_json(session: Session, complaint_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    from server.core.complaints.abuse import flags_of

    return {cid: [f | {"created_at": to_iso(f["created_at"])} for f in fl]
            for cid, fl in flags_of(session, complaint_ids).items()}


def appeals_json(session: Session, actor: Actor, c: Complaint, timeline: list[ComplaintEvent]) -> list[dict[str, Any]]:
    """The complaint's appeals as the actor may see them. Every appeal has a timeline event, so a complaint
    whose timeline has none (nearly all) needs no query."""
    from server.core import appeals

    if not any(e.action == appeals.FILE_ACTION for e in timeline):
        return []
    rows = appeals.appeals_of(session, c.id)
    uploads = appeals.attachments_by_appeal(session, [a.id for a in rows]) \
        if appeals.sees_appeal_details(actor, c) else {}
    return [appeals.appeal_view(actor, c, a, uploads.get(a.id, [])) for a in rows]


def _event_attachments(ev: ComplaintEvent, shown: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The evidence an event brought (a supplement's attachment_ids), as far as the reader sees it."""
    ids = (ev.data or {}).get("attachment_ids")
    return {"attachments": [shown[i] for i in ids if i in shown]} if ids else {}


def attachments_of(session: Session, complaint_id: int) -> list[Upload]:
    """The complaint's attachments, ordered by created_at (what its detail shows): given at filing or with a
    supplement; the evidence sent with messages is shown with its message."""
    from sqlalchemy import exists

    from server.core.models import MessageAttachment

    return list(session.execute(select(Upload).where(Upload.complaint_id == complaint_id,
                                                     ~exists().where(MessageAttachment.upload_id == Upload.id))
                                .order_by(Upload.created_at)).scalars())


def upload_json(u: Upload) -> dict[str, Any]:
    return {"id": u.id, "sha256": u.sha256, "mime": u.mime, "size": u.size, "moderation": u.moderation or "pass"}


def attachment_json(u: Upload) -> dict[str, Any]:
    return upload_json(u) | {"content_type": u.mime, "url": f"/api/v1/uploads/{u.id}"}


def message_json(actor: Actor, c: Complaint, m: Message, uploads: list[Upload]) -> dict[str, Any]:
    """A message of the thread with the evidence sent with it that the reader may see (a risky image only
    for its owner and the mediators)."""
    from server.core.uploads import upload_visible_in

    return {"id": m.id, "author_role": m.author_role, "mine": m.author_id is not None and m.author_id == actor.user_id,
            "body": m.body, "created_at": to_iso(m.created_at),
            "attachments": [{"id": u.id, "url": f"/api/v1/uploads/{u.id}", "content_type": u.mime, "mime": u.mime}
                            for u in uploads if upload_visible_in(actor, c, u)]}


def index_json(idx: BusinessIndex | None) -> dict[str, Any] | None:
    if idx is None:
        return None
    return {"score": idx.score, "grade": idx.grade, "insufficient": idx.insufficient,
            "n_complaints": idx.n_complaints, "components": idx.components or {}, "counts": idx.counts or {},
            "formula_version": idx.formula_version, "computed_at": to_iso(idx.computed_at)}


def business_json(session: Session, b: Business, idx: BusinessIndex | None = None, full: bool = False,
                  load_index: bool = True) -> dict[str, Any]:
    if idx is None and load_index:
        idx = session.get(BusinessIndex, b.id)
    out: dict[str, Any] = {
        "id": b.id, "name": b.name, "credit_code": b.credit_code, "industry_code": b.industry_code,
        "industry_name": INDUSTRY_NAMES.get(b.industry_code), "region_code": b.region_code,
        "region_name": region_full_name(b.region_code), "status": b.status, "created_at": to_iso(b.created_at),
        "index": index_json(idx),
    }
    if full:
        out.update(profile_figures(session, b.id))
    return out
