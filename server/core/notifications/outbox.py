"""Outbox rows written in the same transaction as the change that causes them (one per recipient x channel)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.models import BusinessMember, Complaint, ComplaintEvent, Message, Notification

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


def _add(session: Session, *, event_type: str, source: str, complaint: Complaint, recipient_id: int | None,
         channel: str, now: datetime, body: str, payload: dict, business_id: int | None = None,
         target: str | None = None) -> None:
    dedupe = f"{source}:{recipient_id or business_id}:{channel}:{target or ''}"[:160]
    if session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe)).first():
        return
    inbox = channel == "inbox"
    session.add(Notification(
        event_type=event_type, complaint_id=complaint.id, recipient_id=recipient_id, business_id=business_id,
        channel=channel, target=target, dedupe_key=dedupe, title=TITLES.get(event_type, event_type), body=body,
        payload=payload, send_state="sent" if inbox else "pending", sent_at=now if inbox else None,
        next_attempt_at=None if inbox else now, created_at=now,
    ))


def _recipients(session: Session, complaint: Complaint, event_type: str, exclude_user: int | None = None):
    users: list[tuple[int, str]] = []
    if event_type in CONSUMER_EVENTS and complaint.consumer_id and complaint.consumer_id != exclude_user:
        users.append((complaint.consumer_id, "consumer"))
    if event_type in BUSINESS_EVENTS and complaint.business_id:
        for uid in session.execute(select(BusinessMember.user_id)
                                   .where(BusinessMember.business_id == complaint.business_id)).scalars():
            if uid != exclude_user:
                users.append((uid, "business"))
    return users


def enqueue_complaint_event(session: Session, settings: Mapping[str, Any], complaint: Complaint,
                            event: ComplaintEvent, event_type: str, now: datetime) -> None:
    body = f"{complaint.public_no}「{complaint.title}」"
    payload = {"complaint_id": complaint.id, "public_no": complaint.public_no, "status": complaint.status,
               "event_seq": event.seq}
    for uid, _party in _recipients(session, complaint, event_type):
        _add(session, event_type=event_type, source=f"ev{event.id}", complaint=complaint, recipient_id=uid,
             channel="inbox", now=now, body=body, payload=payload)


def enqueue_message(session: Session, settings: Mapping[str, Any], complaint: Complaint, message: Message,
                    now: datetime) -> None:
    body = f"{complaint.public_no}：{message.body[:60]}"
    payload = {"complaint_id": complaint.id, "public_no": complaint.public_no, "message_id": message.id}
    for uid, _party in _recipients(session, complaint, "message.created", exclude_user=message.author_id):
        _add(session, event_type="message.created", source=f"msg{message.id}", complaint=complaint,
             recipient_id=uid, channel="inbox", now=now, body=body, payload=payload)
