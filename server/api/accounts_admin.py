"""Admin: deactivate and reactivate accounts. A deactivated account cannot sign in and every one of its
sessions ends at once (its access tokens and web cookies answer 401 on their next request)."""
from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel

from server.api.admin import require_admin
from server.api.context import db_session, settings
from server.api.operation import operation
from server.core.errors import Conflict, NotFound
from server.core.identity.accounts import do_set_active, user_json
from server.core.models import User

bp = Blueprint("accounts_admin", __name__)


class AccountStateOut(BaseModel):
    id: int
    kind: str
    display_name: str
    phone_masked: str | None = None
    region_code: str | None = None
    is_active: bool


def _account(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        raise NotFound("账号不存在")
    return user


def _out(user: User) -> dict:
    return {**user_json(settings(), user), "is_active": user.is_active}


@bp.post("/admin/users/<int:user_id>/deactivate")
@operation(summary="停用账号：不能再登录，所有登录会话立即失效", response=AccountStateOut, tags=("admin",),
           errors=(403, 404, 409))
def deactivate_user(user_id: int, actor):
    require_admin(actor)
    user = _account(user_id)
    if user.id == actor.user_id:
        raise Conflict("不能停用自己的账号")
    s = db_session()
    do_set_active(s, user, False)
    s.commit()
    return _out(user)


@bp.post("/admin/users/<int:user_id>/reactivate")
@operation(summary="恢复已停用的账号（需重新登录）", response=AccountStateOut, tags=("admin",),
           errors=(403, 404, 409))
def reactivate_user(user_id: int, actor):
    require_admin(actor)
    user = _account(user_id)
    s = db_session()
    do_set_active(s, user, True)
    s.commit()
    return _out(user)
