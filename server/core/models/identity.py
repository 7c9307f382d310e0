"""Accounts, their sign-in identities, refresh tokens, SMS codes and subscribe-message grants."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.base import Base, utcnow

USER_KINDS = ("consumer", "business_staff", "mediator", "admin")


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="consumer", index=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone_enc: Mapped[str | None] = mapped_column(String(255))
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    region_code: Mapped[str | None] = mapped_column(String(6))  # mediators: their jurisdiction prefix
    text_size: Mapped[str | None] = mapped_column(String(10))  # the web's text size the user chose (pages.py)
    is_active: Mapped[bool] = mapped_column(default=True)
    token_version: Mapped[int] = mapped_column(default=0)  # bumping it invalidates access tokens
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    identities: Mapped[list[Identity]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Identity(Base):
    """A way to sign in: WeChat mini-program openid, Alipay user, phone; several per account."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("provider", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # wechat_mini, alipay, phone
    subject: Mapped[str] = mapped_column(String(128))  # openid / alipay open_id or user_id / phone hash
    unionid: Mapped[str | None] = mapped_column(String(128), index=True)
    alt_subject: Mapped[str | None] = mapped_column(String(128), index=True)  # alipay user_id when open_id is primary
    secret_enc: Mapped[str | None] = mapped_column(String(512))  # e.g. WeChat session_key, encrypted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="identities")


class RefreshToken(Base):
    __tablename__ = "refresh_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SmsCode(Base):
    __tablename__ = "sms_code"
    __table_args__ = (Index("ix_sms_code_phone_hash_created", "phone_hash", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)


class SubscriptionGrant(Base):
    """One-time subscribe-message grants the user gave in WeChat or Alipay; each send uses one."""

    __tablename__ = "subscription_grant"
    __table_args__ = (UniqueConstraint("user_id", "channel", "template_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # wechat | alipay
    template_id: Mapped[str] = mapped_column(String(128))
    remaining: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
