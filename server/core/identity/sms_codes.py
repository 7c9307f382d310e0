"""SMS one-time login codes: issued with a resend cooldown, stored keyed-hashed, single use, few attempts.

A 6-digit code has only a million values, so a plain hash would be reversed offline from a
database dump in a second: the stored hash is an HMAC keyed with SECRET_KEY and bound to the phone.
Neither the code nor the phone is stored in clear; nothing here logs either.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core import locks
from server.core.errors import InvalidCode, RateLimited
from server.core.models import SmsCode, utcnow

MAX_ATTEMPTS = 5


def code_ttl(settings: Mapping[str, Any]) -> int:
    return int(settings["SMS_CODE_TTL_SECONDS"])


def resend_cooldown(settings: Mapping[str, Any]) -> int:
    return int(settings["SMS_RESEND_COOLDOWN_SECONDS"])


def phone_lookup_hash(settings: Mapping[str, Any], phone: str) -> str:
    """The same keyed hash the account table uses for the phone (so erasure can find the codes)."""
    from server.core.identity.accounts import cipher

    return cipher(settings).lookup_hash(phone)


def _code_hash(settings: Mapping[str, Any], phone_hash: str, code: str) -> str:
    key = hashlib.sha256(("smart315.sms-code:" + str(settings["SECRET_KEY"])).encode()).digest()
    return hmac.new(key, f"{phone_hash}:{code}".encode(), hashlib.sha256).hexdigest()


def generate_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def check_can_send(session: Session, settings: Mapping[str, Any], phone_hash: str,
                   now: datetime | None = None) -> None:
    """RateLimited (with the seconds left) while the last code for this phone is younger than the cooldown.

    Holds the phone's lock until the caller's transaction ends, so of two sends at once the second
    waits for the first to commit its code (or fail) and then sees it: one SMS per cooldown, not two.
    """
    now = now or utcnow()
    locks.lock_text(session, locks.SMS_SEND, phone_hash)
    last = session.execute(
        select(SmsCode.created_at).where(SmsCode.phone_hash == phone_hash)
        .order_by(SmsCode.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    if last is None:
        return
    wait = resend_cooldown(settings) - (now - last).total_seconds()
    if wait > 0:
        raise RateLimited(f"验证码已发送，请 {int(wait) + 1} 秒后再试", retry_after=int(wait) + 1)


def do_issue_code(session: Session, settings: Mapping[str, Any], phone: str,
                  now: datetime | None = None) -> tuple[str, SmsCode]:
    """A new code for `phone` (normalised); earlier unused codes for the phone stop working."""
    now = now or utcnow()
    phone_hash = phone_lookup_hash(settings, phone)
    check_can_send(session, settings, phone_hash, now)
    session.execute(update(SmsCode).where(SmsCode.phone_hash == phone_hash, SmsCode.used_at.is_(None))
                    .values(used_at=now))
    code = generate_code()
    row = SmsCode(phone_hash=phone_hash, code_hash=_code_hash(settings, phone_hash, code), created_at=now,
                  expires_at=now + timedelta(seconds=code_ttl(settings)), attempts=0)
    session.add(row)
    session.flush()
    return code, row


def do_consume_code(session: Session, settings: Mapping[str, Any], phone: str, code: str,
                    now: datetime | None = None) -> None:
    """Accept `code` for `phone` once; InvalidCode for a wrong, expired, used or over-tried code.

    A wrong guess counts against the code even though InvalidCode is raised: the caller must
    commit before letting the error out (see server/api/identity.py), or guesses would be free.
    """
    now = now or utcnow()
    phone_hash = phone_lookup_hash(settings, phone)
    row = session.execute(
        select(SmsCode).where(SmsCode.phone_hash == phone_hash, SmsCode.used_at.is_(None))
        .order_by(SmsCode.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None or row.expires_at <= now:
        raise InvalidCode("验证码无效或已过期，请重新获取")
    # Count the attempt with a conditional update so concurrent guesses cannot exceed the limit.
    counted = session.execute(
        update(SmsCode).where(SmsCode.id == row.id, SmsCode.used_at.is_(None), SmsCode.attempts < MAX_ATTEMPTS)
        .values(attempts=SmsCode.attempts + 1)
    ).rowcount
    if counted != 1:
        raise InvalidCode("验证码错误次数过多，请重新获取")
    expected = row.code_hash
    given = _code_hash(settings, phone_hash, code if isinstance(code, str) else "")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise InvalidCode("验证码错误")
    # Single use: of two concurrent logins with the same code exactly one marks it used.
    won = session.execute(
        update(SmsCode).where(SmsCode.id == row.id, SmsCode.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if won != 1:
        raise InvalidCode("验证码已使用，请重新获取")
