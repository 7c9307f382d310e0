"""Outbox rows written in the same transaction as the change that causes them.

One row per event x recipient x channel, identified by a dedupe key so that the same event never
produces two rows for the same recipient and channel (a retried request, a re-run deadline job).

Channels:
- inbox: always, for every party that hears of the event (state "sent" at once: the row *is* the
  inbox item).
- wechat_subscribe: consumers with a wechat_mini identity (target: openid), when a template is
  configured for the event. Whether the user granted it is checked when sending (one grant each).
- alipay: consumers with an alipay identity (target: open_id or user_id), same rule.
- wechat_template: business staff with a bound official-account openid (target: oa_openid).
- webhook: each live webhook of the business subscribed to the event (target: webhook id). The
  payload carries a delivery id fixed at enqueue time, the same on every retry.

After the transaction commits, workers are woken (Redis LPUSH when REDIS_URL is set, and an
in-process event for the embedded loop). The wake-up is only a hint: the row is the truth.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.models import (
    BusinessMember,
    Complaint,
    ComplaintEvent,
    Identity,
    Message,
    Notification,
    Webhook,
)

log = logging.getLogger(__name__)

EVENT_TYPES = ("complaint.forwarded", "complaint.responded", "complaint.mediating", "complaint.resolved",
               "complaint.unresolved", "complaint.deadline_soon", "message.created")

TITLES = {
    "complaint.forwarded": "收到新的投诉",
    "complaint.responded": "商家已回复您的投诉",
    "complaint.mediating": "投诉已进入调解",
    "complaint.resolved": "投诉已解决",
    "complaint.unresolved": "调解未成功",
    "complaint.deadline_soon": "投诉即将超过处理期限",
    "message.created": "投诉有新留言",
}

# Which party hears of which event.
CONSUMER_EVENTS = {"complaint.forwarded", "complaint.responded", "complaint.mediating", "complaint.resolved",
                   "complaint.unresolved", "message.created"}
BUSINESS_EVENTS = {"complaint.forwarded", "complaint.mediating", "complaint.resolved", "complaint.unresolved",
                   "complaint.deadline_soon", "message.created"}

CHANNELS = ("inbox", "wechat_subscribe", "wechat_template", "alipay", "webhook")
WAKE_KEY = "smart315:notify:wake"


def complaint_page(complaint_id: int | None) -> str:
    """The mini-program page a message opens (same path in the WeChat and Alipay clients)."""
    return f"pages/complaint/detail?id={complaint_id}" if complaint_id else "pages/notifications/notifications"


def new_delivery_id() -> str:
    return "dlv_" + secrets.token_hex(12)


def _add(session: Session, *, event_type: str, source: str, complaint: Complaint, recipient_id: int | None,
         channel: str, now: datetime, body: str, payload: dict, business_id: int | None = None,
         target: str | None = None) -> Notification | None:
    who = f"u{recipient_id}" if recipient_id is not None else f"b{business_id}"
    dedupe = f"{source}:{who}:{channel}:{target or ''}"[:160]
    # The source (an event or a message) was created in this transaction, so no earlier row can
    # carry its key: only a repeat within this fan-out (someone both consumer and staff) is possible.
    written = session.info.setdefault("smart315.outbox_keys", set())
    if dedupe in written:
        return None
    written.add(dedupe)
    inbox = channel == "inbox"
    row = Notification(
        event_type=event_type, complaint_id=complaint.id, recipient_id=recipient_id, business_id=business_id,
        channel=channel, target=target, dedupe_key=dedupe, title=TITLES.get(event_type, event_type), body=body,
        payload=payload, send_state="sent" if inbox else "pending", sent_at=now if inbox else None,
        next_attempt_at=None if inbox else now, created_at=now, attempts=0,
    )
    session.add(row)
    return row


def _recipients(session: Session, complaint: Complaint, event_type: str, exclude_user: int | None = None):
    """[(user_id, party, oa_openid)] for the consumer and the business staff who hear of the event."""
    users: list[tuple[int, str, str | None]] = []
    if event_type in CONSUMER_EVENTS and complaint.consumer_id and complaint.consumer_id != exclude_user:
        users.append((complaint.consumer_id, "consumer", None))
    if event_type in BUSINESS_EVENTS and complaint.business_id:
        for uid, oa_openid in session.execute(
                select(BusinessMember.user_id, BusinessMember.oa_openid)
                .where(BusinessMember.business_id == complaint.business_id)
                .order_by(BusinessMember.id)).all():
            if uid != exclude_user:
                users.append((uid, "business", oa_openid))
    return users


def _identities(session: Session, user_ids: list[int]) -> dict[int, dict[str, str]]:
    """user id -> {provider: subject} of its first wechat_mini / alipay identity, for all the users at once."""
    out: dict[int, dict[str, str]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    rows = session.execute(select(Identity.user_id, Identity.provider, Identity.subject).where(
        Identity.user_id.in_(user_ids), Identity.provider.in_(("wechat_mini", "alipay"))).order_by(Identity.id)).all()
    for uid, provider, subject in rows:
        out[uid].setdefault(provider, subject)
    return out


def _webhooks_for(session: Session, business_id: int, event_type: str) -> list[Webhook]:
    hooks = session.execute(select(Webhook).where(Webhook.business_id == business_id,
                                                  Webhook.deleted_at.is_(None)).order_by(Webhook.id)).scalars()
    return [h for h in hooks if not h.events or event_type in h.events or "*" in h.events]


def _fan_out(session: Session, settings: Mapping[str, Any], complaint: Complaint, event_type: str, source: str,
             body: str, data: dict, now: datetime, exclude_user: int | None = None) -> int:
    """Write every row the event causes; returns how many were written."""
    written = 0
    wx_sub = (settings.get("WECHAT_SUBSCRIBE_TEMPLATES") or {}).get(event_type)
    wx_oa = (settings.get("WECHAT_OA_TEMPLATES") or {}).get(event_type)
    ali_sub = (settings.get("ALIPAY_SUBSCRIBE_TEMPLATES") or {}).get(event_type)

    def add(**kw) -> None:
        nonlocal written
        if _add(session, event_type=event_type, source=source, complaint=complaint, now=now, body=body, **kw):
            written += 1

    # Every read first, then every row: a read between two added rows would autoflush the first
    # alone (one INSERT per flush); added together, they are flushed together.
    recipients = _recipients(session, complaint, event_type, exclude_user)
    consumers = list(dict.fromkeys(uid for uid, party, _ in recipients if party == "consumer"))
    identities = _identities(session, consumers) if wx_sub or ali_sub else {}
    hooks = _webhooks_for(session, complaint.business_id, event_type) \
        if event_type in BUSINESS_EVENTS and complaint.business_id else []
    for uid, party, oa_openid in recipients:
        add(recipient_id=uid, channel="inbox", payload=dict(data))
        if party == "consumer":
            ids = identities.get(uid, {})
            if wx_sub and ids.get("wechat_mini"):
                add(recipient_id=uid, channel="wechat_subscribe", target=ids["wechat_mini"],
                    payload={**data, "template_id": wx_sub})
            if ali_sub and ids.get("alipay"):
                add(recipient_id=uid, channel="alipay", target=ids["alipay"],
                    payload={**data, "template_id": ali_sub})
        elif wx_oa and oa_openid:
            add(recipient_id=uid, channel="wechat_template", target=oa_openid,
                payload={**data, "template_id": wx_oa})
    for hook in hooks:
        add(recipient_id=None, business_id=complaint.business_id, channel="webhook", target=str(hook.id),
            payload={"delivery_id": new_delivery_id(), "data": dict(data)})
    if written:
        wake_after_commit(session, settings)
    return written


def enqueue_complaint_event(session: Session, settings: Mapping[str, Any], complaint: Complaint,
                            event: ComplaintEvent, event_type: str, now: datetime) -> None:
    body = f"{complaint.public_no}「{complaint.title}」"
    payload = {"complaint_id": complaint.id, "public_no": complaint.public_no, "status": complaint.status,
               "event_seq": event.seq}
    _fan_out(session, settings, complaint, event_type, f"ev{event.id}", body, payload, now)


def enqueue_message(session: Session, settings: Mapping[str, Any], complaint: Complaint, message: Message,
                    now: datetime) -> None:
    body = f"{complaint.public_no}：{message.body[:60]}"
    payload = {"complaint_id": complaint.id, "public_no": complaint.public_no, "status": complaint.status,
               "message_id": message.id}
    _fan_out(session, settings, complaint, "message.created", f"msg{message.id}", body, payload, now,
             exclude_user=message.author_id)


# ------------------------------------------------------------------ wake-ups

LOCAL_WAKE = threading.Event()  # the embedded loop waits on this
_redis_down_until: dict[str, float] = {}
REDIS_RETRY_AFTER_SECONDS = 5.0


def wake_workers(settings: Mapping[str, Any]) -> None:
    """Tell workers there is something to send. Never raises: a lost wake-up only delays delivery
    until the next poll, since workers always look at the table."""
    LOCAL_WAKE.set()
    url = settings.get("REDIS_URL")
    if not url:
        return
    if _redis_down_until.get(url, 0) > time.monotonic():
        return  # Redis failed a moment ago: do not make every request wait on it
    try:
        from server.redis_client import shared_redis

        client = shared_redis(url)
        pipe = client.pipeline()
        pipe.lpush(WAKE_KEY, "1")
        pipe.ltrim(WAKE_KEY, 0, 99)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - any Redis trouble: rely on polling
        _redis_down_until[url] = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
        log.warning("could not wake notification workers through Redis: %s", type(exc).__name__)


def wake_after_commit(session: Session, settings: Mapping[str, Any]) -> None:
    """Wake workers once this session's transaction commits (not before: they would find nothing)."""
    session.info["smart315.wake_settings"] = settings
    if session.info.get("smart315.wake_listening"):
        return
    session.info["smart315.wake_listening"] = True

    def _after_commit(sess: Session) -> None:
        pending = sess.info.pop("smart315.wake_settings", None)
        if pending is not None:
            wake_workers(pending)

    def _after_rollback(sess: Session, _previous) -> None:
        sess.info.pop("smart315.wake_settings", None)

    sa_event.listen(session, "after_commit", _after_commit)
    sa_event.listen(session, "after_soft_rollback", _after_rollback)


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_outbox_keys(session: Session) -> None:
    """The in-transaction dedupe set lives exactly as long as the transaction (ids may be reused after a rollback)."""
    session.info.pop("smart315.outbox_keys", None)
