"""Operational tables: leases that let exactly one instance run a periodic job."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base


class JobLock(Base):
    __tablename__ = "job_lock"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class CallbackNonce(Base):
    """A signed callback's nonce, remembered until its timestamp leaves the accepted window (issue 15.11)."""
    __tablename__ = "callback_nonce"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(scope, timestamp, nonce)
    expires_at: Mapped[datetime] = mapped_column(index=True)
