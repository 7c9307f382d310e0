"""The mini-program's WeChat message push (消息推送): URL verification, signatures, safe mode, events.

WeChat calls ``GET /api/v1/wechat/mini/events`` once to verify the URL (signature, timestamp, nonce,
echostr: the signature is sha1 of the sorted WECHAT_MINI_PUSH_TOKEN, timestamp and nonce) and then
POSTs each event there, in the format chosen in the console: XML or JSON, plaintext or safe mode
(``encrypt_type=aes``, ``msg_signature``; the body's ``Encrypt`` is AES-256-CBC with
WECHAT_MINI_PUSH_AES_KEY, decrypted with wechatpy's WeChatCrypto). Pushes whose timestamp is more
than WECHAT_MINI_PUSH_MAX_AGE_SECONDS away from now are refused, and each nonce is accepted once
(server/api/wechat_mini.py records it in the same transaction as the event's effect).

Events are dispatched by name through HANDLERS; ``wxa_media_check`` (the result of
``media_check_async``) is handled here; the subscribe-message events (subscribe_msg_popup_event,
subscribe_msg_change_event, subscribe_msg_sent_event) keep the user's grants
(server/core/notifications/push_grants.py).
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import xmltodict
from sqlalchemy.orm import Session
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature as _wx_check_signature

from server.core.errors import BadRequest, Forbidden

logger = logging.getLogger(__name__)

BAD_SIGNATURE = "微信消息推送签名校验失败"


class MiniPush:
    def __init__(self, settings: Mapping[str, Any]):
        self.token = str(settings.get("WECHAT_MINI_PUSH_TOKEN") or "")
        self.appid = str(settings.get("WECHAT_MINI_APPID") or "")
        aes_key = settings.get("WECHAT_MINI_PUSH_AES_KEY")
        self.crypto = WeChatCrypto(self.token, aes_key, self.appid) if aes_key else None
        self.max_age = int(settings["WECHAT_MINI_PUSH_MAX_AGE_SECONDS"])

    # ------------------------------------------------------------------ checks
    def check_signature(self, signature: str | None, timestamp: str | None, nonce: str | None) -> bool:
        if not (self.token and signature and timestamp and nonce):
            return False
        try:
            _wx_check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            return False
        return True

    def check_fresh(self, timestamp: str | None, now: float | None = None) -> None:
        try:
            ts = int(str(timestamp))
        except (TypeError, ValueError):
            raise Forbidden(BAD_SIGNATURE) from None
        if abs((now if now is not None else time.time()) - ts) > self.max_age:
            raise Forbidden("微信消息推送已过期（时间戳超出允许范围）")

    def verify_echo(self, args: Mapping[str, str], now: float | None = None) -> str:
        """The GET URL check: the echostr to answer, or Forbidden."""
        if not self.check_signature(args.get("signature"), args.get("timestamp"), args.get("nonce")):
            raise Forbidden(BAD_SIGNATURE)
        self.check_fresh(args.get("timestamp"), now)
        return str(args.get("echostr") or "")

    # ------------------------------------------------------------------ parsing
    def parse(self, body: bytes, args: Mapping[str, str], now: float | None = None) -> dict[str, Any]:
        """Verify and decode one POSTed push into a dict of its fields (as WeChat names them)."""
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        # Both modes carry the plain signature in the query: check it always, and the time window.
        if not self.check_signature(args.get("signature"), timestamp, nonce):
            raise Forbidden(BAD_SIGNATURE)
        self.check_fresh(timestamp, now)
        envelope = _decode(body)
        if (args.get("encrypt_type") or "raw").lower() == "aes":
            if self.crypto is None:
                raise BadRequest("未配置消息推送的加解密密钥（WECHAT_MINI_PUSH_AES_KEY）")
            if not isinstance(envelope.get("Encrypt"), str):
                raise BadRequest("安全模式的消息推送缺少 Encrypt")
            try:
                plain = self.crypto.decrypt_message({"Encrypt": envelope["Encrypt"]}, args.get("msg_signature") or "",
                                                    timestamp, nonce)
            except InvalidSignatureException:
                raise Forbidden(BAD_SIGNATURE) from None
            except Exception:  # noqa: BLE001 - bad base64, padding or appid: not from WeChat
                raise BadRequest("无法解密微信消息推送") from None
            envelope = _decode(plain.encode("utf-8") if isinstance(plain, str) else plain)
        return envelope


def _decode(body: bytes) -> dict[str, Any]:
    """A push body, JSON or XML, as a dict."""
    text = (body or b"").decode("utf-8", errors="replace").strip()
    if not text:
        raise BadRequest("空的微信消息推送")
    try:
        if text.startswith("{"):
            out = json.loads(text)
        else:
            out = xmltodict.parse(text, disable_entities=True).get("xml")
    except Exception:  # noqa: BLE001 - malformed JSON or XML
        raise BadRequest("无法解析微信消息推送") from None
    if not isinstance(out, dict):
        raise BadRequest("无法解析微信消息推送")
    return out


# ------------------------------------------------------------------ events

def handle_media_check(session: Session, settings: Mapping[str, Any], event: dict[str, Any]) -> str:
    """wxa_media_check: the result of media_check_async for one image (by trace_id)."""
    from server.core.moderation.holds import apply_media_result
    from server.core.moderation.wechat import ModerationUnavailable, verdict_of

    trace_id = str(event.get("trace_id") or "")
    if not trace_id:
        raise BadRequest("wxa_media_check 缺少 trace_id")
    if str(event.get("errcode") or "0") != "0":
        logger.info("WeChat media check %s failed upstream (errcode %s)", trace_id, event.get("errcode"))
        return "ignored"
    try:
        verdict = verdict_of(event.get("result"))
    except ModerationUnavailable:
        raise BadRequest("wxa_media_check 的 result 无法识别") from None
    upload = apply_media_result(session, settings, trace_id, verdict)
    return "unknown" if upload is None else verdict.verdict


def _grants(name: str) -> Callable[[Session, Mapping[str, Any], dict[str, Any]], str]:
    def handle(session: Session, settings: Mapping[str, Any], event: dict[str, Any]) -> str:
        from server.core.notifications import push_grants

        return getattr(push_grants, name)(session, settings, event)

    return handle


HANDLERS: dict[str, Callable[[Session, Mapping[str, Any], dict[str, Any]], str]] = {
    "wxa_media_check": handle_media_check,
    "subscribe_msg_popup_event": _grants("do_popup"),
    "subscribe_msg_change_event": _grants("do_change"),
    "subscribe_msg_sent_event": _grants("do_sent"),
}


def dispatch(session: Session, settings: Mapping[str, Any], event: dict[str, Any]) -> str:
    name = str(event.get("Event") or event.get("event") or "")
    handler = HANDLERS.get(name)
    if handler is None:
        return "unhandled"
    return handler(session, settings, event)
