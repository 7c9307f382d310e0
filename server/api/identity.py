"""Sign-in through WeChat, Alipay and SMS codes, phone binding, and WeChat OA alerts for business staff.

`bp` lives under /api/v1; `root_bp` holds the official-account callback at /wechat/oa/callback,
the URL configured in the WeChat OA console (WeChat calls it, not our clients).

A signed-in caller (Bearer) who signs in with WeChat or Alipay links that identity to the
current account instead of creating another one. Upstream calls come before any write, so a
failure there (401 invalid_code, 502/503 upstream_unavailable) creates nothing.
"""
from __future__ import annotations

import io
import logging
from datetime import timedelta

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, Field, field_validator

from server.api.auth import tokens_response
from server.api.context import db_session, settings
from server.api.limits import check_ip_limit, check_login_limits, check_sms_send_limits
from server.api.operation import operation
from server.api.schemas import MeOut, Strict, TokensOut
from server.core import businesses as biz
from server.core import clients
from server.core.errors import Forbidden, NotFound
from server.core.identity import signin, sms_codes
from server.core.identity.providers import get_login_provider
from server.core.identity.providers.wechat import WeChatMini, WeChatOA
from server.core.models import utcnow
from server.core.privacy import normalize_phone
from server.core.timeutil import to_iso
from server.redis_client import get_redis

log = logging.getLogger(__name__)

bp = Blueprint("identity", __name__)
root_bp = Blueprint("wechat_oa", __name__)


# ------------------------------------------------------------------ schemas

def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValueError as exc:
        raise ValueError("请输入正确的中国大陆手机号") from exc


class WechatLoginIn(Strict):
    code: str = Field(min_length=1, max_length=128, description="wx.login() 返回的 code")


class AlipayLoginIn(Strict):
    auth_code: str = Field(min_length=1, max_length=128, description="my.getAuthCode() 返回的 authCode")


class SmsSendIn(Strict):
    phone: str = Field(min_length=11, max_length=20)
    captcha_id: str | None = Field(None, max_length=64, description="GET /auth/captcha 返回的 captcha_id（428 之后必填）")
    captcha_code: str | None = Field(None, max_length=16, description="图形验证码上的字符（不区分大小写）")

    _check_phone = field_validator("phone")(_phone)


class SmsSentOut(BaseModel):
    expires_in: int
    resend_after: int


class SmsLoginIn(Strict):
    phone: str = Field(min_length=11, max_length=20)
    code: str = Field(pattern=r"^\d{6}$", description="短信中的 6 位验证码")

    _check_phone = field_validator("phone")(_phone)


class PhoneWechatIn(Strict):
    phone_code: str = Field(min_length=1, max_length=128, description="getPhoneNumber 返回的 code")


class WechatBindingOut(BaseModel):
    ticket: str
    qr_url: str
    qr_png_url: str
    expires_at: str
    scene: str


class QrQuery(Strict):
    scene: str = Field(min_length=1, max_length=64)


# ------------------------------------------------------------------ helpers

def _redis():
    return get_redis(current_app)


# One client per process and configuration (server.core.clients), the same objects the notification
# worker and moderation use: without Redis, the in-memory WeChat access token is then shared by every
# request of this process instead of being fetched again for each one.
def wechat_mini() -> WeChatMini:
    return clients.wechat_mini(settings(), _redis())


def wechat_oa() -> WeChatOA:
    return clients.wechat_oa(settings(), _redis())


def _current_user(actor):
    """The account to link to, or None; an API key is not a person."""
    if actor is None:
        return None
    if actor.user is None:
        raise Forbidden("API 密钥不能用于登录或绑定身份")
    return actor.user


def _me_json(user) -> dict:
    from server.core.identity.accounts import user_json

    out = user_json(settings(), user)
    out["identities"] = sorted({i.provider for i in user.identities})
    return out


# ------------------------------------------------------------------ sign-in

@bp.post("/auth/wechat")
@operation(summary="微信小程序登录（wx.login 的 code 换取会话）；已登录时绑定到当前账号", body=WechatLoginIn,
           response=TokensOut, auth="optional", tags=("auth",), errors=(401, 403, 409, 502, 503))
