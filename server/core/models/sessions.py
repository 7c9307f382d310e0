"""Sign-in sessions that can be ended at once, counted sign-in failures and sends, and captcha challenges."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, utcnow


class AuthSession(Base):
    """One signed-in device: an API session (its id is the refresh-token family id) or a web cookie session.

    Every access token and every web cookie names its session; once `ended_at` is set the token or
    cookie is refused on its next request (logout, refresh-token reuse, erasure, deactivation)."""

    __tablename__ = "auth_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="api")  # api | web
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))  # logout | reuse | erased | deactivated | ...


class AuthAttempt(Base):
    """Counted events for sign-in defences: failed passwords per account and per address, SMS sends per address.

    In the database so that every process (and the embedded default, without Redis) counts the same."""

    __tablename__ = "auth_attempt"
    __table_args__ = (Index("ix_auth_attempt_kind_key_created", "kind", "key", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # password_account | password_ip | sms_send_ip
    key: Mapped[str] = mapped_column(String(64))  # sha256 of the username or address, never the plain value
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaptchaChallenge(Base):
    """An image captcha: the code is kept hashed, expires, and is used at most once (right or wrong)."""

    __tablename__ = "captcha_challenge"
    __table_args__ = (Index("ix_captcha_challenge_ip_created", "ip_hash", "created_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
