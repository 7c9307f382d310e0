"""The SMS fallback (API.md "Mini-programs in the field", SMS_FALLBACK, default on).

When a consumer has no subscribe grant left for an event and has a bound phone, the events of
SMS_EVENTS reach them by SMS instead, through the SMS provider (SMS_PROVIDER; Aliyun with the
notice template SMS_NOTIFY_TEMPLATE_CODE), as an outbox row of the channel "sms" (retried like any
other). Never both for one event and person:

- a consumer with a WeChat or Alipay identity: the subscribe sender that finds no grant writes the
  sms row, unless a grant is left on another of their channels for the event (that one will send);
  its dedupe key (event, person, "sms") makes it one row however many channels find no grant;
- a subscribe sender finding the sms row already written sends nothing (Skip), and the sms sender
  finding a subscribe message already sent for the event sends nothing;
- a consumer with no mini-program identity (signed in on the web) gets the sms row at once
  (outbox._fan_out), having no grant at all.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from server.core.models import Notification, SubscriptionGrant, utcnow

log = logging.getLogger(__name__)

CHANNEL = "sms"
SMS_EVENTS = ("complaint.responded", "complaint.mediating", "complaint.resolved", "complaint.unresolved")
# What the SMS says happened, after 您的投诉<public number>.
SMS_TEXTS = {"complaint.responded": "商家已回复", "complaint.mediating": "已进入调解",
             "complaint.resolved": "已解决", "complaint.unresolved": "调解未成功"}
SUBSCRIBE_CHANNELS = {"wechat_subscribe": ("wechat", "WECHAT_SUBSCRIBE_TEMPLATES"),
                      "alipay": ("alipay", "ALIPAY_SUBSCRIBE_TEMPLATES")}


def applies(settings: Mapping[str, Any], event_type: str) -> bool:
    from server.core.notifications.channels import enabled_channels

    return bool(settings.get("SMS_FALLBACK")) and event_type in SMS_EVENTS and CHANNEL in enabled_channels(settings)


def text_for(public_no: str, event_type: str) -> str:
    return f"您的投诉{public_no}{SMS_TEXTS.get(event_type, '有新进展')}，请打开小程序或网站查看。"


def source_of(row: Any) -> str:
    """The event (or message) a row came from: the first part of its dedupe key."""
    return str(row.dedupe_key or "").split(":", 1)[0]


def dedupe_key(source: str, user_id: int) -> str:
    return f"{source}:u{user_id}:{CHANNEL}:"[:160]


def new_row(row_like: Any, *, source: str, user_id: int, now) -> Notification:
    payload = {k: v for k, v in (row_like.payload or {}).items() if k != "template_id"}
    return Notification(
        event_type=row_like.event_type, complaint_id=row_like.complaint_id, recipient_id=user_id, business_id=None,
        channel=CHANNEL, target=None, dedupe_key=dedupe_key(source, user_id), title=row_like.title or "",
        body=row_like.body or "", payload=payload, send_state="pending", next_attempt_at=now, created_at=now,
        attempts=0)


def _grant_elsewhere(session, settings: Mapping[str, Any], row: Any) -> bool:
    """A grant left for this event on one of the person's other subscribe channels."""
    from server.core.notifications.templates import entry_for, template_id

    conds = []
    for channel, (grant_channel, setting) in SUBSCRIBE_CHANNELS.items():
        if channel == row.channel:
            continue
        tid = template_id(entry_for(settings, setting, row.event_type))
        if tid:
            conds.append((SubscriptionGrant.channel == grant_channel) & (SubscriptionGrant.template_id == tid))
    if not conds:
        return False
    return session.execute(select(SubscriptionGrant.id).where(
        SubscriptionGrant.user_id == row.recipient_id, SubscriptionGrant.remaining > 0, or_(*conds)).limit(1)
    ).first() is not None


def already_by_sms(db, row: Any) -> bool:
    with db.session() as s:
        return s.execute(select(Notification.id).where(
            Notification.dedupe_key == dedupe_key(source_of(row), row.recipient_id))).first() is not None


def instead_of(ctx, row: Any) -> bool:
    """A subscribe row found no grant: write the sms row for its event and person (once). True when
    the SMS will go (written now or before)."""
    from server.core.models import User
    from server.core.notifications.outbox import wake_workers

    if row.recipient_id is None or not applies(ctx.settings, row.event_type):
        return False
    with ctx.db.session() as s:
        phone = s.execute(select(User.phone_enc).where(User.id == row.recipient_id)).scalar_one_or_none()
        if not phone or _grant_elsewhere(s, ctx.settings, row):
            return False
        s.add(new_row(row, source=source_of(row), user_id=row.recipient_id, now=utcnow()))
        try:
            s.commit()
        except IntegrityError:  # another channel of the same event wrote it first
            s.rollback()
            return True
    wake_workers(ctx.settings)
    log.info("notification %s: no subscribe grant left; falling back to SMS", row.id)
    return True


def subscribe_sent(db, row: Any) -> bool:
    """A subscribe message for the same event and person was sent already."""
    source = source_of(row)
    with db.session() as s:
        keys = [f"{source}:u{row.recipient_id}:{c}:" for c in SUBSCRIBE_CHANNELS]
        return s.execute(select(Notification.id).where(
            Notification.recipient_id == row.recipient_id, Notification.channel.in_(tuple(SUBSCRIBE_CHANNELS)),
            Notification.send_state == "sent",
            or_(*[Notification.dedupe_key.startswith(k) for k in keys]))).first() is not None
