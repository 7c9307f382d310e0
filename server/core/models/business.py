"""Businesses on the platform, their staff, webhooks, API keys and WeChat OA binding tickets."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.base import Base, utcnow


def business_name_key(name: str | None) -> str | None:
    """A business name as complaints match it: NFKC (full-width letters, digits, brackets and spaces become
    their ASCII forms), whitespace removed, case folded. 「北京优品（电器）有限公司 」 and
    「北京优品(电器)有限公司」 have one key."""
    import unicodedata

    if name is None:
        return None
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()[:128] or None


def _name_key_default(context) -> str | None:
    return business_name_key(context.get_current_parameters().get("name"))


class Business(Base):
    __tablename__ = "business"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    # business_name_key(name), written with the row (names never change): a complaint naming the business
    # exactly, up to full-width forms and spaces, is linked to it (server/core/complaints/business_details.py).
    name_key: Mapped[str | None] = mapped_column(String(128), index=True, default=_name_key_default)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    industry_code: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone_enc: Mapped[str | None] = mapped_column(String(255))
    contact_phone_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | verified | rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    members: Mapped[list[BusinessMember]] = relationship(back_populates="business", cascade="all, delete-orphan")


class BusinessMember(Base):
    __tablename__ = "business_member"
    __table_args__ = (UniqueConstraint("business_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="agent")  # owner | agent
    oa_openid: Mapped[str | None] = mapped_column(String(128), index=True)  # WeChat official-account openid
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    business: Mapped[Business] = relationship(back_populates="members")


class WechatBinding(Base):
    """A one-time parametric QR ticket that binds the scanning staff member's OA openid."""

    __tablename__ = "wechat_binding"
    id: Mapped[int] = mapped_column(primary_key=True)
    scene: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("business_member.id", ondelete="CASCADE"))
    ticket: Mapped[str | None] = mapped_column(String(255))
    # The content URL WeChat returned with the ticket (what the QR encodes): on the row, so every web
    # process can draw the QR whether or not Redis is configured.
    qr_url: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Webhook(Base):
    __tablename__ = "webhook"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1024))
    events: Mapped[list] = mapped_column(default=list)
    secret_enc: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class ApiKey(Base):
    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class BusinessInvitation(Base):
    """An invitation to join a business's staff, addressed to a phone (by its keyed hash): whoever holds an
    account with that phone -- now or after registering or binding it later -- sees it and accepts or declines.
    Nobody becomes staff without accepting."""

    __tablename__ = "business_invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_enc: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent")  # owner | agent
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending | accepted | declined
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class BusinessEvent(Base):
    """What happened to a business's registration and staff, append-only: registered, verified, rejected
    (with the note), reapplied, invited, invitation accepted or declined, member removed."""

    __tablename__ = "business_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("business_invitation.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
