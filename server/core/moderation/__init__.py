"""Moderation of user text and images before they are stored, behind one interface.

    check_text(text, *, user, scene, settings) -> Verdict(pass|review|risky, label, provider)
    check_media(upload, *, user, settings)     -> Verdict (wechat: pass + trace_id until the push says)

MODERATION_PROVIDER: ``wechat`` (msg_sec_check v2 / media_check_async v2 for users who signed in with
the WeChat mini-program, i.e. who have an openid; everyone else, and every WeChat failure, falls back
to ``local``) | ``local`` (the shipped word list; the embedded default) | ``off``.

Callers: :func:`enforce` refuses a risky verdict (422 ``content_rejected``, before anything is written);
a ``review`` verdict is stored and held (see server.core.moderation.holds).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from server.core.errors import ContentRejected
from server.core.moderation.local import LocalModeration
from server.core.moderation.verdict import RANK, VERDICTS, Verdict, worst

logger = logging.getLogger(__name__)

PROVIDERS = ("wechat", "local", "off")
# Our kinds of text -> the WeChat scene they are checked in.
SCENE_OF = {"complaint": "forum", "message": "comment", "reply": "comment", "appeal": "profile",
            "consult": "comment", "image": "forum"}
REJECTED_DETAIL = "内容包含违规信息（{label}），未能提交，请修改后重试"
MEDIA_URL_TTL_SECONDS = 24 * 3600

_clients_lock = threading.Lock()
_clients: dict[tuple, Any] = {}

__all__ = ["PROVIDERS", "RANK", "VERDICTS", "Verdict", "check_media", "check_text", "check_texts", "enforce",
           "media_signature", "media_url_for", "provider_name", "worst"]


def provider_name(settings: Mapping[str, Any]) -> str:
    name = str(settings.get("MODERATION_PROVIDER") or "local").strip().lower()
    return name if name in PROVIDERS else "local"


def _local(settings: Mapping[str, Any]) -> LocalModeration:
    return LocalModeration(settings.get("MODERATION_WORDS_FILE") or None)


def _wechat(settings: Mapping[str, Any]):
    """One WeChat moderation client per configuration and process; its access token is shared through
    Redis when the app has one (wechatpy's RedisStorage), like the sign-in client's."""
    from server.core.identity.providers.wechat import WeChatMini
    from server.core.moderation.wechat import WeChatModeration
    from server.core.ports import redis_for

    url = settings.get("REDIS_URL")
    redis = redis_for(url)
    key = tuple(str(settings.get(k)) for k in ("WECHAT_MINI_APPID", "WECHAT_MINI_SECRET", "WECHAT_API_BASE_URL",
                                               "WECHAT_TIMEOUT_SECONDS")) + (str(url),)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = WeChatModeration(WeChatMini(dict(settings), redis))
        return client


def openid_of(user: Any) -> str | None:
    """The user's WeChat mini-program openid, or None (not signed in with WeChat)."""
    if user is None or getattr(user, "id", None) is None:
        return None
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from server.core.models import Identity

    session = object_session(user)
    if session is None:
        return None
    return session.execute(select(Identity.subject).where(
        Identity.user_id == user.id, Identity.provider == "wechat_mini").order_by(Identity.id).limit(1)
    ).scalar_one_or_none()


def check_text(text: str, *, user: Any, scene: str, settings: Mapping[str, Any]) -> Verdict:
    """The verdict on one piece of user text (scene: complaint | message | reply | appeal | consult)."""
    name = provider_name(settings)
    if name == "off" or not (text or "").strip():
        return Verdict("pass", None, "off" if name == "off" else name)
    if name == "wechat":
        openid = openid_of(user)
        if openid:
            from server.core.moderation.wechat import ModerationUnavailable

            try:
                return _wechat(settings).check_text(text, openid, SCENE_OF.get(scene, "comment"))
            except ModerationUnavailable as exc:
                # Not active in the last 2 h (61010), over quota, down: never refuse the user for it.
                logger.info("WeChat msg_sec_check unavailable (%s %s); using the local list", exc.reason, exc.errcode)
    return _local(settings).check_text(text)


def check_texts(texts, *, user: Any, scene: str, settings: Mapping[str, Any]) -> Verdict:
    """One verdict for several fields stored together (one upstream call: the parts joined)."""
    joined = "\n".join(t for t in texts if t and t.strip())
    return check_text(joined, user=user, scene=scene, settings=settings)


def enforce(verdict: Verdict) -> Verdict:
    """Refuse a risky verdict with a problem document; answer the verdict otherwise."""
    if verdict.risky:
        raise ContentRejected(REJECTED_DETAIL.format(label=verdict.label or "其他"),
                              label=verdict.label, provider=verdict.provider)
    return verdict


def media_signature(settings: Mapping[str, Any], upload_id: str, expires: int) -> str:
    key = str(settings.get("SECRET_KEY") or "").encode()
    return hmac.new(key, f"media-check:{upload_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def media_url_for(settings: Mapping[str, Any], upload_id: str, now: float | None = None) -> str:
    """A URL WeChat can fetch the image from, signed and expiring (GET /api/v1/wechat/mini/media/{id})."""
    expires = int((now or time.time()) + MEDIA_URL_TTL_SECONDS)
    base = str(settings.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return (f"{base}/api/v1/wechat/mini/media/{upload_id}?expires={expires}"
            f"&sig={media_signature(settings, upload_id, expires)}")


def check_media(upload: Any, *, user: Any, settings: Mapping[str, Any]) -> Verdict:
    """Start the check of an image. wechat + an openid: media_check_async, the answer carries its
    trace_id and the verdict arrives through the push (server.core.moderation.push); otherwise pass
    (the local provider has no image model: images of users without WeChat are not checked by a machine)."""
    name = provider_name(settings)
    if name != "wechat" or not str(getattr(upload, "mime", "")).startswith("image/"):
        return Verdict("pass", None, name)
    openid = openid_of(user)
    if not openid:
        return Verdict("pass", None, "local")
    from server.core.moderation.wechat import ModerationUnavailable

    try:
        trace_id = _wechat(settings).check_media_async(media_url_for(settings, upload.id), openid, "forum")
    except ModerationUnavailable as exc:
        logger.info("WeChat media_check_async unavailable (%s %s)", exc.reason, exc.errcode)
        return Verdict("pass", None, "local")
    return Verdict("pass", None, "wechat", trace_id=trace_id)
