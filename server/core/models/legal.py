"""A user's agreement to a version of the privacy policy or the user agreement (PIPL: consent recorded)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow


class Consent(Base):
    __tablename__ = "user_consent"
    __table_args__ = (Index("ix_user_consent_user_document", "user_id", "document"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    document: Mapped[str] = mapped_column(String(10))  # privacy | terms
    version: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # web | wechat | alipay | api
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)
