"""Admin endpoints: staff accounts (mediators, admins) and reference-data names.

The index weights endpoint (/admin/index-weights) belongs to the scoring module.
"""
from __future__ import annotations

from typing import Literal

from flask import Blueprint
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.context import db_session
from server.api.operation import operation
from server.api.pagination import paginate
from server.api.schemas import PageQuery, Strict
from server.core.actor import Actor
from server.core.errors import Forbidden, ValidationFailed
from server.core.identity.accounts import do_create_staff_user
from server.core.models import User
from server.core.reference import do_rename_industry, is_region_prefix, region_full_name
from server.core.timeutil import to_iso

bp = Blueprint("admin", __name__)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以执行此操作")


class StaffIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=8, max_length=128)
    role: Literal["mediator", "admin"]
    region_code: str | None = Field(None, max_length=6)
    display_name: str | None = Field(None, max_length=64)


class StaffOut(BaseModel):
    id: int
    username: str | None
    display_name: str
    kind: str
    region_code: str | None
    region_name: str | None = Field(None, description="辖区名称（如“北京市”）；无辖区限制时为空")
    is_active: bool
    created_at: str | None


class StaffList(BaseModel):
    items: list[StaffOut]
    page: int
    per_page: int
    total: int


class IndustryPatch(Strict):
    name: str = Field(min_length=1, max_length=32)


class IndustryOut(BaseModel):
    code: str
    name: str


def staff_json(u: User) -> dict:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "kind": u.kind,
            "region_code": u.region_code, "region_name": region_full_name(u.region_code) if u.region_code else None,
            "is_active": u.is_active, "created_at": to_iso(u.created_at)}


@bp.get("/admin/staff")
@operation(summary="工作人员账号列表（调解员、管理员）", query=PageQuery, response=StaffList, tags=("admin",),
           errors=(403,))
def list_staff(query: PageQuery, actor):
    require_admin(actor)
    s = db_session()
    stmt = select(User).where(User.kind.in_(("mediator", "admin")), User.deleted_at.is_(None)).order_by(User.id)
    return paginate(s, stmt, query.page, query.per_page, staff_json)


@bp.post("/admin/staff")
@operation(summary="创建调解员或管理员账号", body=StaffIn, response=StaffOut, status=201, tags=("admin",),
           errors=(403, 409))
def create_staff(body: StaffIn, actor):
    require_admin(actor)
    if body.region_code and not is_region_prefix(body.region_code):
        raise ValidationFailed([{"field": "region_code", "message": "不是有效的行政区划代码（2、4 或 6 位）"}])
    s = db_session()
    user = do_create_staff_user(s, body.role, body.username, body.password, region_code=body.region_code,
                             display_name=body.display_name)
    s.commit()
    return staff_json(user), 201


@bp.patch("/admin/industries/<string:code>")
@operation(summary="修改行业名称", body=IndustryPatch, response=IndustryOut, tags=("admin",), errors=(403, 404))
def rename_industry(code: str, body: IndustryPatch, actor):
    require_admin(actor)
    s = db_session()
    row = do_rename_industry(s, code, body.name)
    s.commit()
    return {"code": row.code, "name": row.name}
