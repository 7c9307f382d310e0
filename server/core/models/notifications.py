"""The transactional outbox: one row per event x recipient x channel, and webhook delivery attempts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow

SEND_STATES = ("pending", "sending", "sent", "failed", "dead", "skipped")


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_due", "send_state", "next_attempt_at"),
        Index("ix_notification_inbox", "recipient_id", "channel", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))  # complaint.forwarded, message.created, ...
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(24))  # inbox | wechat_subscribe | wechat_template | alipay | webhook | sms
    target: Mapped[str | None] = mapped_column(String(1024))  # openid / alipay id / webhook id
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(128), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(default=dict)
    send_state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id", ondelete="SET NULL"), index=True)
    attempt: Mapped[int]
    status_code: Mapped[int | None]
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
