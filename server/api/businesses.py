"""Businesses: registration, verification, public search and profile, members and API keys."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from server.api.context import db_session, settings
from server.api.idempotency import run_idempotent
from server.api.operation import operation
from server.api.pagination import paginate
from server.api.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    BusinessIn,
    BusinessList,
    BusinessOut,
    BusinessQuery,
    InvitationCreated,
    InvitationOut,
    MemberIn,
    MemberOut,
    ReapplyIn,
    RejectIn,
)
from server.api.serializers import business_json
from server.core import businesses as core
from server.core import staff
from server.core.identity.accounts import phone_masked
from server.core.models import ApiKey, Business, BusinessIndex, BusinessMember, User, utcnow
from server.core.privacy import mask_phone
from server.core.timeutil import to_iso

bp = Blueprint("businesses", __name__)


@bp.post("/businesses")
@operation(summary="商家入驻（统一社会信用代码校验，待审核）", body=BusinessIn, response=BusinessOut, status=201,
           tags=("businesses",), errors=(403, 409), idempotent=True)
def register(body: BusinessIn, actor):
    s = db_session()

    def create():
        b = core.do_register_business(s, settings(), actor, body.model_dump())
        return business_json(s, b, load_index=False), 201

    return run_idempotent(actor, "POST /businesses", create)


@bp.get("/businesses")
@operation(summary="按名称（支持部分中文名）、行业、地区搜索商家", query=BusinessQuery, response=BusinessList,
           auth="optional", tags=("businesses",), api_key=True)
def search(query: BusinessQuery, actor):
    s = db_session()
    stmt = select(Business)
    if query.q:
        for term in query.q.split():
            stmt = stmt.where(Business.name.contains(term, autoescape=True))
    if query.industry:
        stmt = stmt.where(Business.industry_code == query.industry)
    if query.region:
        stmt = stmt.where(Business.region_code.startswith(query.region))
    if query.status:
        stmt = stmt.where(Business.status == query.status)
    stmt = stmt.order_by(Business.status.desc(), Business.id)
    page = paginate(s, stmt, query.page, query.per_page, lambda b: b)
    ids = [b.id for b in page["items"]]
    idx = {i.business_id: i for i in s.execute(select(BusinessIndex).where(BusinessIndex.business_id.in_(ids))).scalars()}
    page["items"] = [business_json(s, b, idx.get(b.id), load_index=False) for b in page["items"]]
    return page


@bp.get("/businesses/<int:business_id>")
@operation(summary="商家公开档案：投诉处理指数及各分项、投诉数量、12 个月趋势", response=BusinessOut, auth="none",
           tags=("businesses",), errors=(404,))
def profile(business_id: int):
    from server.api.public_cache import cached

    s = db_session()
    return cached("profile", lambda: business_json(s, core.get_business(s, business_id), full=True),
                  scope=f"business:{business_id}", exact=True)


@bp.post("/businesses/<int:business_id>/verify")
@operation(summary="审核商家入驻（管理员或所在地区调解员）", response=BusinessOut, tags=("businesses",),
           errors=(403, 404, 409))
def verify(business_id: int, actor):
    s = db_session()
    b = core.do_verify_business(s, actor, core.get_business(s, business_id))
    s.commit()
    return business_json(s, b)


def _member_json(m: BusinessMember, user: User) -> dict:
    return {"id": m.id, "user_id": user.id, "role": m.role, "display_name": user.display_name,
            "phone_masked": phone_masked(settings(), user), "wechat_bound": bool(m.oa_openid)}


@bp.post("/businesses/<int:business_id>/members")
@operation(summary="邀请员工（按手机号；对方在“我的邀请”中接受后才成为员工；无论该手机号是否已注册，回答都相同）",
           body=MemberIn, response=InvitationCreated, status=202, tags=("businesses",), errors=(403, 404, 409))
def add_member(business_id: int, body: MemberIn, actor):
    s = db_session()
    b = core.get_business(s, business_id)
    inv = staff.do_invite_member(s, settings(), actor, b, body.phone, body.role)
    s.commit()
    return {"invitation_id": inv.id}, 202


@bp.get("/businesses/<int:business_id>/invitations")
@operation(summary="本商家发出的员工邀请（管理员）", response=list[InvitationOut], tags=("businesses",),
           errors=(403, 404))
def list_invitations(business_id: int, actor):
    from server.core.identity.accounts import cipher

    s = db_session()
    b = core.get_business(s, business_id)
    now = utcnow()
    c = cipher(settings())
    return [{"id": i.id, "phone_masked": mask_phone(c.decrypt(i.phone_enc)), "role": i.role,
             "state": staff.invitation_state(i, now), "created_at": to_iso(i.created_at),
             "expires_at": to_iso(i.expires_at), "decided_at": to_iso(i.decided_at)}
            for i in staff.business_invitations(s, actor, b)]


@bp.delete("/businesses/<int:business_id>/members/<int:user_id>")
@operation(summary="移除员工（管理员；不能移除唯一的管理员）", status=204, tags=("businesses",),
           errors=(403, 404, 409))
def remove_member(business_id: int, user_id: int, actor):
    s = db_session()
    staff.do_remove_member(s, actor, core.get_business(s, business_id), user_id)
    s.commit()
    return "", 204


@bp.post("/businesses/<int:business_id>/reject")
@operation(summary="驳回商家入驻申请（管理员或所在地区调解员；申请人收到附驳回理由的通知）", body=RejectIn,
           response=BusinessOut, tags=("businesses",), errors=(403, 404, 409))
def reject(business_id: int, body: RejectIn, actor):
    s = db_session()
    b = staff.do_reject_business(s, settings(), actor, core.get_business(s, business_id), body.note)
    s.commit()
    return business_json(s, b)


@bp.post("/businesses/<int:business_id>/reapply")
@operation(summary="被驳回的商家重新提交入驻申请（管理员）", body=ReapplyIn, response=BusinessOut,
           tags=("businesses",), errors=(403, 404, 409))
def reapply(business_id: int, body: ReapplyIn, actor):
    s = db_session()
    b = staff.do_reapply_business(s, actor, core.get_business(s, business_id), body.note)
    s.commit()
    return business_json(s, b)


@bp.get("/businesses/<int:business_id>/members")
@operation(summary="员工列表", response=list[MemberOut], tags=("businesses",), errors=(403, 404))
def list_members(business_id: int, actor):
    s = db_session()
    b = core.get_business(s, business_id)
    core.require_staff(actor, b)
    rows = s.execute(select(BusinessMember, User).join(User, User.id == BusinessMember.user_id)
                     .where(BusinessMember.business_id == b.id).order_by(BusinessMember.id)).all()
    return [_member_json(m, u) for m, u in rows]


def _key_json(k: ApiKey, raw: str | None = None) -> dict:
    return {"id": k.id, "name": k.name, "prefix": k.prefix, "created_at": to_iso(k.created_at),
            "last_used_at": to_iso(k.last_used_at), "revoked": k.revoked_at is not None, "key": raw}


@bp.post("/businesses/<int:business_id>/api-keys")
@operation(summary="创建 API 密钥（只显示一次，平台只保存其哈希）", body=ApiKeyIn, response=ApiKeyOut, status=201,
           tags=("businesses",), errors=(403, 404))
def create_key(business_id: int, body: ApiKeyIn, actor):
    s = db_session()
    key, raw = core.do_create_api_key(s, actor, core.get_business(s, business_id), body.name)
    s.commit()
    return _key_json(key, raw), 201


@bp.get("/businesses/<int:business_id>/api-keys")
@operation(summary="API 密钥列表（不含密钥本身）", response=list[ApiKeyOut], tags=("businesses",), errors=(403, 404))
def list_keys(business_id: int, actor):
    s = db_session()
    b = core.get_business(s, business_id)
    core.require_owner(actor, b)
    return [_key_json(k) for k in s.execute(select(ApiKey).where(ApiKey.business_id == b.id).order_by(ApiKey.id)).scalars()]


@bp.delete("/businesses/<int:business_id>/api-keys/<int:key_id>")
@operation(summary="吊销 API 密钥", status=204, tags=("businesses",), errors=(403, 404))
def revoke_key(business_id: int, key_id: int, actor):
    s = db_session()
    core.do_revoke_api_key(s, actor, core.get_business(s, business_id), key_id)
    s.commit()
    return "", 204
