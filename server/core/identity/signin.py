"""Sign-in and account linking: WeChat mini-program, Alipay mini-app and phone identities on one account.

Each `do_sign_in_*` takes what the provider already verified (the outside call happens first, so
a failed call creates nothing) and returns the account: the one that holds the identity, else
the signed-in `current` user (linking), else a new consumer. An identity held by another account
is never moved: 409. Nothing here logs a code, a session key or a token.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from server.core.errors import AccountDeactivated, Conflict, Forbidden, NotFound
from server.core.identity.accounts import cipher, do_set_phone, find_user_by_phone
from server.core.models import Business, BusinessMember, Identity, User, WechatBinding, utcnow

WECHAT_MINI = "wechat_mini"
ALIPAY = "alipay"
PHONE = "phone"
SESSION_KEY_CONTEXT = "identity.wechat_session_key"
# Accounts that may sign in or link through WeChat, Alipay or SMS; mediators and admins use passwords.
LINKABLE_KINDS = ("consumer", "business_staff")
BINDING_TTL_SECONDS = 600


def _check_account(user: User) -> None:
    if user.deleted_at is not None:
        raise Forbidden("该账号已注销")
    if not user.is_active:
        raise AccountDeactivated()
    if user.kind not in LINKABLE_KINDS:
        raise Forbidden("调解员和管理员账号请使用用户名和密码登录")


def _new_consumer(session: Session, display_name: str) -> User:
    user = User(kind="consumer", display_name=display_name)
    session.add(user)
    session.flush()
    return user


def _owner_for_new_identity(session: Session, current: User | None, linked: User | None, display_name: str) -> User:
    """Where a not-yet-known identity goes: the signed-in account, the account it links to, or a new one."""
    if current is not None:
        if linked is not None and linked.id != current.id:
            raise Conflict("该身份已关联其他账号，不能再绑定到当前账号")
        return current
    if linked is not None:
        return linked
    return _new_consumer(session, display_name)


def _held_elsewhere(ident: Identity, current: User | None) -> None:
    if current is not None and ident.user_id != current.id:
        raise Conflict("该身份已关联其他账号，不能再绑定到当前账号")


def do_sign_in_wechat(session: Session, settings: Mapping[str, Any], info: Mapping[str, Any],
                      current: User | None = None, now: datetime | None = None) -> User:
    """info: code_to_session's {openid, unionid|None, session_key}; the session key is kept encrypted."""
    now = now or utcnow()
    if current is not None:
        _check_account(current)
    openid, unionid = info["openid"], info.get("unionid")
    ident = session.execute(select(Identity).where(Identity.provider == WECHAT_MINI, Identity.subject == openid)
                            ).scalar_one_or_none()
    if ident is None:
        linked = None
        if unionid:
            # The same person in another WeChat app of ours (same open-platform unionid).
            other = session.execute(select(Identity).where(Identity.unionid == unionid).order_by(Identity.id)
                                    .limit(1)).scalar_one_or_none()
            linked = other.user if other is not None else None
        user = _owner_for_new_identity(session, current, linked, "微信用户")
        ident = Identity(provider=WECHAT_MINI, subject=openid, created_at=now)
        user.identities.append(ident)
    else:
        _held_elsewhere(ident, current)
        user = ident.user
    _check_account(user)
    if unionid:
        ident.unionid = unionid
    ident.secret_enc = cipher(settings).encrypt(info["session_key"], context=SESSION_KEY_CONTEXT)
    ident.last_login_at = now
    session.flush()
    return user


def session_key_of(settings: Mapping[str, Any], ident: Identity) -> str | None:
    """The stored WeChat session_key (server-side use only, e.g. decrypting wx.getUserInfo data)."""
    if not ident.secret_enc:
        return None
    return cipher(settings).decrypt(ident.secret_enc, context=SESSION_KEY_CONTEXT)


def do_sign_in_alipay(session: Session, settings: Mapping[str, Any], info: Mapping[str, Any],
                      current: User | None = None, now: datetime | None = None) -> User:
    """info: oauth_token's {user_id|None, open_id|None}; found by either id, both kept."""
    now = now or utcnow()
    if current is not None:
        _check_account(current)
    user_id, open_id = info.get("user_id"), info.get("open_id")
    ids = [i for i in (open_id, user_id) if i]
    conditions = [Identity.subject.in_(ids)]
    if user_id:
        conditions.append(Identity.alt_subject == user_id)
    ident = session.execute(select(Identity).where(Identity.provider == ALIPAY, or_(*conditions))
                            .order_by(Identity.id).limit(1)).scalar_one_or_none()
    if ident is None:
        user = _owner_for_new_identity(session, current, None, "支付宝用户")
        ident = Identity(provider=ALIPAY, subject=open_id or user_id, alt_subject=user_id, created_at=now)
        user.identities.append(ident)
    else:
        _held_elsewhere(ident, current)
        user = ident.user
        if user_id and not ident.alt_subject:
            ident.alt_subject = user_id
    _check_account(user)
    ident.last_login_at = now
    session.flush()
    return user


