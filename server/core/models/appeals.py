"""Business appeals (申诉) against a complaint, decided by a mediator of its region or an admin."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow


class Appeal(Base):
    __tablename__ = "complaint_appeal"
    __table_args__ = (Index("ix_complaint_appeal_state_complaint", "state", "complaint_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id", ondelete="SET NULL"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20))  # not_consumer | duplicate | malicious | wrong_business | other
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | upheld | rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(Text)


class AppealAttachment(Base):
    """An upload given as evidence with an appeal (one appeal per upload; not a complaint attachment, so the
    consumer does not see it among the complaint's evidence)."""

    __tablename__ = "complaint_appeal_attachment"
    upload_id: Mapped[str] = mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("complaint_appeal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
