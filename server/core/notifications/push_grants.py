"""Subscribe-message grants that follow WeChat's message push (POST /api/v1/wechat/mini/events).

With a push token configured (WECHAT_MINI_PUSH_TOKEN), the server's count of a user's one-time
grants for a template (subscription_grant.remaining, channel "wechat") follows these events:

- ``subscribe_msg_popup_event``: each template the user accepted in the pop-up adds one grant
  (at most subscriptions.MAX_GRANTS_PER_TEMPLATE); a rejection changes nothing.
- ``subscribe_msg_change_event``: a template switched to ``reject`` in the settings page loses every
  grant; ``accept`` there gives none (a one-time grant comes only from a pop-up).
- ``subscribe_msg_sent_event``: the result of one send. ErrorCode 0 for a message this server sent
  (its MsgID is on our outbox row) confirms the grant the send already used; ErrorCode 0 for a MsgID
  we do not know (sent by another system with the same app) uses one grant; any other ErrorCode
  (e.g. 43101, the user has no grant) leaves none.

POST /me/subscriptions, what the app reports after wx.requestSubscribeMessage, is then a hint only:
it is checked and answered 204 but adds no grant, so one tap is never counted twice (the pop-up event
describes the same tap). Without a push token the hint is the only source and counts (Alipay always).

Events, as WeChat sends them: XML (``<SubscribeMsgPopupEvent><List>...``) or JSON (``"List": [...]``
or one object); template ids that are not ours are ignored.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.models import Identity, Notification, SubscriptionGrant, utcnow
from server.core.notifications.subscriptions import do_add_grants

log = logging.getLogger(__name__)

CHANNEL = "wechat"
WRAPPERS = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
            "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
            "subscribe_msg_sent_event": "SubscribeMsgSentEvent"}
MSGID_KEY = "wx_msgid"  # where the wechat_subscribe sender records the msgid WeChat answered
MSGID_LOOKBACK = timedelta(days=3)


def push_mode(settings: Mapping[str, Any]) -> bool:
    """True when the message push is configured: the grants follow it and the app's report is a hint."""
    return bool(settings.get("WECHAT_MINI_PUSH_TOKEN"))


def items(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The event's List entries, from XML (inside its wrapper) or JSON (at the top or wrapped)."""
    name = str(event.get("Event") or event.get("event") or "")
    holder = event.get(WRAPPERS.get(name, ""))
    raw = (holder.get("List") if isinstance(holder, Mapping) else None) or event.get("List") or []
    if isinstance(raw, Mapping):
        raw = [raw]
    return [dict(i) for i in raw if isinstance(i, Mapping)] if isinstance(raw, list) else []


def _ours(settings: Mapping[str, Any]) -> set[str]:
    from server.core.notifications.templates import ids

    return set(ids(settings, "WECHAT_SUBSCRIBE_TEMPLATES").values())


def _user_of(session: Session, event: Mapping[str, Any]) -> int | None:
    openid = str(event.get("FromUserName") or "")
    if not openid:
        return None
    return session.execute(select(Identity.user_id).where(
        Identity.provider == "wechat_mini", Identity.subject == openid)).scalar_one_or_none()


def _set_zero(session: Session, user_id: int, template_id: str) -> None:
    session.execute(update(SubscriptionGrant).where(
        SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == CHANNEL,
        SubscriptionGrant.template_id == template_id).values(remaining=0, updated_at=utcnow()))


def _use_one(session: Session, user_id: int, template_id: str) -> None:
    session.execute(update(SubscriptionGrant).where(
        SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == CHANNEL,
        SubscriptionGrant.template_id == template_id, SubscriptionGrant.remaining > 0,
    ).values(remaining=SubscriptionGrant.remaining - 1, updated_at=utcnow()))


def _sent_by_us(session: Session, openid: str, msgid: str) -> bool:
    since = utcnow() - MSGID_LOOKBACK
    payloads = session.execute(select(Notification.payload).where(
        Notification.channel == "wechat_subscribe", Notification.target == openid,
        Notification.created_at >= since).order_by(Notification.id.desc()).limit(500)).scalars()
    return any(str((p or {}).get(MSGID_KEY) or "") == msgid for p in payloads)


def do_popup(session: Session, settings: Mapping[str, Any], event: dict[str, Any]) -> str:
    user_id = _user_of(session, event)
    if user_id is None:
        return "unknown user"
    ours = _ours(settings)
    accepted = [str(i.get("TemplateId")) for i in items(event)
                if str(i.get("SubscribeStatusString") or "").lower() == "accept" and str(i.get("TemplateId")) in ours]
    do_add_grants(session, user_id, CHANNEL, accepted, utcnow())
    return f"granted {len(accepted)}"


def do_change(session: Session, settings: Mapping[str, Any], event: dict[str, Any]) -> str:
    user_id = _user_of(session, event)
    if user_id is None:
        return "unknown user"
    ours = _ours(settings)
    rejected = [str(i.get("TemplateId")) for i in items(event)
                if str(i.get("SubscribeStatusString") or "").lower() == "reject" and str(i.get("TemplateId")) in ours]
    for template_id in rejected:
        _set_zero(session, user_id, template_id)
    return f"rejected {len(rejected)}"


def do_sent(session: Session, settings: Mapping[str, Any], event: dict[str, Any]) -> str:
    user_id = _user_of(session, event)
    if user_id is None:
        return "unknown user"
    ours, openid, done = _ours(settings), str(event.get("FromUserName") or ""), []
    for item in items(event):
        template_id = str(item.get("TemplateId") or "")
        if template_id not in ours:
            continue
        code = str(item.get("ErrorCode") if item.get("ErrorCode") is not None else "0").strip()
        if code != "0":
            _set_zero(session, user_id, template_id)  # WeChat says the user has no grant for it
            done.append(f"{template_id}:none")
        elif _sent_by_us(session, openid, str(item.get("MsgID") or item.get("MsgId") or "")):
            done.append(f"{template_id}:confirmed")  # our send already used the grant
        else:
            _use_one(session, user_id, template_id)
            done.append(f"{template_id}:used")
    return ", ".join(done) or "nothing"
