"""Signed callbacks from WeChat (issue 15.11): the signature, a timestamp window and remembered nonces.

WeChat signs a callback with sha1(sorted([token, timestamp, nonce])). The signature alone never expires,
so a captured callback could be replayed for ever; we also require the timestamp to be within
WECHAT_CALLBACK_WINDOW_SECONDS of our clock and remember each (timestamp, nonce) until it leaves the
window, in the database (every process and machine shares it), so the same callback is accepted once.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.errors import Forbidden
from server.core.models.ops import CallbackNonce

DEFAULT_WINDOW_SECONDS = 300
REFUSED = "微信回调签名校验失败"


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def check_wechat_signature(token: str, signature: str | None, timestamp: str | None, nonce: str | None, *,
                           session: Session | None, window_seconds: int = DEFAULT_WINDOW_SECONDS,
                           now: datetime | None = None, scope: str = "wechat") -> None:
    """Raise Forbidden unless the callback is signed with `token`, its timestamp is within the window and
    its nonce has not been seen in it. With a session, the nonce is remembered (committed at once, so two
    concurrent copies of one callback cannot both pass)."""
    if not (token and signature and timestamp and nonce):
        raise Forbidden(REFUSED)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Forbidden(REFUSED)
    if not hmac.compare_digest(wechat_signature(token, timestamp, nonce), signature.strip().lower()):
        raise Forbidden(REFUSED)
    now = now or datetime.now(UTC)
    sent = datetime.fromtimestamp(int(timestamp), UTC)
    if abs((now - sent).total_seconds()) > window_seconds:
        raise Forbidden("微信回调已过期，请检查服务器时间")
    if session is None:
        return
    key = hashlib.sha256(f"{scope}\n{timestamp}\n{nonce}".encode()).hexdigest()
    session.execute(delete(CallbackNonce).where(CallbackNonce.expires_at < now))
    session.add(CallbackNonce(key=key, expires_at=max(now, sent) + timedelta(seconds=window_seconds)))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Forbidden("该微信回调已处理过，不再重复受理") from None
