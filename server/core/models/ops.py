"""Operational tables: leases that let exactly one instance run a periodic job, and values every process shares."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
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


class JobRun(Base):
    """When each periodic job last ran, and how often (issue 23.2). The live clock decides whether a job is
    due; runs made with `scheduler --once --now T` are counted on the `simulated` clock and never move the
    live one, so a future T does not delay the live scheduler."""
    __tablename__ = "job_run"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    clock: Mapped[str] = mapped_column(String(10), primary_key=True)  # 'live' | 'simulated'
    last_run_at: Mapped[datetime]
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))


class SharedValue(Base):
    """A value every process of the platform shares while it lives, when there is no Redis: the WeChat access
    tokens (server/core/shared_values.py), which would otherwise be fetched by each process for itself, each
    fetch retiring the others' (issue 23.1). `expires_at` in epoch seconds."""
    __tablename__ = "shared_value"
    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
