"""Abuse controls: rate-limit entries (when Redis is not the store) and flags on complaints for a mediator."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow


class RateLimitHit(Base):
    """One accepted attempt in a moving window (server/api/limits.py SqlStorage): without Redis every process
    counts in the same table. `bucket` is the limit's key (subject and window), `at` epoch seconds."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_bucket_at", "bucket", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(255))
    at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class ComplaintFlag(Base):
    """A signal for a mediator on a complaint (kind `claimant`: 疑似职业索赔). Never a refusal by itself."""

    __tablename__ = "complaint_flag"
    __table_args__ = (Index("ix_complaint_flag_kind_complaint", "kind", "complaint_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
