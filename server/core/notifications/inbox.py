"""The caller's in-app inbox: check_* finds the caller's own message, do_* marks it read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server.core.errors import NotFound
from server.core.models import Notification


def check_own_inbox_item(session: Session, user_id: int, notification_id: int) -> Notification:
    """The user's own inbox message; anyone else's (or another channel's row) is not found."""
    n = session.get(Notification, notification_id)
    if n is None or n.recipient_id != user_id or n.channel != "inbox":
        raise NotFound("消息不存在")
    return n


def do_mark_read(session: Session, notification: Notification, now: datetime) -> bool:
    """Mark the message read (once: a second call keeps the first time). True when it changed."""
    if notification.read_at is not None:
        return False
    notification.read_at = now
    return True
