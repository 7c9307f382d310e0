"""Who is calling: the actor named by a request's bearer token, business API key or web session cookie.

Read once per request and kept on flask.g.
"""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import select

from server.api.context import db_session, settings
from server.core.actor import Actor, actor_for_api_key, actor_for_user
from server.core.errors import InvalidToken, Unauthorized
from server.core.models import AuthSession, BusinessMember, User


def _load_actor() -> Actor | None:
    if "actor" in g:
        return g.actor
    actor = None
    header = request.headers.get("Authorization", "")
    api_key = request.headers.get("X-Api-Key")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization 头格式应为 Bearer <token>")
        from server.core.identity.tokens import read_access_claims

        uid, version, sid = read_access_claims(settings(), token.strip())
        # The account, whether the token's session is still live, and its business memberships in one
        # statement (one row per membership, or one row with NULLs); read on every request, so an ended
        # session (logout, refresh-token reuse, erasure, deactivation) or a removed member is refused at once.
        live = select(AuthSession.id).where(AuthSession.id == sid, AuthSession.user_id == uid,
                                            AuthSession.ended_at.is_(None)).exists()
        rows = db_session().execute(
            select(User, BusinessMember.business_id, BusinessMember.role, live.label("live"))
            .outerjoin(BusinessMember, BusinessMember.user_id == User.id)
            .where(User.id == uid)
        ).all()
        user = rows[0][0] if rows else None
        if user is None or not rows[0][3] or not user.is_active or user.deleted_at is not None \
                or user.token_version != version:
            raise InvalidToken()
        g.auth_sid = sid
        actor = actor_for_user(db_session(), user,
                               memberships=[(b, role) for _, b, role, _ in rows if b is not None])
    elif api_key:
        from server.core.businesses import authenticate_api_key

        key = authenticate_api_key(db_session(), api_key)
        actor = actor_for_api_key(key.business_id, key.id)
        _touch_api_key(key)
    else:
        web_loader = current_app.extensions.get("smart315.web_actor")
        if web_loader is not None:
            actor = web_loader()
    g.actor = actor
    return actor


def _touch_api_key(key) -> None:
    """Record when a key was last used, at most every five minutes, outside the request's transaction."""
    from datetime import timedelta

    from sqlalchemy import update

    from server.core.models import ApiKey, utcnow

    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at <= timedelta(minutes=5):
        return
    engine = current_app.extensions["smart315.db"].engine
    logger = current_app.logger
    key_id = key.id  # read now: after the request's commit the row is expired and its session closed

    def touch():  # runs after the request's session is closed, so it never waits on the request's own lock
        try:
            with engine.begin() as conn:
                conn.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        except Exception:  # bookkeeping only: never fail the request for it
            logger.warning("could not record API key use", exc_info=True)

    g.setdefault("after_session", []).append(touch)


def current_actor(required: bool = True) -> Actor | None:
    actor = _load_actor()
    if actor is None and required:
        raise Unauthorized()
    return actor
