"""Short-lived signed access tokens; opaque refresh tokens that rotate, where reuse revokes the family.

Every sign-in opens an `auth_session` whose id is the refresh-token family id. Access tokens carry
the user id, the token version, that session id and a unique `jti`; the request's account look-up
refuses a token whose session has ended, so logout, refresh-token reuse, erasure and deactivation
take effect on the next request rather than when the token expires.
"""
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
from server.core.models import AuthSession, RefreshToken, User, utcnow


def _serializer(settings: Mapping[str, Any]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings["SECRET_KEY"], salt="smart315.access")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def make_access_token(settings: Mapping[str, Any], user: User, session_id: str) -> str:
    # jti: two sign-ins in the same second (same timestamp, same user) still get different tokens.
    return _serializer(settings).dumps({"u": user.id, "v": user.token_version, "s": session_id,
                                        "j": secrets.token_urlsafe(12)})


def read_access_token(settings: Mapping[str, Any], token: str) -> tuple[int, int]:
    """(user id, token version) from a valid, unexpired access token; InvalidToken otherwise."""
    uid, version, _ = read_access_claims(settings, token)
    return uid, version


def read_access_claims(settings: Mapping[str, Any], token: str) -> tuple[int, int, str]:
    """(user id, token version, session id) from a valid, unexpired access token; InvalidToken otherwise."""
    try:
        data = _serializer(settings).loads(token, max_age=int(settings["ACCESS_TOKEN_TTL"]))
    except SignatureExpired as exc:
        raise InvalidToken("登录已过期，请刷新或重新登录") from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        raise InvalidToken()  # tokens from before sessions existed name none: sign in again
    return data["u"], int(data.get("v", 0)), data["s"]


def open_session(session: Session, user: User, kind: str = "api", session_id: str | None = None,
                 now: datetime | None = None) -> AuthSession:
    row = AuthSession(id=session_id or secrets.token_hex(16), user_id=user.id, kind=kind, created_at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def session_is_live(session: Session, session_id: str | None, user_id: int) -> bool:
    if not session_id:
        return False
    row = session.get(AuthSession, session_id)
    return row is not None and row.user_id == user_id and row.ended_at is None


def end_session(session: Session, session_id: str, reason: str, now: datetime | None = None) -> None:
    """End one signed-in device: its access tokens or cookie are refused from the next request on."""
    now = now or utcnow()
    session.execute(update(AuthSession).where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))
                    .values(ended_at=now, end_reason=reason))
    session.execute(update(RefreshToken).where(RefreshToken.family_id == session_id,
                                               RefreshToken.revoked_at.is_(None)).values(revoked_at=now))


def issue_tokens(session: Session, settings: Mapping[str, Any], user: User, family_id: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    if family_id is None:
        family_id = open_session(session, user, "api", now=now).id
    raw = secrets.token_urlsafe(32)
    session.add(RefreshToken(
        user_id=user.id, family_id=family_id, token_hash=_hash(raw), issued_at=now,
        expires_at=now + timedelta(seconds=int(settings["REFRESH_TOKEN_TTL"])),
    ))
    session.flush()
    return {
        "access_token": make_access_token(settings, user, family_id),
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
    if row.used_at is not None:
        # A token already rotated came back: one of the two holders is not the owner.
        _reuse_detected(session, row, now)
        raise InvalidToken("刷新令牌已被使用，已为安全起见退出所有相关登录")
    if row.revoked_at is not None:
        revoke_family(session, row.family_id, now)  # logged out, or its family ended: nothing more to end
        raise InvalidToken("登录已失效，请重新登录")
    if row.expires_at <= now:
        raise InvalidToken("登录已过期，请重新登录")
    # Conditional update: of two concurrent refreshes with one token, exactly one wins.
    won = session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if won != 1:
        _reuse_detected(session, row, now)
        raise InvalidToken("刷新令牌已被使用，已为安全起见退出所有相关登录")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise InvalidToken()
    if not session_is_live(session, row.family_id, user.id):
        raise InvalidToken()
    return user, issue_tokens(session, settings, user, family_id=row.family_id, now=now)


def _reuse_detected(session: Session, row: RefreshToken, now: datetime) -> None:
    """A used or revoked refresh token came back: someone holds a copy. End every session of the account."""
    user = session.get(User, row.user_id)
    if user is not None:
        revoke_all_for_user(session, user, now, reason="refresh_reuse")
    else:
        revoke_family(session, row.family_id, now)


def revoke_family(session: Session, family_id: str, now: datetime | None = None) -> None:
    """Revoke a refresh-token family and end its session (the family id is the session id)."""
    end_session(session, family_id, "revoked", now)


def revoke_refresh_token(session: Session, raw: str, now: datetime | None = None,
                         user_id: int | None = None) -> None:
    row = session.query(RefreshToken).filter_by(token_hash=_hash(raw)).one_or_none()
    if row is not None and (user_id is None or row.user_id == user_id):
        end_session(session, row.family_id, "logout", now)


def hand_over_to_web(session: Session, session_id: str, raw_refresh: str | None, user_id: int,
                     now: datetime | None = None) -> None:
    """The browser keeps only its cookie: the session's refresh tokens are revoked (the session itself stays
    live, now named by the cookie; /web/logout or /auth/logout with the access token ends both)."""
    now = now or utcnow()
    if raw_refresh:
        row = session.query(RefreshToken).filter_by(token_hash=_hash(raw_refresh)).one_or_none()
        if row is not None and row.user_id == user_id and row.family_id != session_id:
            end_session(session, row.family_id, "handed_over", now)  # a refresh token of another sign-in
    session.execute(update(RefreshToken).where(RefreshToken.family_id == session_id,
                                               RefreshToken.revoked_at.is_(None)).values(revoked_at=now))
    session.execute(update(AuthSession).where(AuthSession.id == session_id).values(kind="web"))


def revoke_all_for_user(session: Session, user: User, now: datetime | None = None, reason: str = "logout_all") -> None:
    """End every session of the account (API and web) and revoke every refresh token."""
    now = now or utcnow()
    session.execute(
        update(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
                    .values(ended_at=now, end_reason=reason))
    user.token_version += 1
