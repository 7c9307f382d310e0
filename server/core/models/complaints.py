"""Complaints, their append-only timeline, message threads, evidence uploads and idempotency records."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.base import Base, utcnow

if TYPE_CHECKING:
    from server.core.models.business import Business


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_status_deadline", "status", "deadline_at"),
        Index("ix_complaint_business_forwarded", "business_id", "forwarded_at"),
        Index("ix_complaint_consumer_created", "consumer_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_no: Mapped[str | None] = mapped_column(String(24), unique=True)
    consumer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id", ondelete="SET NULL"))
    business_name: Mapped[str] = mapped_column(String(128))
    # The business's details as the consumer gave them (a business not on the platform; API.md "The
    # business's details"): shown to the parties, never on public pages.
    business_address: Mapped[str | None] = mapped_column(String(200))
    business_phone: Mapped[str | None] = mapped_column(String(32))
    business_credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    # How the business may reach the consumer: "message" (the thread only) or "phone" (the business's
    # staff may reveal the consumer's bound phone, each reveal a timeline event).
    contact_preference: Mapped[str] = mapped_column(String(10), default="message", server_default="message")
    industry_code: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    purchase_date: Mapped[date | None]
    order_no: Mapped[str | None] = mapped_column(String(64))
    amount_claimed_fen: Mapped[int | None] = mapped_column(BigInteger)
    amount_recovered_fen: Mapped[int | None] = mapped_column(BigInteger)
    demands: Mapped[list] = mapped_column(default=list)
    public_consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    deadline_at: Mapped[datetime | None]
    deadline_reminded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    # The rules it is handled under (server/core/complaints/rules.py), recorded when it is accepted.
    rule_set: Mapped[str | None] = mapped_column(String(16))
    forwarded_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    response_deadline_at: Mapped[datetime | None]
    mediating_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # reached resolved / unresolved / rejected / withdrawn
    closed_at: Mapped[datetime | None]
    settled_directly: Mapped[bool] = mapped_column(default=False)  # responded -> confirm
    mediation_cooperated: Mapped[bool] = mapped_column(default=False)
    went_to_mediation: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(16))  # resolved | unresolved | rejected | withdrawn
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]
    # When a person first acted on it: a mediator or admin (accept, reject, mediate, a message, an appeal
    # decision) or the business (respond, propose, a message). The scheduler's automatic steps and the
    # consumer's own actions never set it. Until it is set the complaint does not count in the index.
    person_seen_at: Mapped[datetime | None]
    # An upheld business appeal takes the complaint out of the index (and the rankings) for good.
    index_excluded: Mapped[bool] = mapped_column(default=False)
    # The keyed audit chain's head counter: the seq of the timeline's last event (server/core/auditchain.py).
    # 0 for a timeline not yet on the keyed chain (written before migration 0003_audit, or by bench/seed).
    audit_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # Moderation (server/core/moderation): "review" holds the complaint from the business and the public
    # until a mediator clears it ("pass") or refuses it ("rejected", hidden for good).
    moderation: Mapped[str] = mapped_column(String(10), default="pass", server_default="pass")
    # Publication needs a person (API.md): a consented complaint is public only once a mediator of its region
    # or an admin approved it. pending | approved | refused.
    publication_state: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    publication_decided_at: Mapped[datetime | None]
    publication_decided_by_id: Mapped[int | None]  # the deciding user (never deleted: erasure anonymises)
    # The clock stopped (API.md "The complete case": pause/resume): while paused, no deadline passes;
    # resume moves the deadline by the paused time. paused_seconds: every earlier pause, added up, which
    # also moves a mediation deadline computed later from the acceptance day.
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    paused_reason: Mapped[str | None] = mapped_column(String(20))  # testing | materials | agreed_extension
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    # The consumer reopened it once (reopen), from resolved or closed.
    reopened_at: Mapped[datetime | None]
    # A mediator asked for materials (request_materials): the clock is paused until the consumer
    # supplements them; past this moment the scheduler rejects the complaint (materials_timeout).
    materials_due_at: Mapped[datetime | None]
    # The fulfilment check (API.md "The complete case"): a resolution with an amount or a promise (the
    # business's answer the consumer confirmed, a proposal the mediation ended on) expects the settlement
    # to be kept; FULFILMENT_CHECK_DAYS after it the scheduler asks the consumer once
    # (fulfilment_checked_at), who answers once: fulfilment "fulfilled" | "not_fulfilled" (the latter
    # back to mediating, and the settlement no longer counts as one in the index).
    fulfilment_expected: Mapped[bool] = mapped_column(default=False, server_default=false())
    fulfilment_checked_at: Mapped[datetime | None]
    fulfilment: Mapped[str | None] = mapped_column(String(16))
    fulfilment_answered_at: Mapped[datetime | None]
    publication_note: Mapped[str | None] = mapped_column(Text)
    # A member of a collective complaint (集体投诉, server/core/collective.py): the lead complaint it joined.
    # Null for the lead and every other complaint. No foreign key: complaints are never deleted.
    collective_id: Mapped[int | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.seq", cascade="all, delete-orphan"
    )
    # Read-only, for loading the business with the complaint in one statement (contains_eager): holding
    # it keeps it in the session's identity map, so session.get(Business, business_id) needs no query.
    business: Mapped[Business | None] = relationship(viewonly=True)


class ComplaintEvent(Base):
    """Append-only timeline; each event's hash chains to the previous event of the same complaint.

    chain 1 (legacy): `hash` is the unkeyed SHA-256 of the event (complaints.actions.event_hash).
    chain 2 (keyed): `hash` is an HMAC-SHA256 with AUDIT_KEY over the event, the previous hash and
    `state`, the complaint's audited fields after the event (server/core/auditchain.py).
    """

    __tablename__ = "complaint_event"
    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(20))  # consumer | business_staff | mediator | admin | system
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    chain: Mapped[int] = mapped_column(default=2, server_default="1")
    state: Mapped[dict | None] = mapped_column(nullable=True)

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class Message(Base):
    __tablename__ = "message"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageAttachment(Base):
    """Evidence sent with a message (issue 18.3). The upload is also bound to the message's complaint
    (upload.complaint_id), so that the complaint's parties may read it and its moderation holds apply."""

    __tablename__ = "message_attachment"
    upload_id: Mapped[str] = mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class Upload(Base):
    __tablename__ = "upload"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not enumerable
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="SET NULL"), index=True)
    storage_name: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "pending" while WeChat's media_check_async runs, "risky" once its push says so (then hidden from the
    # business and everyone but the owner and the complaint's mediators).
    moderation: Mapped[str] = mapped_column(String(10), default="pass", server_default="pass")
    moderation_trace_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Its owner erased the account while the case was still open: evidence the case needs, deleted (file and
    # row) by the scheduler's purge once the case has ended (server.core.erasure).
    erase_after_case: Mapped[bool] = mapped_column(default=False, server_default=false())


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # "user:<id>" or "apikey:<id>"
    key: Mapped[str] = mapped_column(String(128))
    endpoint: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WeChatPushNonce(Base):
    """Nonces of accepted WeChat message pushes within the freshness window: a replay is refused."""

    __tablename__ = "wechat_push_nonce"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)
