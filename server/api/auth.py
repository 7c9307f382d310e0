"""Sign-in endpoints: password (staff), token refresh and logout. WeChat, Alipay and SMS live in identity."""
from __future__ import annotations

from flask import Blueprint

from server.api.common import db_session, operation, settings
from server.api.schemas import LogoutIn, PasswordLogin, RefreshIn, TokensOut
from server.core.errors import InvalidToken
from server.core.identity.accounts import authenticate_password, user_json
from server.core.identity.tokens import issue_tokens, revoke_refresh_token, rotate_refresh_token

bp = Blueprint("auth", __name__)


def tokens_response(user, tokens: dict) -> dict:
    return {**tokens, "user": user_json(settings(), user)}


@bp.post("/auth/password")
@operation(summary="员工、调解员、管理员用户名密码登录", body=PasswordLogin, response=TokensOut, auth="none",
           tags=("auth",), errors=(401,))
def password_login(body: PasswordLogin):
    from server.api.limits import check_login_limits

    s = db_session()
    check_login_limits("password", body.username)
    user = authenticate_password(s, body.username, body.password)
    tokens = issue_tokens(s, settings(), user)
    s.commit()
    return tokens_response(user, tokens)


@bp.post("/auth/refresh")
@operation(summary="用刷新令牌换取新的令牌对（刷新令牌轮换）", body=RefreshIn, response=TokensOut, auth="none",
           tags=("auth",), errors=(401,))
def refresh(body: RefreshIn):
    s = db_session()
    try:
        user, tokens = rotate_refresh_token(s, settings(), body.refresh_token)
    except InvalidToken:
        s.commit()  # keep the family revocation that reuse detection wrote
        raise
    s.commit()
    return tokens_response(user, tokens)


@bp.post("/auth/logout")
@operation(summary="退出登录，吊销刷新令牌", body=LogoutIn, status=204, auth="required", tags=("auth",))
def logout(body: LogoutIn, actor):
    s = db_session()
    if body.refresh_token:
        revoke_refresh_token(s, body.refresh_token)
    elif actor.user is not None:
        from server.core.identity.tokens import revoke_all_for_user

        revoke_all_for_user(s, actor.user)
    s.commit()
    return "", 204
