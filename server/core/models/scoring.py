"""Stored results of the complaint processing index, its monthly history and frozen disclosures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow


class BusinessIndex(Base):
    __tablename__ = "business_index"
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), primary_key=True)
    industry_code: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    formula_version: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float, index=True)
    grade: Mapped[str | None] = mapped_column(String(1))
    insufficient: Mapped[bool] = mapped_column(default=True)
    components: Mapped[dict] = mapped_column(default=dict)
    counts: Mapped[dict] = mapped_column(default=dict)
    n_complaints: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndustryMean(Base):
    __tablename__ = "industry_mean"
    industry_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    components: Mapped[dict] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexHistory(Base):
    """Month-end index per business, for the 12-month trend on the profile."""

    __tablename__ = "index_history"
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(1))
    n_complaints: Mapped[int] = mapped_column(default=0)


class Disclosure(Base):
    """A month's published figures, frozen byte for byte once written."""

    __tablename__ = "disclosure"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    csv_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    json_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    # The signed audit checkpoint written when the month was published (file name and its SHA-256), so the
    # published disclosure names the checkpoint anyone can later verify the timelines against.
    audit_checkpoint_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    audit_checkpoint_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
