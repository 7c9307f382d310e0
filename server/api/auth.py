"""Sign-in endpoints: password (staff), token refresh and logout. WeChat, Alipay and SMS live in identity."""
from __future__ import annotations

from flask import Blueprint, g

from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.schemas import CaptchaOut, LogoutIn, PasswordLogin, RefreshIn, TokensOut
from server.core.errors import CaptchaRequired, InvalidCredentials, InvalidToken
from server.core.identity import guards
from server.core.identity.accounts import user_json
from server.core.identity.providers import get_login_provider
from server.core.identity.tokens import end_session, issue_tokens, revoke_refresh_token, rotate_refresh_token

bp = Blueprint("auth", __name__)


def tokens_response(user, tokens: dict) -> dict:
    return {**tokens, "user": user_json(settings(), user)}


@bp.post("/auth/password")
@operation(summary="员工、调解员、管理员用户名密码登录（多次失败后需图形验证码，428 captcha_required）",
           body=PasswordLogin, response=TokensOut, auth="none", tags=("auth",), errors=(401, 403, 428))
def password_login(body: PasswordLogin):
    from server.api.limits import client_ip

    cfg = settings()
    provider = get_login_provider(cfg, "password")
    s = db_session()
    ip = client_ip()
    # No lock-out: past the failure thresholds (account or address) a captcha is needed, checked before the
    # password hash, so guessing costs the guesser a captcha each time and the owner can still sign in.
    if guards.password_needs_captcha(s, cfg, body.username, ip):
        try:
            guards.require_captcha(s, cfg, body.captcha_id, body.captcha_code)
        except CaptchaRequired:
            s.commit()  # a wrong answer uses the image up
            raise
    try:
        user = provider.verify(cfg, {"username": body.username, "password": body.password}, session=s)
    except InvalidCredentials:
        guards.record_password_failure(s, cfg, body.username, ip)
        s.commit()
        raise
    guards.clear(s, cfg, guards.PASSWORD_ACCOUNT, body.username)
    user = provider.sign_in(s, cfg, user)
    tokens = issue_tokens(s, cfg, user)
    s.commit()
    return tokens_response(user, tokens)


@bp.get("/auth/captcha")
@operation(summary="获取图形验证码（网页短信登录、多次密码错误后使用；一次有效）", response=CaptchaOut,
           auth="none", tags=("auth",), errors=(429,))
def get_captcha():
    from server.api.limits import client_ip

    s = db_session()
    out = guards.new_challenge(s, settings(), client_ip())
    s.commit()
    return out, 200, {"Cache-Control": "no-store"}


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
@operation(summary="退出登录：本设备的会话立即失效（all=true 时该账号所有设备）", body=LogoutIn, status=204,
           auth="required", tags=("auth",))
def logout(body: LogoutIn, actor):
    s = db_session()
    if actor.user is not None and body.all:
        from server.core.identity.tokens import revoke_all_for_user

        revoke_all_for_user(s, actor.user, reason="logout_all")
    elif actor.user is not None:
        if body.refresh_token:
            revoke_refresh_token(s, body.refresh_token, user_id=actor.user.id)
        sid = g.get("auth_sid")
        if sid:
            end_session(s, sid, "logout")
    s.commit()
    return "", 204
