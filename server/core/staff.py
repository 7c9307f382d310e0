"""Staff by invitation, staff removal, registration rejection and reapplication (issues 15.3 and 14.6).

Membership needs the invited person's acceptance: `invite` records an invitation addressed to a phone's
keyed hash and answers the same whether or not an account has that phone (nothing about other accounts is
revealed). Whoever holds an account with the phone -- now, or after registering or binding it later, since
invitations are matched by the account's current phone hash when read -- sees it in /me/invitations and
accepts or declines it. Only a verified business invites. Every change is a row of business_event.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.cache import public_changed_on_commit
from server.core.errors import (
    BusinessNotVerified,
    Forbidden,
    InvalidTransition,
    InvitationExpired,
    LastOwner,
    NotFound,
)
from server.core.models import (
    Business,
    BusinessEvent,
    BusinessInvitation,
    BusinessMember,
    Notification,
    User,
    utcnow,
)
from server.core.vocabulary import EVENTS, STAFF_ROLES

ROLE_LABELS = STAFF_ROLES


def record_event(session: Session, business: Business, action: str, actor: Actor | None, *,
                 subject_user_id: int | None = None, invitation_id: int | None = None, note: str | None = None,
                 now: datetime | None = None) -> BusinessEvent:
    ev = BusinessEvent(business_id=business.id, action=action, actor_id=actor.user_id if actor else None,
                       actor_role=(actor.kind if actor else "system"), subject_user_id=subject_user_id,
                       invitation_id=invitation_id, note=note, created_at=now or utcnow())
    session.add(ev)
    return ev


def events_of(session: Session, business_id: int) -> list[BusinessEvent]:
    return list(session.execute(select(BusinessEvent).where(BusinessEvent.business_id == business_id)
                                .order_by(BusinessEvent.id)).scalars())


# ------------------------------------------------------------------ notices to accounts (not complaints)

def notify_user(session: Session, settings: Mapping[str, Any], user_id: int, event_type: str, title: str,
                body: str, payload: dict, source: str, now: datetime, business_id: int | None = None) -> None:
    """An account notice through the notification system: always the inbox, and the WeChat official account
    template message when the user bound an OA openid and a template is configured for the event."""
    from server.core.notifications.outbox import wake_after_commit, with_request_id

    session.add(Notification(
        event_type=event_type, complaint_id=None, recipient_id=user_id, business_id=None, channel="inbox",
        target=None, dedupe_key=f"{source}:u{user_id}:inbox:"[:160], title=title, body=body,
        payload=with_request_id(dict(payload)),
        send_state="sent", sent_at=now, next_attempt_at=None, created_at=now, attempts=0))
    from server.core.notifications.templates import entry_for, template_id

    template = template_id(entry_for(settings, "WECHAT_OA_TEMPLATES", event_type))
    if not template:
        return
    openids = session.execute(select(BusinessMember.oa_openid).where(
        BusinessMember.user_id == user_id, BusinessMember.oa_openid.is_not(None),
        *([BusinessMember.business_id == business_id] if business_id else []))).scalars().all()
    for openid in sorted(set(openids))[:1]:
        session.add(Notification(
            event_type=event_type, complaint_id=None, recipient_id=user_id, business_id=None,
            channel="wechat_template", target=openid, dedupe_key=f"{source}:u{user_id}:wechat_template:{openid}"[:160],
            title=title, body=body, payload=with_request_id({**payload, "template_id": template}),
            send_state="pending",
            next_attempt_at=now, created_at=now, attempts=0))
        wake_after_commit(session, settings)


# ------------------------------------------------------------------ invitations

def _require_manager(actor: Actor, business: Business) -> None:
    from server.core.businesses import require_owner

    require_owner(actor, business)


def do_invite_member(session: Session, settings: Mapping[str, Any], actor: Actor, business: Business, phone: str,
           role: str, now: datetime | None = None) -> BusinessInvitation:
    """Invite a phone to the staff. The same answer whether or not an account has the phone, is already a
    member, or belongs to a mediator (who will simply be unable to accept)."""
    from server.core.identity.accounts import cipher

    _require_manager(actor, business)
    if business.status != "verified":
        raise BusinessNotVerified("商家通过平台审核后才能邀请员工")
    now = now or utcnow()
    c = cipher(settings)
    h = c.lookup_hash(phone)
    expires = now + timedelta(days=int(settings["INVITATION_DAYS"]))
    inv = session.execute(select(BusinessInvitation).where(
        BusinessInvitation.business_id == business.id, BusinessInvitation.phone_hash == h,
        BusinessInvitation.state == "pending", BusinessInvitation.expires_at > now)).scalars().first()
    if inv is not None:  # the same pending invitation again: renewed, not duplicated
        inv.role = role
        inv.expires_at = expires
        inv.invited_by = actor.user_id
    else:
        inv = BusinessInvitation(business_id=business.id, phone_hash=h, phone_enc=c.encrypt(phone), role=role,
                                 invited_by=actor.user_id, state="pending", created_at=now, expires_at=expires)
        session.add(inv)
        session.flush()
    record_event(session, business, "invited", actor, invitation_id=inv.id, note=ROLE_LABELS.get(role, role), now=now)
    invitee = session.execute(select(User.id).where(User.phone_hash == h, User.deleted_at.is_(None))).scalar()
    if invitee is not None:
        notify_user(session, settings, invitee, "business.invited", EVENTS["business.invited"],
                    f"「{business.name}」邀请您成为{ROLE_LABELS.get(role, role)}，请在“我的”页面接受或拒绝",
                    {"business_id": business.id, "invitation_id": inv.id}, f"inv{inv.id}:{secrets.token_hex(6)}", now)
    session.flush()
    return inv


def invitation_state(inv: BusinessInvitation, now: datetime) -> str:
    if inv.state == "pending" and inv.expires_at <= now:
        return "expired"
    return inv.state


def my_invitations(session: Session, user: User, now: datetime | None = None) -> list[tuple[BusinessInvitation, Business]]:
    """Pending, unexpired invitations to the user's phone (matched by its current keyed hash)."""
    if not user.phone_hash:
        return []
    now = now or utcnow()
    return list(session.execute(
        select(BusinessInvitation, Business).join(Business, Business.id == BusinessInvitation.business_id)
        .where(BusinessInvitation.phone_hash == user.phone_hash, BusinessInvitation.state == "pending",
               BusinessInvitation.expires_at > now)
        .order_by(BusinessInvitation.created_at.desc(), BusinessInvitation.id.desc())).all())


