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
- sms: the SMS fallback (sms_fallback.py) for a consumer with a bound phone and no subscribe channel
  for the event; a subscribe row that finds no grant writes one when it sends nothing.
- webhook: each live webhook of the business subscribed to the event (target: webhook id). The
  payload carries a delivery id fixed at enqueue time, the same on every retry.
Only channels NOTIFICATION_CHANNELS enables get rows (all by default; the inbox always).

After the transaction commits, workers are woken (Redis LPUSH when REDIS_URL is set, and an
in-process event for the embedded loop). The wake-up is only a hint: the row is the truth.
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, Text, cast, literal_column, null, select, union_all
from sqlalchemy import event as sa_event
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
from server.core.notifications.channels import enabled_channels
from server.core.requestctx import current_request_id
from server.core.vocabulary import WEBHOOK_EVENTS

log = logging.getLogger(__name__)

EVENT_TYPES = WEBHOOK_EVENTS

# The business's wording (and the default): the business reads these about a complaint against it.
TITLES = {
    "complaint.forwarded": "收到新的投诉",
    "complaint.responded": "商家已回复您的投诉",
    "complaint.mediating": "投诉已进入调解",
    "complaint.resolved": "投诉已解决",
    "complaint.unresolved": "调解未成功",
    "complaint.deadline_soon": "投诉即将超过处理期限",
    "message.created": "投诉有新留言",
    "appeal.filed": "商家对投诉提出了申诉",
    "appeal.decided": "申诉已有处理结果",
    "complaint.rejected": "投诉不予受理",
    "complaint.transferred": "投诉已转至其他地区处理",
    "complaint.reopened": "消费者重新打开了投诉，投诉重新进入调解",
    "complaint.paused": "投诉处理期限暂停计时",
    "complaint.resumed": "投诉处理期限恢复计时",
    "complaint.materials_requested": "调解员要求消费者补正材料，处理期限暂停计时",
    "complaint.supplemented": "消费者已补正材料，处理期限恢复计时",
    "complaint.fulfilled": "消费者确认您已履行和解承诺",
    "complaint.not_fulfilled": "消费者反映您未履行和解承诺，投诉重新进入调解",
    "complaint.fulfilment_check": "商家是否已履行和解承诺？",
    "complaint.joined": "又有消费者加入了集体投诉",
}
# The same event, worded for the consumer where the business's title would mislead them (issue 17:
# a forwarded complaint told its own consumer 收到新的投诉).
CONSUMER_TITLES = {
    "complaint.forwarded": "您的投诉已转交商家处理",
    "complaint.responded": "商家已回复您的投诉",
    "complaint.mediating": "您的投诉已进入调解",
    "complaint.resolved": "您的投诉已解决",
    "complaint.unresolved": "您的投诉调解未成功",
    "message.created": "您的投诉有新留言",
    "appeal.filed": "商家对您的投诉提出了申诉",
    "appeal.decided": "商家对您投诉的申诉已有处理结果",
    "complaint.rejected": "您的投诉不予受理",
    "complaint.transferred": "您的投诉已转至其他地区处理",
    "complaint.reopened": "您的投诉已重新打开，进入调解",
    "complaint.paused": "您的投诉处理期限暂停计时",
    "complaint.resumed": "您的投诉处理期限恢复计时",
    "complaint.materials_requested": "请补正投诉材料",
    "complaint.fulfilment_check": "商家是否已履行和解承诺？",
    "complaint.joined": "又有消费者加入了您发起的集体投诉",
}
# The mediators of the complaint's region hear of what the consumer does in a mediation they run (a
# supplement, an unkept settlement, a reopening) and of a complaint transferred to them; inbox only.
MEDIATOR_TITLES = {
    "complaint.supplemented": "消费者已补正材料，处理期限恢复计时",
    "complaint.not_fulfilled": "消费者反映商家未履行和解承诺，投诉重新进入调解",
    "complaint.reopened": "消费者重新打开了投诉，投诉重新进入调解",
    "complaint.transferred": "收到转办的投诉",
}
MEDIATOR_EVENTS = set(MEDIATOR_TITLES)
# Events whose note the reader is told (the reason of a rejection, a transfer, a pause).
WITH_NOTE = {"complaint.rejected", "complaint.transferred", "complaint.paused", "complaint.reopened",
             "complaint.materials_requested", "complaint.supplemented", "complaint.not_fulfilled",
             "complaint.fulfilment_check"}

