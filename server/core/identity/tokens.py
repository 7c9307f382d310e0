"""Short-lived signed access tokens; opaque refresh tokens that rotate, where reuse revokes the family."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from server.core.errors import InvalidToken
from server.core.models import RefreshToken, User, utcnow


def _serializer(settings: Mapping[str, Any]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings["SECRET_KEY"], salt="smart315.access")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def make_access_token(settings: Mapping[str, Any], user: User) -> str:
    return _serializer(settings).dumps({"u": user.id, "v": user.token_version})


def read_access_token(settings: Mapping[str, Any], token: str) -> tuple[int, int]:
    """(user id, token version) from a valid, unexpired access token; InvalidToken otherwise."""
    try:
        data = _serializer(settings).loads(token, max_age=int(settings["ACCESS_TOKEN_TTL"]))
    except SignatureExpired as exc:
        raise InvalidToken("登录已过期，请刷新或重新登录") from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise InvalidToken()
    return data["u"], int(data.get("v", 0))


def issue_tokens(session: Session, settings: Mapping[str, Any], user: User, family_id: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    session.add(RefreshToken(
        user_id=user.id, family_id=family_id or secrets.token_hex(16), token_hash=_hash(raw), issued_at=now,
        expires_at=now + timedelta(seconds=int(settings["REFRESH_TOKEN_TTL"])),
    ))
    session.flush()
    return {
        "access_token": make_access_token(settings, user),
        "refresh_token": raw,
        "token_type": "Bearer",
        "expires_in": int(settings["ACCESS_TOKEN_TTL"]),
    }


def rotate_refresh_token(session: Session, settings: Mapping[str, Any], raw: str,
                         now: datetime | None = None) -> tuple[User, dict[str, Any]]:
    """Use a refresh token once; a second use of the same token revokes every token of its family."""
    now = now or utcnow()
    row = session.query(RefreshToken).filter_by(token_hash=_hash(raw)).one_or_none()
    if row is None:
        raise InvalidToken("刷新令牌无效")
    if row.revoked_at is not None or row.used_at is not None:
        revoke_family(session, row.family_id, now)
        raise InvalidToken("刷新令牌已被使用，已为安全起见退出所有相关登录")
    if row.expires_at <= now:
        raise InvalidToken("登录已过期，请重新登录")
    # Conditional update: of two concurrent refreshes with one token, exactly one wins.
    won = session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if won != 1:
        revoke_family(session, row.family_id, now)
        raise InvalidToken("刷新令牌已被使用，已为安全起见退出所有相关登录")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise InvalidToken()
    return user, issue_tokens(session, settings, user, family_id=row.family_id, now=now)


def revoke_family(session: Session, family_id: str, now: datetime | None = None) -> None:
    session.execute(
        update(RefreshToken).where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_refresh_token(session: Session, raw: str, now: datetime | None = None) -> None:
    row = session.query(RefreshToken).filter_by(token_hash=_hash(raw)).one_or_none()
    if row is not None:
        revoke_family(session, row.family_id, now)


def revoke_all_for_user(session: Session, user: User, now: datetime | None = None) -> None:
    session.execute(
        update(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    user.token_version += 1