def _my_invitation(session: Session, actor: Actor, invitation_id: int) -> BusinessInvitation:
    if actor.user is None:
        raise Forbidden("请用个人账号操作")
    inv = session.get(BusinessInvitation, invitation_id)
    if inv is None or not actor.user.phone_hash or inv.phone_hash != actor.user.phone_hash:
        raise NotFound("邀请不存在")
    return inv


def _decidable(inv: BusinessInvitation, now: datetime) -> None:
    state = invitation_state(inv, now)
    if state == "expired":
        raise InvitationExpired("邀请已过期，请联系商家重新邀请")
    if state != "pending":
        raise InvalidTransition("这份邀请已经处理过了", allowed_actions=[])


def do_accept_invitation(session: Session, settings: Mapping[str, Any], actor: Actor, invitation_id: int,
           now: datetime | None = None) -> BusinessMember:
    now = now or utcnow()
    inv = _my_invitation(session, actor, invitation_id)
    _decidable(inv, now)
    user = actor.user
    if user.kind in ("mediator", "admin"):
        raise Forbidden("调解员和管理员账号不能成为商家员工")
    business = session.get(Business, inv.business_id)
    if business.status != "verified":
        raise BusinessNotVerified("该商家目前未通过平台审核，暂时不能加入")
    member = session.execute(select(BusinessMember).where(
        BusinessMember.business_id == business.id, BusinessMember.user_id == user.id)).scalar_one_or_none()
    if member is None:
        member = BusinessMember(business_id=business.id, user_id=user.id, role=inv.role)
        session.add(member)
    else:
        member.role = inv.role
    if user.kind == "consumer":
        user.kind = "business_staff"
    inv.state = "accepted"
    inv.decided_at = now
    inv.decided_by = user.id
    record_event(session, business, "invitation_accepted", actor, subject_user_id=user.id, invitation_id=inv.id,
                 now=now)
    session.flush()
    return member