# Which party hears of which event.
CONSUMER_EVENTS = {"complaint.forwarded", "complaint.responded", "complaint.mediating", "complaint.resolved",
                   "complaint.unresolved", "message.created", "appeal.filed", "appeal.decided",
                   "complaint.rejected", "complaint.transferred", "complaint.paused", "complaint.resumed",
                   "complaint.materials_requested", "complaint.fulfilment_check", "complaint.joined"}
BUSINESS_EVENTS = {"complaint.forwarded", "complaint.mediating", "complaint.resolved", "complaint.unresolved",
                   "complaint.deadline_soon", "message.created", "appeal.decided",
                   "complaint.reopened", "complaint.paused", "complaint.resumed", "complaint.rejected",
                   "complaint.transferred", "complaint.materials_requested", "complaint.supplemented",
                   "complaint.fulfilled", "complaint.not_fulfilled", "complaint.joined"}
# The lifecycle events reach the business only once the complaint did (business_sees), and reach no
# webhook until they are in the documented webhook events (vocabulary.WEBHOOK_EVENTS).
BUSINESS_SEES_FIRST = {"complaint.reopened", "complaint.paused", "complaint.resumed", "complaint.rejected",
                       "complaint.transferred", "complaint.materials_requested", "complaint.supplemented",
                       "complaint.fulfilled", "complaint.not_fulfilled", "complaint.joined"}
# appeal.filed also reaches the region's mediators (server/core/appeals.py); it is the business's own
# act, so it is not sent to the business or its webhooks.

CHANNELS = ("inbox", "wechat_subscribe", "wechat_template", "alipay", "webhook", "sms")
WAKE_KEY = "smart315:notify:wake"


def complaint_page(complaint_id: int | None) -> str:
    """The mini-program page a message opens (same path in the WeChat and Alipay clients)."""
    return f"pages/complaint/detail?id={complaint_id}" if complaint_id else "pages/notifications/notifications"


def new_delivery_id() -> str:
    return "dlv_" + secrets.token_hex(12)


def with_request_id(payload: dict) -> dict:
    """The payload of an outbox row written now: it remembers the request that caused it (when there is one,
    server/core/requestctx.py), so the worker logs the delivery under that id. A payload copied from an
    earlier row (a webhook redelivery) keeps the id it already has."""
    rid = current_request_id()
    if not rid or "request_id" in payload:
        return payload
    return {**payload, "request_id": rid}


def _add(session: Session, *, event_type: str, source: str, complaint: Complaint, recipient_id: int | None,
         channel: str, now: datetime, body: str, payload: dict, business_id: int | None = None,
         target: str | None = None, title: str | None = None) -> Notification | None:
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
        channel=channel, target=target, dedupe_key=dedupe, title=title or TITLES.get(event_type, event_type), body=body,
        payload=with_request_id(payload), send_state="sent" if inbox else "pending", sent_at=now if inbox else None,
        next_attempt_at=None if inbox else now, created_at=now, attempts=0,
    )
    session.add(row)
    return row


class _Audience(NamedTuple):
    recipients: list[tuple[int, str, str | None]]  # (user_id, party, oa_openid): the consumer, then staff by id
    identities: dict[int, dict[str, str]]  # consumer recipient -> {provider: subject}, first of each by id
    webhook_ids: list[int]  # the business's live webhooks subscribed to the event, by id
    phones: frozenset[int] = frozenset()  # consumer recipients with a bound phone (asked for: SMS fallback)


