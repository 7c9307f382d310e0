"""Sign-in defences kept in the database: counted failures and sends, and image captcha challenges.

Counting in the database (not per process, not only in Redis) lets every web process and the embedded
default agree. A password sign-in needs a captcha after LOGIN_CAPTCHA_AFTER failures for the account or
LOGIN_CAPTCHA_AFTER_PER_IP failures from the address within LOGIN_FAILURE_WINDOW_SECONDS; the account is
never locked, so someone failing on purpose cannot keep its owner out. Web SMS sends need a captcha after
SMS_CAPTCHA_AFTER sends from one address in an hour.

Captcha codes are stored as keyed hashes, expire after CAPTCHA_TTL_SECONDS and are used at most once,
right or wrong (one guess per image); at most CAPTCHA_LIMIT_PER_IP images per address and hour.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from server.core.errors import CaptchaRequired, RateLimited
from server.core.models import AuthAttempt, CaptchaChallenge, utcnow

PASSWORD_ACCOUNT = "password_account"
PASSWORD_IP = "password_ip"
SMS_SEND_IP = "sms_send_ip"
# No 0/O, 1/I/L: letters people misread in a distorted image.
CAPTCHA_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CAPTCHA_LENGTH = 4


def _int(settings: Mapping[str, Any], name: str, default: int) -> int:
    value = settings.get(name)
    return int(default if value is None or value == "" else value)


def subject_key(settings: Mapping[str, Any], kind: str, value: str) -> str:
    """A keyed hash: no username or address is stored in the clear."""
    return hmac.new(str(settings["SECRET_KEY"]).encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def count_recent(session: Session, settings: Mapping[str, Any], kind: str, value: str, window: int,
                 now: datetime | None = None) -> int:
    now = now or utcnow()
    return session.execute(select(func.count()).select_from(AuthAttempt).where(
        AuthAttempt.kind == kind, AuthAttempt.key == subject_key(settings, kind, value),
        AuthAttempt.created_at > now - timedelta(seconds=window))).scalar_one()


def record(session: Session, settings: Mapping[str, Any], kind: str, value: str, window: int,
           now: datetime | None = None) -> None:
    now = now or utcnow()
    key = subject_key(settings, kind, value)
    # Rows older than the window no longer count: drop this subject's, so the table stays small.
    session.execute(delete(AuthAttempt).where(AuthAttempt.kind == kind, AuthAttempt.key == key,
                                              AuthAttempt.created_at <= now - timedelta(seconds=window)))
    session.add(AuthAttempt(kind=kind, key=key, created_at=now))
    session.flush()


def clear(session: Session, settings: Mapping[str, Any], kind: str, value: str) -> None:
    session.execute(delete(AuthAttempt).where(AuthAttempt.kind == kind,
                                              AuthAttempt.key == subject_key(settings, kind, value)))


def login_window(settings: Mapping[str, Any]) -> int:
    return _int(settings, "LOGIN_FAILURE_WINDOW_SECONDS", 900)


def password_needs_captcha(session: Session, settings: Mapping[str, Any], username: str, ip: str,
                           now: datetime | None = None) -> bool:
    window = login_window(settings)
    return (count_recent(session, settings, PASSWORD_ACCOUNT, username, window, now)
            >= _int(settings, "LOGIN_CAPTCHA_AFTER", 3)
            or count_recent(session, settings, PASSWORD_IP, ip, window, now)
            >= _int(settings, "LOGIN_CAPTCHA_AFTER_PER_IP", 10))


def record_password_failure(session: Session, settings: Mapping[str, Any], username: str, ip: str,
                            now: datetime | None = None) -> None:
    window = login_window(settings)
    record(session, settings, PASSWORD_ACCOUNT, username, window, now)
    record(session, settings, PASSWORD_IP, ip, window, now)


def sms_send_needs_captcha(session: Session, settings: Mapping[str, Any], ip: str,
                           now: datetime | None = None) -> bool:
    return count_recent(session, settings, SMS_SEND_IP, ip, 3600, now) >= _int(settings, "SMS_CAPTCHA_AFTER", 1)


def record_sms_send(session: Session, settings: Mapping[str, Any], ip: str, now: datetime | None = None) -> None:
    record(session, settings, SMS_SEND_IP, ip, 3600, now)


# ------------------------------------------------------------------ captcha challenges

def _code_hash(settings: Mapping[str, Any], captcha_id: str, code: str) -> str:
    msg = f"captcha:{captcha_id}:{code.strip().upper()}".encode()
    return hmac.new(str(settings["SECRET_KEY"]).encode(), msg, hashlib.sha256).hexdigest()


def render_png(code: str) -> bytes:
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=160, height=60).generate(code, format="png").getvalue()


def new_challenge(session: Session, settings: Mapping[str, Any], ip: str,
                  now: datetime | None = None) -> dict[str, str]:
    """{"captcha_id", "image"} with a data:image/png URL; RateLimited past CAPTCHA_LIMIT_PER_IP an hour."""
    now = now or utcnow()
    ip_hash = subject_key(settings, "captcha_ip", ip)
    hour_ago = now - timedelta(hours=1)
    session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.ip_hash == ip_hash,
                                                   CaptchaChallenge.created_at <= hour_ago))
    made = session.execute(select(func.count()).select_from(CaptchaChallenge).where(
        CaptchaChallenge.ip_hash == ip_hash, CaptchaChallenge.created_at > hour_ago)).scalar_one()
    if made >= _int(settings, "CAPTCHA_LIMIT_PER_IP", 60):
        oldest = session.execute(select(func.min(CaptchaChallenge.created_at)).where(
            CaptchaChallenge.ip_hash == ip_hash, CaptchaChallenge.created_at > hour_ago)).scalar_one()
        wait = int(((oldest or now) + timedelta(hours=1) - now).total_seconds()) + 1
        raise RateLimited("获取图形验证码过于频繁，请稍后再试", retry_after=max(1, wait))
    code = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))
    captcha_id = secrets.token_urlsafe(24)
    ttl = _int(settings, "CAPTCHA_TTL_SECONDS", 300)
    session.add(CaptchaChallenge(id=captcha_id, code_hash=_code_hash(settings, captcha_id, code), ip_hash=ip_hash,
                                 created_at=now, expires_at=now + timedelta(seconds=ttl)))
    session.flush()
    image = "data:image/png;base64," + base64.b64encode(render_png(code)).decode("ascii")
    return {"captcha_id": captcha_id, "image": image, "expires_in": ttl}


def consume_challenge(session: Session, settings: Mapping[str, Any], captcha_id: str | None, code: str | None,
                      now: datetime | None = None) -> bool:
    """Use the challenge once: True when it was live and the code matches. A wrong code uses it up too."""
    if not captcha_id or not code:
        return False
    now = now or utcnow()
    won = session.execute(update(CaptchaChallenge).where(
        CaptchaChallenge.id == captcha_id, CaptchaChallenge.used_at.is_(None), CaptchaChallenge.expires_at > now,
    ).values(used_at=now)).rowcount
    if won != 1:
        return False
    stored = session.execute(select(CaptchaChallenge.code_hash).where(CaptchaChallenge.id == captcha_id)).scalar_one()
    return hmac.compare_digest(stored, _code_hash(settings, captcha_id, code))


def require_captcha(session: Session, settings: Mapping[str, Any], captcha_id: str | None, code: str | None,
                    now: datetime | None = None) -> None:
    """CaptchaRequired (428) unless a live challenge is answered correctly; the caller commits before raising
    on, so a wrong answer uses the image up."""
    if not captcha_id or not code:
        raise CaptchaRequired("请先输入图形验证码", captcha_url="/api/v1/auth/captcha")
    if not consume_challenge(session, settings, captcha_id, code, now):
        raise CaptchaRequired("图形验证码错误或已过期，请重新获取并输入", captcha_url="/api/v1/auth/captcha")
