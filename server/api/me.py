"""The signed-in user's own profile; DELETE erases personal data (PIPL) and keeps anonymised records."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.schemas import MeOut, MePatch, MyInvitationOut, MyMembershipOut
from server.core.errors import Forbidden
from server.core.identity.accounts import do_erase_user, do_set_display_name, do_set_text_size, user_json
from server.core.models import Business, BusinessMember

bp = Blueprint("me", __name__)


def me_json(actor) -> dict:
    s = db_session()
    user = actor.user
    out = user_json(settings(), user)
    out["identities"] = sorted({i.provider for i in user.identities})
    rows = s.execute(select(Business.id, Business.name, BusinessMember.role, Business.status)
                     .join(BusinessMember, BusinessMember.business_id == Business.id)
                     .where(BusinessMember.user_id == user.id)).all()
    out["businesses"] = [{"id": r[0], "name": r[1], "role": r[2], "status": r[3]} for r in rows]
    return out


def _require_user(actor):
    if actor.user is None:
        raise Forbidden("API 密钥不代表个人账号")


@bp.get("/me")
@operation(summary="当前用户资料", response=MeOut, tags=("me",))
def get_me(actor):
    _require_user(actor)
    return me_json(actor)


@bp.patch("/me")
@operation(summary="修改昵称或网页字号", body=MePatch, response=MeOut, tags=("me",))
def patch_me(body: MePatch, actor):
    _require_user(actor)
    s = db_session()
    if body.display_name is not None:
        do_set_display_name(s, actor.user, body.display_name)
    if body.text_size is not None:
        do_set_text_size(s, actor.user, body.text_size)
    s.commit()
    return me_json(actor)


@bp.delete("/me")
@operation(summary="注销账号：删除个人信息，保留匿名化的投诉记录", status=204, tags=("me",))
def delete_me(actor):
    _require_user(actor)
    s = db_session()
    do_erase_user(s, actor.user, settings())
    s.commit()
    return "", 204


# ------------------------------------------------------------------ invitations to a business's staff

@bp.get("/me/invitations")
@operation(summary="我收到的商家员工邀请（发给我绑定的手机号、尚未处理且未过期的）", response=list[MyInvitationOut],
           tags=("me",))
def my_invitations(actor):
    from server.core import staff
    from server.core.timeutil import to_iso

    _require_user(actor)
    return [{"id": i.id, "business": {"id": b.id, "name": b.name, "status": b.status}, "role": i.role,
             "state": i.state, "created_at": to_iso(i.created_at), "expires_at": to_iso(i.expires_at)}
            for i, b in staff.my_invitations(db_session(), actor.user)]


@bp.post("/me/invitations/<int:invitation_id>/accept")
@operation(summary="接受商家员工邀请，成为该商家的员工", response=MyMembershipOut, tags=("me",),
           errors=(403, 404, 409))
def accept_invitation(invitation_id: int, actor):
    from server.core import staff

    _require_user(actor)
    s = db_session()
    m = staff.do_accept_invitation(s, settings(), actor, invitation_id)
    out = {"business_id": m.business_id, "business_name": s.get(Business, m.business_id).name, "role": m.role}
    s.commit()
    return out


@bp.post("/me/invitations/<int:invitation_id>/decline")
@operation(summary="拒绝商家员工邀请", status=204, tags=("me",), errors=(403, 404, 409))
def decline_invitation(invitation_id: int, actor):
    from server.core import staff

    _require_user(actor)
    s = db_session()
    staff.do_decline_invitation(s, actor, invitation_id)
    s.commit()
    return "", 204
