"""Browser sessions: a signed HttpOnly cookie holding the user id and token version, CSRF, security headers.

The login pages call the JSON login endpoints (SMS or password) and hand the access token to
POST /web/session, which checks it and opens the cookie session; the refresh token is revoked
there, so no long-lived token stays in the browser. Every API call made with the cookie and a
state-changing method must carry the session's CSRF token in `X-CSRF-Token` (the pages read it
from <meta name="csrf-token">); Bearer and API-key calls are not cookie-authenticated and need none.
"""
from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import unquote, urlsplit

from flask import Blueprint, Response, g, request, session

from server.api.context import db_session, settings
from server.api.validation import parse_json_body
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
    """The signed-in web user, or None when the cookie's session has ended (logout, erasure, deactivation,
    token version bumped) or the user is disabled. A copy of the cookie dies with the session."""
    uid, sid = session.get("uid"), session.get("sid")
    if not isinstance(uid, int):
        return None
    from server.core.identity.tokens import session_is_live

    s = db_session()
    user = s.get(User, uid)
    if user is None or not user.is_active or user.deleted_at is not None or user.token_version != session.get("tv") \
            or not isinstance(sid, str) or not session_is_live(s, sid, uid):
        for key in ("uid", "tv", "sid"):
            session.pop(key, None)
        return None
    g.auth_sid = sid
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
    from server.core.identity.tokens import hand_over_to_web, read_access_claims, session_is_live

    uid, version, sid = read_access_claims(settings(), token)
    s = db_session()
    user = s.get(User, uid)
    if user is None or not user.is_active or user.deleted_at is not None or user.token_version != version \
            or not session_is_live(s, sid, uid):
        raise InvalidToken()
    refresh = body.get("refresh_token")
    # The cookie names the sign-in's auth_session: no long-lived token stays in the browser, and ending
    # the session (/web/logout, logout, erasure, deactivation) ends every copy of the cookie at once.
    hand_over_to_web(s, sid, refresh if isinstance(refresh, str) else None, user.id)
    s.commit()
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["tv"] = user.token_version
    session["sid"] = sid
    from server.core.identity.accounts import user_json

    return {"user": user_json(settings(), user), "csrf_token": csrf_token()}


@bp.post("/web/logout")
def close_session():
    if "uid" in session:
        check_csrf()
        sid = session.get("sid")
        if isinstance(sid, str) and sid:
            from server.core.identity.tokens import end_session

            s = db_session()
            end_session(s, sid, "logout")
            s.commit()
    session.clear()
    return Response(status=204)


# ------------------------------------------------------------------ where to go after sign-in

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def safe_next(value: str | None) -> str:
    """`value` when it is a same-origin path as a browser reads it, else "" (the caller's default).

    Browsers strip tabs and newlines anywhere in a URL, strip leading/trailing C0 controls and
    spaces, and treat a backslash like a slash, so `/\\host`, `/\thost` and `\\host` are all
    `//host`: another origin. Encoded forms (`%5C`, `%09`, `%2F`) are checked decoded too, since
    the value may be decoded once more on its way. Only `/` followed by something other than
    `/` or `\\` is kept.
    """
    if not isinstance(value, str) or not value or len(value) > 2000:
        return ""
    candidates = [value]
    decoded = value
    for _ in range(3):
        decoded = unquote(decoded)
        if decoded in candidates:
            break
        candidates.append(decoded)
    for raw in candidates:
        v = re.sub(r"[\t\n\r]", "", raw).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                          "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                          "\x1e\x1f ")
        v = v.replace("\\", "/")
        if not v.startswith("/") or v.startswith("//") or _SCHEME_RE.match(v):
            return ""
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in v):
            return ""
        parts = urlsplit(v)
        if parts.scheme or parts.netloc:
            return ""
    if any(c in value for c in "\t\n\r\\") or any(ord(c) < 0x20 for c in value):
        return ""
    return value


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
