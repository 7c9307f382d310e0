"""The business's details and how it may reach the consumer (API.md "The business's details", issue 18.4).

* A complaint against a business not on the platform records the address, phone and unified social credit
  code the consumer gave (`check_business_details`); they are the parties' to read, never public.
* A complaint naming a verified platform business by its credit code, or by its exact name up to
  full-width forms, spaces and case (`business_name_key`), is linked to it when filed (`find_platform_business`),
  so it is routed, notified and counted like any complaint filed against the business.
* A mediator of the complaint's region (or an admin) links an unlinked open complaint to a verified business
  (`do_link_business`): a `link_business` event; a complaint already in mediation that never reached a business
  is forwarded to it at once (the business is told as of a new complaint and gets its response period), one not
  yet accepted is forwarded when it is accepted.
* The consumer chooses at filing how the business may reach them (`contact_preference`): `message` (the
  thread only) or `phone`. The business's staff then see the bound phone masked and may reveal it while the
  complaint is open (`do_reveal_contact`); mediators may reveal it whatever the choice. Every reveal is a
  `contact_reveal` event of the hash-chained timeline (who, when, which complaint; never the number).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.core.actor import SYSTEM, Actor
from server.core.businesses import is_valid_credit_code
from server.core.complaints.states import OPEN_STATES
from server.core.complaints.visibility import parties
from server.core.errors import AlreadyLinked, Conflict, Forbidden, InvalidTransition, ValidationFailed
from server.core.models import Business, Complaint, User, utcnow
from server.core.models.business import business_name_key

CONTACT_PREFERENCES = ("message", "phone")
LINK_ACTION = "link_business"
REVEAL_ACTION = "contact_reveal"
# An unlinked complaint can be linked until the business had its chance: before acceptance (routed when
# accepted) or in mediation that never reached a business (forwarded now).
LINKABLE_STATES = ("submitted", "accepted", "mediating")

# A mainland mobile (with +86), a landline with its area code (0xx-xxxxxxxx, an extension after -, 转 or #),
# or a 400/800 service number: digits once spaces, dashes and brackets are removed.
_PHONE_RE = re.compile(r"(?:\+?86)?(?:1[3-9]\d{9}|0\d{2,3}[1-9]\d{6,7}(?:(?:转|#|ext)\d{1,6})?|[48]00\d{7})")


def _nfkc(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def check_business_details(data: Mapping[str, Any]) -> dict[str, str | None]:
    """The business's address, phone and credit code, cleaned (NFKC, trimmed, the code upper-cased), or
    ValidationFailed naming each field that is wrong. Absent or blank fields are None."""
    errors = []
    address = _nfkc(data.get("business_address")) or None
    phone = _nfkc(data.get("business_phone")) or None
    code = _nfkc(data.get("business_credit_code")).replace(" ", "").upper() or None
    if address is not None and len(address) < 4:
        errors.append({"field": "business_address", "message": "请填写商家的详细地址（至少 4 个字）"})
    if phone is not None:
        digits = re.sub(r"[\s\-()（）]", "", phone)
        if len(phone) > 32 or not _PHONE_RE.fullmatch(digits):
            errors.append({"field": "business_phone",
                           "message": "商家电话格式不正确：请填写手机号、带区号的固定电话（如 010-12345678）或 400 电话"})
    if code is not None and not is_valid_credit_code(code):
        errors.append({"field": "business_credit_code", "message": "统一社会信用代码无效（18 位，校验码不符）"})
    if errors:
        raise ValidationFailed(errors)
    return {"business_address": address, "business_phone": phone, "business_credit_code": code}


def find_platform_business(session: Session, name: str | None, credit_code: str | None) -> Business | None:
    """The verified platform business a complaint filed by name means: the one with its credit code, else the
    one whose name is the same up to full-width forms, spaces and case. Verified names are unique on the
    platform (businesses.check_name_free); a pending registration is never matched (it may be an impostor)."""
    key = business_name_key(name) if name else None
    conds = []
    if credit_code:
        conds.append(Business.credit_code == credit_code)
    if key:
        conds.append(Business.name_key == key)
    if not conds:
        return None
    rows = session.execute(select(Business).where(Business.status == "verified", or_(*conds))
                           .order_by(Business.id)).scalars().all()
    by_code = [b for b in rows if credit_code and b.credit_code == credit_code]
    if by_code:
        return by_code[0]
    return rows[0] if rows else None


# ------------------------------------------------------------------ linking by a mediator

def check_link_business(session: Session, actor: Actor, complaint: Complaint, business_id: int) -> Business:
    if "mediator" not in parties(actor, complaint):
        raise Forbidden("只有投诉所在地区的调解员和管理员可以为投诉关联商家")
    if complaint.business_id is not None:
        raise AlreadyLinked(f"投诉已关联平台商家「{complaint.business_name}」，不能重复关联")
    if complaint.status not in LINKABLE_STATES:
        raise InvalidTransition("投诉已由商家处理或已办结，不能再关联商家", allowed_actions=[])
    business = session.get(Business, business_id)
    if business is None:
        raise ValidationFailed([{"field": "business_id", "message": "商家不存在"}])
    if business.status != "verified":
        raise ValidationFailed([{"field": "business_id", "message": "只能关联已通过入驻审核的商家"}])
    return business


def do_link_business(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint,
                     business_id: int, now: datetime | None = None) -> list:
    """Link the complaint (locked by the caller) to a verified business; returns its whole timeline. No commit."""
    from server.core.complaints.actions import _after_change, _append_event, _enter, mark_seen, timeline_of

    now = now or utcnow()
    business = check_link_business(session, actor, complaint, business_id)
    timeline = timeline_of(session, complaint.id)
    mark_seen(complaint, now)
    filed_name = complaint.business_name
    complaint.business_id = business.id
    complaint.business_name = business.name
    complaint.updated_at = now
    ev = _append_event(session, complaint, actor, actor.kind, LINK_ACTION, complaint.status, complaint.status, None,
                       {"business_id": business.id, "filed_name": filed_name}, now, timeline=timeline,
                       settings=settings)
    if complaint.status == "mediating" and complaint.forwarded_at is None:
        # In mediation without a business so far: it reaches the business now, as a new complaint does.
        _enter(session, settings, complaint, "forwarded", now)
        fwd = _append_event(session, complaint, SYSTEM, "system", "forward", "mediating", "forwarded", None, {},
                            now, timeline=timeline, settings=settings)
        _after_change(session, settings, complaint, fwd, "complaint.forwarded", now)
    else:
        # Not yet accepted: acceptance forwards it to the business (actions._route_after_accept).
        _after_change(session, settings, complaint, ev, None, now)
    return timeline


# ------------------------------------------------------------------ the consumer's contact

def _consumer(session: Session, complaint: Complaint) -> User | None:
    return session.get(User, complaint.consumer_id) if complaint.consumer_id else None


def contact_view(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint) -> dict | None:
    """`consumer_contact` for the business's staff and the complaint's mediators: the preference and, when the
    consumer chose phone contact, their bound phone masked (138****5678). None for anyone else. (Mediators may
    reveal the phone whatever the choice, do_reveal_contact; the masked form is shown for phone contact only,
    so a detail with the default choice reads no consumer row.)"""
    mine = parties(actor, complaint)
    if not mine & {"business", "mediator"}:
        return None
    preference = complaint.contact_preference or "message"
    masked = None
    if preference == "phone":
        from server.core.identity.accounts import phone_masked

        consumer = _consumer(session, complaint)
        if consumer is not None and consumer.phone_enc:
            try:
                masked = phone_masked(settings, consumer)
            except (KeyError, ValueError):  # no key (outside a request) or a ciphertext under a retired key
                masked = None
    return {"preference": preference, "phone_masked": masked}


def do_reveal_contact(session: Session, settings: Mapping[str, Any], actor: Actor, complaint: Complaint,
                      now: datetime | None = None) -> str:
    """The consumer's full phone for the business's staff (the consumer chose phone, the complaint is open) or
    the complaint's mediators; each reveal is a `contact_reveal` timeline event without the number. No commit."""
    from server.core.complaints.actions import _append_event, timeline_of
    from server.core.identity.accounts import cipher

    now = now or utcnow()
    mine = parties(actor, complaint)
    if "mediator" in mine:
        role = actor.kind
    elif "business" in mine:
        role = "business_staff"
        if actor.user is None:
            raise Forbidden("请由商家工作人员登录后查看消费者的电话号码")
        if (complaint.contact_preference or "message") != "phone":
            raise Forbidden("消费者选择仅通过留言联系，不能查看其电话号码；请在留言中与消费者沟通")
        if complaint.status not in OPEN_STATES:
            raise InvalidTransition("投诉已办结，不能再查看消费者的电话号码", allowed_actions=[])
    else:
        raise Forbidden("只有被投诉商家的工作人员和调解员可以查看消费者的电话号码")
    consumer = _consumer(session, complaint)
    if consumer is None or not consumer.phone_enc:
        raise Conflict("消费者未绑定手机号，请通过留言联系")
    try:
        phone = cipher(settings).decrypt(consumer.phone_enc)
    except ValueError as exc:
        raise Conflict("消费者的手机号暂时无法读取，请通过留言联系") from exc
    _append_event(session, complaint, actor, role, REVEAL_ACTION, complaint.status, complaint.status, None, {},
                  now, timeline=timeline_of(session, complaint.id), settings=settings)
    return phone
