"""Browser sessions: a signed HttpOnly cookie holding the user id and token version, CSRF, security headers.

The login pages call the JSON login endpoints (SMS or password) and hand the access token to
POST /web/session, which checks it and opens the cookie session; the refresh token is revoked
there, so no long-lived token stays in the browser. Every API call made with the cookie and a
state-changing method must carry the session's CSRF token in `X-CSRF-Token` (the pages read it
from <meta name="csrf-token">); Bearer and API-key calls are not cookie-authenticated and need none.
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, request, session

from server.api.common import db_session, parse_json_body, settings
from server.core.actor import Actor, actor_for_user
from server.core.errors import BadRequest, Forbidden, InvalidToken
from server.core.models import User

bp = Blueprint("web_session", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = "页面已过期或请求来源不明，请刷新页面后重试"


def csrf_token() -> str:
    """The session's CSRF token, created on first use (also for signed-out visitors)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    expected = session.get("csrf") or ""
    given = request.headers.get("X-CSRF-Token", "")
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed()


def session_user() -> User | None:
    """The signed-in web user, or None when there is no valid session (token version bumped, user disabled)."""
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    user = db_session().get(User, uid)
    if user is None or not user.is_active or user.deleted_at is not None or user.token_version != session.get("tv"):
        session.pop("uid", None)
        session.pop("tv", None)
        return None
    return user


def load_web_actor() -> Actor | None:
    """Registered as app.extensions["smart315.web_actor"]: the API's actor from the session cookie."""
    if "uid" not in session:
        return None
    if request.method not in SAFE_METHODS:
        check_csrf()
    user = session_user()
    return actor_for_user(db_session(), user) if user is not None else None


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.host


@bp.post("/web/session")
def open_session():
    """Exchange an access token from /auth/password or /auth/sms/login for the cookie session."""
    if not _same_origin():
        raise CsrfFailed()
    body = parse_json_body()
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise BadRequest("缺少 access_token")
    from server.core.identity.tokens import read_access_token, revoke_refresh_token

    uid, version = read_access_token(settings(), token)
    s = db_session()
    user = s.get(User, uid)
    if user is None or not user.is_active or user.deleted_at is not None or user.token_version != version:
        raise InvalidToken()
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        revoke_refresh_token(s, refresh)
        s.commit()
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["tv"] = user.token_version
    from server.core.identity.accounts import user_json

    return {"user": user_json(settings(), user), "csrf_token": csrf_token()}


@bp.post("/web/logout")
def close_session():
    if "uid" in session:
        check_csrf()
    session.clear()
    return Response(status=204)


def security_headers(resp: Response) -> Response:
    """The pages' CSP (scripts and styles from this origin only) and framing/referrer/sniffing headers.

    Runs before server/security.py's hook, which fills the same headers for the API with setdefault."""
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/api/"):
        return resp
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if resp.mimetype == "text/html":
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp
