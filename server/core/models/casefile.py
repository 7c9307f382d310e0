"""The complete case (issue 18): reports (举报) and the business's public reply beside a published case."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow


class Report(Base):
    """A tip about a violation (举报) without personal redress: routed to the region's mediators, never a
    complaint and never counted in any index."""

    __tablename__ = "report"
    __table_args__ = (Index("ix_report_region_created", "region_code", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id", ondelete="SET NULL"), index=True)
    business_name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(6))
    description: Mapped[str] = mapped_column(Text)
    # "pass" or "review" (moderation found something a person should look at; mediators see it anyway).
    moderation: Mapped[str] = mapped_column(String(10), default="pass", server_default="pass")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportAttachment(Base):
    __tablename__ = "report_attachment"
    upload_id: Mapped[str] = mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class PublicReply(Base):
    """The business's one current public reply to a complaint (a new reply replaces it)."""

    __tablename__ = "complaint_public_reply"
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    replied_at: Mapped[datetime] = mapped_column(default=utcnow)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id", ondelete="SET NULL"))