def do_decline_invitation(session: Session, actor: Actor, invitation_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    inv = _my_invitation(session, actor, invitation_id)
    _decidable(inv, now)
    inv.state = "declined"
    inv.decided_at = now
    inv.decided_by = actor.user_id
    record_event(session, session.get(Business, inv.business_id), "invitation_declined", actor,
                 subject_user_id=actor.user_id, invitation_id=inv.id, now=now)


def business_invitations(session: Session, actor: Actor, business: Business) -> list[BusinessInvitation]:
    _require_manager(actor, business)
    return list(session.execute(select(BusinessInvitation).where(BusinessInvitation.business_id == business.id)
                                .order_by(BusinessInvitation.id.desc()).limit(200)).scalars())


# ------------------------------------------------------------------ removal

def do_remove_member(session: Session, actor: Actor, business: Business, user_id: int) -> None:
    _require_manager(actor, business)
    member = session.execute(select(BusinessMember).where(
        BusinessMember.business_id == business.id, BusinessMember.user_id == user_id)).scalar_one_or_none()
    if member is None:
        raise NotFound("该用户不是本商家的员工")
    if member.role == "owner":
        owners = session.execute(select(func.count()).select_from(BusinessMember).where(
            BusinessMember.business_id == business.id, BusinessMember.role == "owner")).scalar_one()
        if owners <= 1:
            raise LastOwner("不能移除商家唯一的管理员（owner），请先邀请另一位管理员并等其接受")
    session.delete(member)
    session.flush()
    user = session.get(User, user_id)
    left = session.execute(select(func.count()).select_from(BusinessMember).where(
        BusinessMember.user_id == user_id)).scalar_one()
    if user is not None and user.kind == "business_staff" and not left:
        user.kind = "consumer"  # no business left: an ordinary account again
    record_event(session, business, "member_removed", actor, subject_user_id=user_id)


# ------------------------------------------------------------------ rejection and reapplication

def _require_reviewer(actor: Actor, business: Business) -> None:
    if not (actor.kind == "admin" or (actor.kind == "mediator" and actor.in_region(business.region_code))):
        raise Forbidden("只有管理员或该地区的调解员可以审核商家")


def do_reject_business(session: Session, settings: Mapping[str, Any], actor: Actor, business: Business, note: str,
           now: datetime | None = None) -> Business:
    _require_reviewer(actor, business)
    if business.status != "pending":
        raise InvalidTransition("只有待审核的商家入驻申请可以驳回", allowed_actions=[])
    now = now or utcnow()
    business.status = "rejected"
    ev = record_event(session, business, "rejected", actor, note=note, now=now)
    public_changed_on_commit(session, settings, business.id)
    session.flush()
    owners = session.execute(select(BusinessMember.user_id).where(
        BusinessMember.business_id == business.id, BusinessMember.role == "owner")
        .order_by(BusinessMember.user_id)).scalars().all()
    for uid in owners:
        notify_user(session, settings, uid, "business.rejected", EVENTS["business.rejected"],
                    f"「{business.name}」的入驻申请未通过审核：{note}。修改后可重新提交申请。",
                    {"business_id": business.id, "status": "rejected", "note": note}, f"bev{ev.id}", now,
                    business_id=business.id)
    return business


def do_reapply_business(session: Session, actor: Actor, business: Business, note: str | None = None) -> Business:
    from server.core.businesses import require_owner

    require_owner(actor, business)
    if business.status != "rejected":
        raise InvalidTransition("只有被驳回的入驻申请可以重新提交", allowed_actions=[])
    from server.core.businesses import check_name_free

    check_name_free(session, business.name, except_id=business.id)
    business.status = "pending"
    record_event(session, business, "reapplied", actor, note=note)
    public_changed_on_commit(session, None, business.id)
    return business
