"""Accounts: staff with passwords (Argon2), consumers from sign-in identities, profile and erasure."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.errors import AccountDeactivated, Conflict, InvalidCredentials, ValidationFailed
from server.core.models import User, utcnow

_hasher = PasswordHasher()
# Verifying against a dummy hash when the user is unknown keeps timing equal for both cases.
_DUMMY_HASH = _hasher.hash("smart315-dummy-password")


def cipher(settings: Mapping[str, Any]):
    from server.core.privacy import FieldCipher

    return FieldCipher(settings["FIELD_ENCRYPTION_KEY"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < 8 or password.isdigit() or password.isalpha():
        raise ValidationFailed([{"field": "password", "message": "密码至少 8 位，且需同时包含字母和数字"}])


def do_create_staff_user(session: Session, kind: str, username: str, password: str, region_code: str | None = None,
                      display_name: str | None = None) -> User:
    if kind not in ("admin", "mediator"):
        raise ValidationFailed([{"field": "role", "message": "角色只能是 admin 或 mediator"}])
    if kind == "mediator" and not region_code:
        raise ValidationFailed([{"field": "region", "message": "调解员必须指定辖区行政区划代码"}])
    check_password_strength(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"用户名 {username} 已存在")
    user = User(kind=kind, username=username, password_hash=hash_password(password), region_code=region_code,
                display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


def authenticate_password(session: Session, username: str, password: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    try:
        if user is None or not user.password_hash or user.deleted_at is not None:
            _hasher.verify(_DUMMY_HASH, password + "x")
            raise InvalidCredentials()
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if not user.is_active:
        # Said only to whoever knows the password: a deactivated account is not revealed to guessers.
        raise AccountDeactivated()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def do_set_phone(session: Session, settings: Mapping[str, Any], user: User, phone: str) -> None:
    """Attach a verified phone (already normalised); one phone belongs to one account."""
    c = cipher(settings)
    h = c.lookup_hash(phone)
    other = session.execute(select(User).where(User.phone_hash == h, User.id != user.id)).scalar_one_or_none()
    if other is not None:
        raise Conflict("该手机号已绑定其他账号")
    user.phone_enc = c.encrypt(phone)
    user.phone_hash = h
    user.phone_last4 = phone[-4:]


def phone_masked(settings: Mapping[str, Any], user: User) -> str | None:
    if not user.phone_enc:
        return None
    from server.core.privacy import mask_phone

    return mask_phone(cipher(settings).decrypt(user.phone_enc))


def user_json(settings: Mapping[str, Any], user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "kind": user.kind,
        "display_name": user.display_name,
        "phone_masked": phone_masked(settings, user),
        "region_code": user.region_code,
        "text_size": user.text_size,
    }


def find_user_by_phone(session: Session, settings: Mapping[str, Any], phone: str) -> User | None:
    h = cipher(settings).lookup_hash(phone)
    return session.execute(select(User).where(User.phone_hash == h)).scalar_one_or_none()


def check_can_erase(session: Session, user: User) -> None:
    """The last owner of a business must hand it over first, or the business would be left unmanaged."""
    from sqlalchemy import func

    from server.core.models import Business, BusinessMember

    owned = session.execute(select(BusinessMember.business_id).where(
        BusinessMember.user_id == user.id, BusinessMember.role == "owner")).scalars().all()
    for business_id in owned:
        owners = session.execute(select(func.count()).select_from(BusinessMember).where(
            BusinessMember.business_id == business_id, BusinessMember.role == "owner")).scalar_one()
        if owners <= 1:
            name = session.get(Business, business_id).name
            raise Conflict(f"您是「{name}」唯一的管理员，请先在商家后台添加另一位管理员（owner）再注销账号")


def do_erase_user(session: Session, user: User, settings: Mapping[str, Any] | None = None) -> None:
    """PIPL erasure: personal data goes, the anonymised complaint records stay for the statistics.

    Gone: name, username, password, phone (and its SMS codes), every sign-in identity with its
    WeChat session key, refresh tokens, subscribe-message grants, business memberships (with the
    OA openid), inbox and pending notifications addressed to the person, replayable idempotent
    responses, and uploads not attached to a complaint (their files too, given `settings`).
    Kept: complaints (consumer_id still points at this now nameless account, so counts, the index
    and public statistics do not change) and their timeline. Their stored text is scrubbed of the
    person's data, open complaints withdrawn and uploads deleted as server.core.erasure says.
    """
    from sqlalchemy import delete

    from server.core.erasure import erase_complaints_of
    from server.core.identity.tokens import revoke_all_for_user
    from server.core.models import (
        BusinessMember,
        IdempotencyRecord,
        Notification,
        RefreshToken,
        SmsCode,
        SubscriptionGrant,
        Upload,
    )

    check_can_erase(session, user)
    phone = None
    if user.phone_enc and settings is not None:
        try:
            phone = cipher(settings).decrypt(user.phone_enc)
        except ValueError:
            phone = None
    erase_complaints_of(session, settings, user, phone)
    revoke_all_for_user(session, user, reason="erased")  # ends every session: live tokens stop working
    session.execute(delete(RefreshToken).where(RefreshToken.user_id == user.id))
    if user.phone_hash:
        session.execute(delete(SmsCode).where(SmsCode.phone_hash == user.phone_hash))
        from server.core.models import BusinessInvitation

        # Staff invitations to the phone hold the number (encrypted): undecided ones go with the phone.
        session.execute(delete(BusinessInvitation).where(BusinessInvitation.phone_hash == user.phone_hash,
                                                         BusinessInvitation.state == "pending"))
    session.execute(delete(SubscriptionGrant).where(SubscriptionGrant.user_id == user.id))
    session.execute(delete(BusinessMember).where(BusinessMember.user_id == user.id))
    session.execute(delete(Notification).where(Notification.recipient_id == user.id))
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope == f"user:{user.id}"))
    loose = session.execute(select(Upload).where(Upload.owner_id == user.id, Upload.complaint_id.is_(None))
                            ).scalars().all()
    for upload in loose:
        from server.core.storage import delete_quietly

        delete_quietly(settings, upload.storage_name)  # the row goes anyway; see delete_quietly
        session.delete(upload)
    user.display_name = "已注销用户"
    user.username = None
    user.password_hash = None
    user.phone_enc = None
    user.phone_hash = None
    user.phone_last4 = None
    user.is_active = False
    user.deleted_at = utcnow()
    user.identities.clear()  # delete-orphan: the rows go, WeChat session keys with them
    session.flush()


def do_set_display_name(session: Session, user: User, display_name: str) -> None:
    """The user's own nickname (validated by the API schema)."""
    user.display_name = display_name


TEXT_SIZES = ("normal", "large", "xlarge", "elder")  # 标准字, 大字, 特大字, 长辈版 (server/web/pages.py)


def do_set_text_size(session: Session, user: User, text_size: str) -> None:
    """The web's text size the user chose (validated by the API schema): it follows them to every device."""
    user.text_size = text_size


def do_set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate (sign-in refused, every session ended at once) or reactivate an account."""
    from server.core.identity.tokens import revoke_all_for_user

    if user.deleted_at is not None:
        raise Conflict("该账号已注销，不能停用或恢复")
    if not active and user.is_active:
        revoke_all_for_user(session, user, reason="deactivated")
    user.is_active = active
    session.flush()
