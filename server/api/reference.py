"""Reference data for forms and filters: industries, categories and administrative divisions."""
from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.context import db_session
from server.api.operation import operation
from server.api.schemas import RefList, RegionQuery
from server.core.models import Category, Industry, Region
from server.core.vocabulary import vocabulary as labels

bp = Blueprint("reference", __name__)


class RuleSetMediation(BaseModel):
    days: int
    working_days: bool
    text: str


class RuleSetOut(BaseModel):
    code: str
    name: str
    effective_from: str = Field(description="适用于此日（上海时间）及以后受理的投诉")
    accept_working_days: int
    mediation: RuleSetMediation
    summary: str


class RuleSetList(BaseModel):
    items: list[RuleSetOut]


class Vocabulary(BaseModel):
    """Code → Chinese label, per kind (server/core/vocabulary.py)."""
    statuses: dict[str, str]
    actions: dict[str, str]
    roles: dict[str, str]
    events: dict[str, str]
    demands: dict[str, str]
    appeal_reasons: dict[str, str]
    appeal_states: dict[str, str]
    components: dict[str, str]
    grades: dict[str, str]
    webhook_events: dict[str, str]
    fields: dict[str, str]


@bp.get("/industries")
@operation(summary="行业列表", response=RefList, auth="none", tags=("reference",))
def industries():
    rows = db_session().execute(select(Industry).order_by(Industry.sort)).scalars()
    return {"items": [{"code": r.code, "name": r.name} for r in rows]}


@bp.get("/vocabulary")
@operation(summary="界面用语：状态、操作、角色、通知事件、诉求、申诉、指数分项与等级的中文名称", response=Vocabulary,
           auth="none", tags=("reference",))
def vocabulary():
    return labels()


@bp.get("/public/rules")
@operation(summary="投诉处理适用的规则及其生效日期与期限（按受理日期确定）", response=RuleSetList, auth="none",
           tags=("public",))
def public_rules():
    from server.core.complaints.rules import RULE_SETS

    return {"items": [r.describe() for r in RULE_SETS]}


@bp.get("/categories")
@operation(summary="投诉类别列表", response=RefList, auth="none", tags=("reference",))
def categories():
    rows = db_session().execute(select(Category).order_by(Category.sort)).scalars()
    return {"items": [{"code": r.code, "name": r.name} for r in rows]}


@bp.get("/regions")
@operation(summary="行政区划：不带 parent 为省级，parent 为省或地市代码时列出下一级", query=RegionQuery,
           response=RefList, auth="none", tags=("reference",))
def regions(query: RegionQuery):
    stmt = select(Region).order_by(Region.code)
    stmt = stmt.where(Region.parent_code == query.parent) if query.parent else stmt.where(Region.level == 1)
    rows = db_session().execute(stmt).scalars()
    return {"items": [{"code": r.code, "name": r.name, "parent": r.parent_code, "level": r.level} for r in rows]}
