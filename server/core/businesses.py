"""Businesses: registration with the GB 32100 credit code, verification, search, members and API keys."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.cache import public_changed_on_commit
from server.core.errors import (
    BusinessNameTaken,
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    ValidationFailed,
)
from server.core.models import ApiKey, Business, BusinessMember, utcnow

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """Unified social credit code (GB 32100-2015): 18 chars from a 31-char alphabet, last one a check char."""
    if len(code) != 18 or any(ch not in CREDIT_CHARS for ch in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def do_register_business(session: Session, settings: Mapping[str, Any], actor: Actor, data: Mapping[str, Any]) -> Business:
    from server.core.identity.accounts import cipher

    if actor.user is None:
        raise Forbidden("只有登录用户可以入驻商家")
    if actor.kind in ("mediator", "admin"):
        raise Forbidden("调解员和管理员账号不能入驻商家")
    code = data["credit_code"]
    if session.execute(select(Business.id).where(Business.credit_code == code)).first():
        raise Conflict("该统一社会信用代码已入驻平台")
    check_name_free(session, data["name"].strip())
    c = cipher(settings)
    business = Business(
        name=data["name"].strip(), credit_code=code, industry_code=data["industry_code"],
        region_code=data["region_code"], contact_name=data["contact_name"].strip(),
        contact_phone_enc=c.encrypt(data["contact_phone"]), contact_phone_hash=c.lookup_hash(data["contact_phone"]),
        status="pending",
    )
    session.add(business)
    session.flush()
    session.add(BusinessMember(business_id=business.id, user_id=actor.user.id, role="owner"))
    if actor.user.kind == "consumer":
        actor.user.kind = "business_staff"
    session.flush()
    from server.core.staff import record_event

    record_event(session, business, "registered", actor, subject_user_id=actor.user.id)
    public_changed_on_commit(session, settings, business.id)
    return business


def check_name_free(session: Session, name: str, except_id: int | None = None) -> None:
    """A verified business's exact name is not available to anyone else (issue 15.3: an impostor registered
    under it and then invited staff)."""
    stmt = select(Business.id).where(Business.name == name, Business.status == "verified")
    if except_id is not None:
        stmt = stmt.where(Business.id != except_id)
    if session.execute(stmt).first():
        raise BusinessNameTaken(f"平台上已有名为「{name}」的认证商家；如确属同一企业，请联系该商家的管理员邀请您加入")


def do_verify_business(session: Session, actor: Actor, business: Business) -> Business:
    from server.core.errors import InvalidTransition
    from server.core.staff import record_event

    if not (actor.kind == "admin" or (actor.kind == "mediator" and actor.in_region(business.region_code))):
        raise Forbidden("只有管理员或该地区的调解员可以审核商家")
    if business.status == "verified":
        raise InvalidTransition("商家已审核通过", allowed_actions=[])
    if business.status != "pending":
        raise InvalidTransition("入驻申请已被驳回，商家重新提交申请后才能审核", allowed_actions=[])
    check_name_free(session, business.name, except_id=business.id)
    business.status = "verified"
    business.verified_at = utcnow()
    business.verified_by = actor.user_id
    record_event(session, business, "verified", actor)
    public_changed_on_commit(session, None, business.id)
    return business


def get_business(session: Session, business_id: int) -> Business:
    b = session.get(Business, business_id)
    if b is None:
        raise NotFound("商家不存在")
    return b


def require_owner(actor: Actor, business: Business) -> None:
    if business.id not in actor.owner_of and not actor.is_admin:
        # Staff of other businesses must not learn whether this one exists behind the wall.
        if business.id not in actor.business_ids:
            raise Forbidden("只有商家管理员可以执行此操作")
        raise Forbidden("只有商家管理员（owner）可以执行此操作")


def require_staff(actor: Actor, business: Business) -> None:
    if business.id not in actor.business_ids and not actor.is_admin:
        raise Forbidden("只有该商家的工作人员可以执行此操作")


# ------------------------------------------------------------------ API keys

def _key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def do_create_api_key(session: Session, actor: Actor, business: Business, name: str) -> tuple[ApiKey, str]:
    require_owner(actor, business)
    raw = "sk315_" + secrets.token_urlsafe(32)
    key = ApiKey(business_id=business.id, name=name, prefix=raw[:12], key_hash=_key_hash(raw), created_by=actor.user_id)
    session.add(key)
    session.flush()
    return key, raw


def do_revoke_api_key(session: Session, actor: Actor, business: Business, key_id: int) -> None:
    require_owner(actor, business)
    key = session.get(ApiKey, key_id)
    if key is None or key.business_id != business.id or key.revoked_at is not None:
        raise NotFound("API 密钥不存在")
    key.revoked_at = utcnow()


def authenticate_api_key(session: Session, raw: str) -> ApiKey:
    if not raw or len(raw) > 200:
        raise InvalidToken("API 密钥无效")
    key = session.execute(select(ApiKey).where(ApiKey.key_hash == _key_hash(raw))).scalar_one_or_none()
    if key is None or key.revoked_at is not None:
        raise InvalidToken("API 密钥无效")
    return key


def validate_business_fields(data: Mapping[str, Any]) -> None:
    from server.core.reference import is_county

    errors = []
    if not is_valid_credit_code(data["credit_code"]):
        errors.append({"field": "credit_code", "message": "统一社会信用代码无效（18 位，校验码不符）"})
    if not is_county(data["region_code"]):
        errors.append({"field": "region_code", "message": "请选择区县级行政区划代码（6 位）"})
    if errors:
        raise ValidationFailed(errors)