def _ensure_phone_identity(session: Session, settings: Mapping[str, Any], user: User, phone: str,
                           now: datetime) -> None:
    h = cipher(settings).lookup_hash(phone)
    mine = [i for i in user.identities if i.provider == PHONE]
    for ident in mine:
        if ident.subject != h:
            user.identities.remove(ident)  # the account's phone changed: the old number no longer signs in
    ident = next((i for i in mine if i.subject == h), None)
    if ident is None:
        user.identities.append(Identity(provider=PHONE, subject=h, created_at=now, last_login_at=now))
    else:
        ident.last_login_at = now


def do_sign_in_phone(session: Session, settings: Mapping[str, Any], phone: str,
                     now: datetime | None = None) -> User:
    """After a verified SMS code: the account with this phone, or a new consumer holding it."""
    now = now or utcnow()
    user = find_user_by_phone(session, settings, phone)
    if user is None:
        user = _new_consumer(session, f"用户{phone[-4:]}")
        do_set_phone(session, settings, user, phone)
    _check_account(user)
    _ensure_phone_identity(session, settings, user, phone, now)
    session.flush()
    return user


def do_bind_phone(session: Session, settings: Mapping[str, Any], user: User, phone: str,
                  now: datetime | None = None) -> User:
    """Attach a phone WeChat verified; a phone of another account is refused (409), never merged.

    Merging would hand one person's complaints to whoever holds the phone now (numbers are
    recycled in China), so the user must sign in with that phone instead or free it there.
    """
    now = now or utcnow()
    _check_account(user)
    other = find_user_by_phone(session, settings, phone)
    if other is not None and other.id != user.id:
        raise Conflict("该手机号已绑定其他账号：请用该手机号登录原账号，或先在原账号中注销或更换手机号")
    do_set_phone(session, settings, user, phone)
    _ensure_phone_identity(session, settings, user, phone, now)
    session.flush()
    return user


# ------------------------------------------------------------------ WeChat OA binding for business staff

def do_create_wechat_binding(session: Session, user: User, business: Business, ttl_seconds: int = BINDING_TTL_SECONDS,
                             now: datetime | None = None) -> WechatBinding:
    """A one-time scene for the caller's own membership; the API asks WeChat for its QR ticket."""
    now = now or utcnow()
    member = session.execute(select(BusinessMember).where(BusinessMember.business_id == business.id,
                                                          BusinessMember.user_id == user.id)).scalar_one_or_none()
    if member is None:
        raise Forbidden("只有该商家的工作人员可以绑定公众号提醒")
    binding = WechatBinding(scene="bind_" + secrets.token_hex(16), member_id=member.id,
                            expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(binding)
    session.flush()
    return binding


def get_own_binding(session: Session, user: User, business: Business, scene: str) -> WechatBinding:
    binding = session.execute(
        select(WechatBinding).join(BusinessMember, BusinessMember.id == WechatBinding.member_id)
        .where(WechatBinding.scene == scene, BusinessMember.business_id == business.id,
               BusinessMember.user_id == user.id)
    ).scalar_one_or_none()
    if binding is None:
        raise NotFound("绑定二维码不存在")
    return binding


def do_complete_wechat_binding(session: Session, scene: str, openid: str,
                               now: datetime | None = None) -> str:
    """A scan of a binding QR: 'bound', 'already' (WeChat re-delivered the event), 'expired' or 'unknown'."""
    now = now or utcnow()
    binding = session.execute(select(WechatBinding).where(WechatBinding.scene == scene)).scalar_one_or_none()
    if binding is None:
        return "unknown"
    member = session.get(BusinessMember, binding.member_id)
    if member is None:
        return "unknown"
    if binding.used_at is not None:
        return "already" if member.oa_openid == openid else "expired"
    if binding.expires_at <= now:
        return "expired"
    won = session.execute(update(WechatBinding).where(WechatBinding.id == binding.id, WechatBinding.used_at.is_(None))
                          .values(used_at=now)).rowcount
    if won != 1:
        return "expired"
    member.oa_openid = openid
    session.flush()
    return "bound"


def do_forget_oa_openid(session: Session, openid: str) -> int:
    """The follower left the official account: template messages to them can no longer be delivered."""
    return session.execute(update(BusinessMember).where(BusinessMember.oa_openid == openid)
                           .values(oa_openid=None)).rowcount
