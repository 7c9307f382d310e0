"""The mini-program's WeChat message push, and the signed image URL WeChat's media check fetches.

``GET/POST /api/v1/wechat/mini/events`` are called by WeChat, not by our clients (configured in the
mini-program console, 开发管理 → 开发设置 → 消息推送); see server.core.moderation.push.
"""
from __future__ import annotations

import hmac
import logging
import time
from datetime import timedelta

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.validation import parse_query
from server.core.errors import Forbidden, NotFound
from server.core.models import Upload, WeChatPushNonce, utcnow
from server.core.moderation import media_signature
from server.core.moderation.push import MiniPush, dispatch

log = logging.getLogger(__name__)

bp = Blueprint("wechat_mini", __name__)


class PushQuery(BaseModel):
    # WeChat may add parameters of its own: ignore what is not named here.
    model_config = ConfigDict(extra="ignore")
    signature: str | None = Field(None, max_length=128)
    timestamp: str | None = Field(None, max_length=20)
    nonce: str | None = Field(None, max_length=64)
    echostr: str | None = Field(None, max_length=512)
    openid: str | None = Field(None, max_length=128)
    encrypt_type: str | None = Field(None, max_length=16)
    msg_signature: str | None = Field(None, max_length=128)


class MediaQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    expires: int = 0
    sig: str = Field("", max_length=128)


def _push() -> MiniPush:
    return MiniPush(settings())


def _args(query: PushQuery) -> dict[str, str]:
    return {k: v for k, v in query.model_dump().items() if v is not None}


@bp.get("/wechat/mini/events")
@operation(summary="微信小程序消息推送的 URL 校验（微信服务器调用）：签名正确时原样返回 echostr",
           query=PushQuery, auth="none", tags=("wechat",), errors=(403,), content_type="text/plain")
def push_echo(query: PushQuery):
    return Response(_push().verify_echo(_args(query)), mimetype="text/plain")


@bp.post("/wechat/mini/events")
@operation(summary="微信小程序消息推送（微信服务器调用；明文或安全模式，XML 或 JSON）：处理 wxa_media_check "
                   "（media_check_async 的图片审核结果）与订阅消息事件：subscribe_msg_popup_event（接受即增加一次授权）、"
                   "subscribe_msg_change_event（拒绝即清除授权）、subscribe_msg_sent_event（发送结果：本平台发送的消息"
                   "确认已用的授权，未知消息用去一次，失败如 43101 则不再有授权）", auth="none", tags=("wechat",),
           errors=(400, 403),
           content_type="text/plain")
def push_event():
    query = parse_query(PushQuery)
    args = _args(query)
    event = _push().parse(request.get_data(cache=True), args)
    s = db_session()
    now = utcnow()
    # A nonce is accepted once within the window; recorded in the same transaction as the event's
    # effect, so a push that failed half-way can be sent again.
    max_age = settings()["WECHAT_MINI_PUSH_MAX_AGE_SECONDS"]
    s.execute(delete(WeChatPushNonce).where(WeChatPushNonce.seen_at < now - timedelta(seconds=2 * max_age)))
    s.add(WeChatPushNonce(nonce=f"{args.get('timestamp')}:{args.get('nonce')}"[:64], seen_at=now))
    try:
        s.flush()
    except IntegrityError:
        s.rollback()
        raise Forbidden("重复的微信消息推送（nonce 已使用）") from None
    outcome = dispatch(s, settings(), event)
    s.commit()
    log.info("WeChat mini push %s: %s", event.get("Event") or event.get("MsgType"), outcome)
    return Response("success", mimetype="text/plain")


@bp.get("/wechat/mini/media/<string:upload_id>")
@operation(summary="供微信 media_check_async 拉取待审核图片的签名链接（有效期 24 小时）；签名不对或已过期时 404",
           query=MediaQuery, auth="none", tags=("wechat",), errors=(404,), content_type="application/octet-stream")
def media_for_check(upload_id: str, query: MediaQuery):
    from server.api.uploads import stored_file_response

    cfg = settings()
    expected = media_signature(cfg, upload_id, query.expires)
    if query.expires < time.time() or not hmac.compare_digest(expected, query.sig or ""):
        raise NotFound("附件不存在")
    s = db_session()
    u = s.get(Upload, upload_id) if len(upload_id) <= 32 else None
    if u is None or not u.mime.startswith("image/"):
        raise NotFound("附件不存在")
    return stored_file_response(cfg, u, as_attachment=False)