def _audience(session: Session, complaint: Complaint, event_type: str, exclude_user: int | None,
              with_identities: bool, with_phone: bool = False) -> _Audience:
    """Who hears of the event, read in one statement: the business's staff (with their OA openids),
    the consumer's WeChat/Alipay identities (when a subscribe template may use them) and the
    business's live webhooks, as three UNION ALL branches of one shape (kind, id, user, a, b).
    Webhook events travel as their JSON text (how the JSON column stores them) and are parsed here."""
    consumer = complaint.consumer_id if (event_type in CONSUMER_EVENTS and complaint.consumer_id
                                         and complaint.consumer_id != exclude_user) else None
    # A complaint held by moderation (review, rejected) tells its business nothing: not its title, not a
    # held message's text, in no channel (server/core/moderation/holds.py).
    to_business = event_type in BUSINESS_EVENTS and complaint.business_id is not None \
        and (complaint.moderation or "pass") == "pass"
    if to_business and event_type in BUSINESS_SEES_FIRST:
        from server.core.complaints.visibility import business_sees

        to_business = business_sees(complaint, {complaint.business_id})
    branches = []
    if to_business:
        branches.append(select(literal_column("'m'").label("kind"), BusinessMember.id.label("id"),
                               BusinessMember.user_id.label("uid"), BusinessMember.oa_openid.label("a"),
                               cast(null(), Text).label("b"))
                        .where(BusinessMember.business_id == complaint.business_id))
    if consumer is not None and with_identities:
        branches.append(select(literal_column("'i'"), Identity.id, Identity.user_id, Identity.provider,
                               Identity.subject)
                        .where(Identity.user_id == consumer, Identity.provider.in_(("wechat_mini", "alipay"))))
    if consumer is not None and with_phone:  # whether the SMS fallback could reach them: a bound phone
        from server.core.models import User

        branches.append(select(literal_column("'p'"), User.id, User.id, cast(null(), Text), cast(null(), Text))
                        .where(User.id == consumer, User.phone_enc.is_not(None)))
    if to_business and event_type in EVENT_TYPES:
        branches.append(select(literal_column("'w'"), Webhook.id, cast(null(), Integer), cast(Webhook.events, Text),
                               cast(null(), Text))
                        .where(Webhook.business_id == complaint.business_id, Webhook.deleted_at.is_(None)))
    rows = []
    if branches:
        stmt = branches[0] if len(branches) == 1 else union_all(*branches)
        rows = session.execute(stmt.order_by(literal_column("id"))).all()
    recipients: list[tuple[int, str, str | None]] = [(consumer, "consumer", None)] if consumer is not None else []
    identities: dict[int, dict[str, str]] = {consumer: {}} if consumer is not None else {}
    webhook_ids: list[int] = []
    phones: set[int] = set()
    for kind, row_id, uid, a, b in rows:
        if kind == "m":
            if uid != exclude_user:
                recipients.append((uid, "business", a))
        elif kind == "i":
            identities[uid].setdefault(a, b)
        elif kind == "p":
            phones.add(uid)
        else:
            events = json.loads(a) if a is not None else None
            if not events or event_type in events or "*" in events:
                webhook_ids.append(row_id)
    return _Audience(recipients, identities, webhook_ids, frozenset(phones))


def _fan_out(session: Session, settings: Mapping[str, Any], complaint: Complaint, event_type: str, source: str,
             body: str, data: dict, now: datetime, exclude_user: int | None = None) -> int:
    """Write every row the event causes; returns how many were written."""
    written = 0
    from server.core.notifications.templates import entry_for, template_id

    wx_sub = template_id(entry_for(settings, "WECHAT_SUBSCRIBE_TEMPLATES", event_type))
    wx_oa = template_id(entry_for(settings, "WECHAT_OA_TEMPLATES", event_type))
    ali_sub = template_id(entry_for(settings, "ALIPAY_SUBSCRIBE_TEMPLATES", event_type))

    enabled = enabled_channels(settings)  # NOTIFICATION_CHANNELS: no rows for a channel switched off

    def add(**kw) -> None:
        nonlocal written
        if kw["channel"] in enabled and _add(session, event_type=event_type, source=source, complaint=complaint, now=now, body=body, **kw):
            written += 1

    # Every read first (one statement), then every row: a read between two added rows would autoflush
    # the first alone (one INSERT per flush); added together, they are flushed together.
    from server.core.notifications.sms_fallback import applies

    audience = _audience(session, complaint, event_type, exclude_user, with_identities=True,
                         with_phone=applies(settings, event_type))
    identities = audience.identities
    sms_to = _sms_without_identity(session, settings, event_type, audience, wx_sub, ali_sub)
    for uid, party, oa_openid in audience.recipients:
        title = CONSUMER_TITLES.get(event_type) if party == "consumer" else None
        add(recipient_id=uid, channel="inbox", payload=dict(data), title=title)
        if party == "consumer":
            ids = identities.get(uid, {})
            if wx_sub and ids.get("wechat_mini"):
                add(recipient_id=uid, channel="wechat_subscribe", target=ids["wechat_mini"],
                    payload={**data, "template_id": wx_sub}, title=title)
            if ali_sub and ids.get("alipay"):
                add(recipient_id=uid, channel="alipay", target=ids["alipay"],
                    payload={**data, "template_id": ali_sub}, title=title)
            if uid in sms_to:  # no mini-program to hear it in: the SMS fallback at once (sms_fallback.py)
                add(recipient_id=uid, channel="sms", payload=dict(data), title=title)
        elif wx_oa and oa_openid:
            add(recipient_id=uid, channel="wechat_template", target=oa_openid,
                payload={**data, "template_id": wx_oa})
    for hook_id in audience.webhook_ids:
        add(recipient_id=None, business_id=complaint.business_id, channel="webhook", target=str(hook_id),
            payload={"delivery_id": new_delivery_id(), "data": dict(data)})
    if written:
        wake_after_commit(session, settings)
    return written