def wechat_login(body: WechatLoginIn, actor):
    provider = get_login_provider(settings(), "wechat")
    current = _current_user(actor)
    check_ip_limit("wechat")
    info = provider.verify(settings(), {"code": body.code}, redis=_redis())
    s = db_session()
    user = provider.sign_in(s, settings(), info, current=current)
    tokens = signin_tokens(s, user)
    s.commit()
    return tokens_response(user, tokens)


@bp.post("/auth/alipay")
@operation(summary="支付宝小程序登录（my.getAuthCode 的授权码）；已登录时绑定到当前账号", body=AlipayLoginIn,
           response=TokensOut, auth="optional", tags=("auth",), errors=(401, 403, 409, 502, 503))
def alipay_login(body: AlipayLoginIn, actor):
    provider = get_login_provider(settings(), "alipay")
    current = _current_user(actor)
    check_ip_limit("alipay")
    info = provider.verify(settings(), {"auth_code": body.auth_code})
    s = db_session()
    user = provider.sign_in(s, settings(), info, current=current)
    tokens = signin_tokens(s, user)
    s.commit()
    return tokens_response(user, tokens)


def signin_tokens(s, user) -> dict:
    from server.core.identity.tokens import issue_tokens

    return issue_tokens(s, settings(), user)


@bp.post("/auth/sms/send")
@operation(summary="发送短信验证码（6 位，5 分钟内有效；同一手机号 60 秒内不重复发送；"
                   "同一地址每小时超过 SMS_CAPTCHA_AFTER 次需图形验证码，428 captcha_required）", body=SmsSendIn,
           response=SmsSentOut, status=202, auth="none", tags=("auth",), errors=(403, 428, 429, 502, 503))
def sms_send(body: SmsSendIn):
    from server.api.limits import client_ip
    from server.core.errors import CaptchaRequired
    from server.core.identity import guards

    cfg = settings()
    provider = get_login_provider(cfg, "sms")
    s = db_session()
    ip = client_ip()
    phone_hash = sms_codes.phone_lookup_hash(cfg, body.phone)
    sms_codes.check_can_send(s, cfg, phone_hash)  # the cooldown answers first and costs no quota
    if guards.sms_send_needs_captcha(s, cfg, ip):
        try:
            guards.require_captcha(s, cfg, body.captcha_id, body.captcha_code)
        except CaptchaRequired:
            s.commit()  # a wrong answer uses the image up
            raise
    check_sms_send_limits(phone_hash)
    code, _ = sms_codes.do_issue_code(s, cfg, body.phone)
    guards.record_sms_send(s, cfg, ip)
    # Send before committing: if the provider fails, no code row is left that nobody received.
    provider.send_code(cfg, body.phone, code)
    s.commit()
    return {"expires_in": sms_codes.code_ttl(cfg), "resend_after": sms_codes.resend_cooldown(cfg)}, 202


@bp.post("/auth/sms/login")
@operation(summary="短信验证码登录（网页端消费者；新手机号自动注册）", body=SmsLoginIn, response=TokensOut,
           auth="none", tags=("auth",), errors=(401, 403))
def sms_login(body: SmsLoginIn):
    cfg = settings()
    provider = get_login_provider(cfg, "sms")
    s = db_session()
    check_login_limits("sms", sms_codes.phone_lookup_hash(cfg, body.phone))
    try:
        phone = provider.verify(cfg, {"phone": body.phone, "code": body.code}, session=s)
    except Exception:
        s.commit()  # keep the counted attempt: wrong guesses must not be free
        raise
    user = provider.sign_in(s, cfg, phone)
    tokens = signin_tokens(s, user)
    s.commit()
    return tokens_response(user, tokens)


@bp.post("/me/phone/wechat")
@operation(summary="绑定微信验证过的手机号（getPhoneNumber 的 code）", body=PhoneWechatIn, response=MeOut,
           tags=("me",), errors=(401, 403, 409, 502, 503))
def bind_phone_wechat(body: PhoneWechatIn, actor):
    user = _current_user(actor)
    phone = wechat_mini().get_phone_number(body.phone_code)
    try:
        phone = normalize_phone(phone)
    except ValueError:
        from server.core.errors import UpstreamUnavailable

        raise UpstreamUnavailable("微信返回的手机号无法识别", status=502) from None
    s = db_session()
    signin.do_bind_phone(s, settings(), user, phone)
    s.commit()
    return _me_json(user)


# ------------------------------------------------------------------ WeChat OA binding for staff

@bp.post("/businesses/<int:business_id>/wechat-binding")
@operation(summary="生成公众号绑定二维码（一次性，10 分钟内有效），员工扫码后接收模板消息提醒",
           response=WechatBindingOut, status=201, tags=("businesses",), errors=(403, 404, 502, 503))
def create_wechat_binding(business_id: int, actor):
    user = _current_user(actor)
    if user is None:
        raise Forbidden("只有该商家的工作人员可以绑定公众号提醒")
    s = db_session()
    business = biz.get_business(s, business_id)
    biz.require_staff(actor, business)
    binding = signin.do_create_wechat_binding(s, user, business)
    oa = wechat_oa()
    result = oa.create_qr_ticket(binding.scene, signin.BINDING_TTL_SECONDS)
    binding.ticket = result["ticket"]
    binding.expires_at = min(binding.expires_at, utcnow() + timedelta(seconds=result["expire_seconds"]))
    binding.qr_url = result.get("url")
    s.commit()
    return {
        "ticket": binding.ticket,
        "qr_url": oa.qr_image_url(binding.ticket),
        "qr_png_url": f"/api/v1/businesses/{business.id}/wechat-binding/qr.png?scene={binding.scene}",
        "expires_at": to_iso(binding.expires_at),
        "scene": binding.scene,
    }, 201


@bp.get("/businesses/<int:business_id>/wechat-binding/qr.png")
@operation(summary="绑定二维码图片（本地生成 PNG，无需访问微信）", query=QrQuery, tags=("businesses",),
           content_type="image/png", errors=(403, 404))
def wechat_binding_qr(business_id: int, query: QrQuery, actor):
    import qrcode

    user = _current_user(actor)
    if user is None:
        raise Forbidden("只有该商家的工作人员可以查看绑定二维码")
    s = db_session()
    business = biz.get_business(s, business_id)
    biz.require_staff(actor, business)
    binding = signin.get_own_binding(s, user, business, query.scene)
    url = binding.qr_url
    if binding.used_at is not None or binding.expires_at <= utcnow() or not url:
        raise NotFound("二维码已过期或已使用，请重新生成")
    buf = io.BytesIO()
    qrcode.make(url).save(buf, format="PNG")
    resp = Response(buf.getvalue(), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# ------------------------------------------------------------------ the official-account callback

BOUND_REPLY = "绑定成功：您将在此公众号收到本商家的投诉提醒。"
EXPIRED_REPLY = "二维码已过期或已被使用，请在商家后台重新生成后再扫码。"


@root_bp.get("/wechat/oa/callback")
def oa_echo():
    """WeChat's URL verification: answer echostr when the signature is ours."""
    echo = wechat_oa().verify_echo(request.args.to_dict(), db_session())
    return Response(echo, mimetype="text/plain")


@root_bp.post("/wechat/oa/callback")
def oa_event():
    """Events from the official account; a QR scan with a live binding scene binds the staff member."""
    oa = wechat_oa()
    s = db_session()
    parsed = oa.parse_callback(request.get_data(), request.args.to_dict(), s)
    event, scene, openid = parsed["event"], parsed["scene"], parsed["openid"]
    if event in ("subscribe", "scan") and scene and openid:
        outcome = signin.do_complete_wechat_binding(s, scene, openid)
        s.commit()
        if outcome in ("bound", "already"):
            log.info("WeChat OA binding QR scanned: %s", outcome)  # no openid, no scene: they identify people
            return Response(oa.reply_text(parsed, BOUND_REPLY), mimetype="application/xml")
        if outcome == "expired":
            return Response(oa.reply_text(parsed, EXPIRED_REPLY), mimetype="application/xml")
    elif event == "unsubscribe" and openid:
        signin.do_forget_oa_openid(s, openid)
        s.commit()
    return Response(oa.success_reply(), mimetype="text/plain")