def _sms_without_identity(session: Session, settings: Mapping[str, Any], event_type: str, audience: _Audience,
                          wx_sub: str | None, ali_sub: str | None) -> set[int]:
    """Consumers of the event with a bound phone and no subscribe channel for it (no WeChat or Alipay
    identity with a template): they have no grant, so the SMS fallback writes their sms row now. A
    consumer with a subscribe row gets one only if that row finds no grant (channels/grants.py)."""
    from server.core.notifications.sms_fallback import applies

    if not applies(settings, event_type):
        return set()
    enabled = enabled_channels(settings)
    wx_sub = wx_sub if "wechat_subscribe" in enabled else None
    ali_sub = ali_sub if "alipay" in enabled else None
    uids = [uid for uid, party, _ in audience.recipients if party == "consumer"
            and not ((wx_sub and audience.identities.get(uid, {}).get("wechat_mini"))
                     or (ali_sub and audience.identities.get(uid, {}).get("alipay")))]
    return {uid for uid in uids if uid in audience.phones}  # read with the audience: no statement of its own


def enqueue_complaint_event(session: Session, settings: Mapping[str, Any], complaint: Complaint,
                            event: ComplaintEvent, event_type: str, now: datetime) -> None:
    body = f"{complaint.public_no}「{complaint.title}」"
    if event_type in WITH_NOTE and event.note:
        body += f"：{event.note[:200]}"
    payload = {"complaint_id": complaint.id, "public_no": complaint.public_no, "status": complaint.status,
               "event_seq": event.seq}
    _fan_out(session, settings, complaint, event_type, f"ev{event.id}", body, payload, now)
    if event_type in MEDIATOR_EVENTS:
        notify_region_mediators(session, settings, complaint, event_type, f"ev{event.id}", body, payload, now,
                                title=MEDIATOR_TITLES[event_type], exclude_user=event.actor_id)


def region_mediator_ids(session: Session, region_code: str | None) -> list[int]:
    """The mediators whose region contains the code (province, city or county), by id."""
    from server.core.models import User

    code = region_code or ""
    prefixes = [code[:n] for n in (2, 4, 6) if len(code) >= n]
    return list(session.execute(select(User.id).where(User.kind == "mediator", User.region_code.in_(prefixes),
                                                      User.deleted_at.is_(None)).order_by(User.id)).scalars())


def notify_region_mediators(session: Session, settings: Mapping[str, Any], complaint: Complaint, event_type: str,
                            source: str, body: str, payload: dict, now: datetime, title: str | None = None,
                            exclude_user: int | None = None) -> int:
    """An inbox item for each mediator of the complaint's region (mediators have no other channel)."""
    added = 0
    for uid in region_mediator_ids(session, complaint.region_code):
        if uid != exclude_user and _add(session, event_type=event_type, source=source, complaint=complaint,
                                        recipient_id=uid, channel="inbox", now=now, body=body,
                                        payload=dict(payload), title=title):
            added += 1
    if added:
        wake_after_commit(session, settings)
    return added


def enqueue_message(session: Session, settings: Mapping[str, Any], complaint: Complaint, message: Message,
                    now: datetime) -> None:
    body = f"{complaint.public_no}：{message.body[:60] or '发来了图片或文件'}"
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
        from server.core.ports import redis_for

        client = redis_for(url)
        if client is None:
            return
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
