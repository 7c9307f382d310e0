"""Erasure that erases (PIPL, issue 14.1): what happens to a consumer's complaints when the account goes.

Called by :func:`server.core.identity.accounts.do_erase_user` in the same transaction, before the account's
own fields are cleared (it needs the name and phone to find them in the text):

* Stored text is scrubbed: each of the person's complaints (title, description, order number), every
  message in their threads, the inbox notifications that quote them and the business's appeal notes go through :func:`server.core.privacy.redact` with the person's names, and the
  person's own phone number is removed in whatever form it was typed. Staff read the scrubbed text from
  then on; nothing keeps the original. Timeline events are not rewritten (they are the tamper-evident
  audit record, hash-chained); their notes are the parties' short reasons.
* Published text stays redacted: redaction finds any person's name by itself (server.core.person_names)
  and does not depend on the account, and the stored text it starts from is scrubbed already.
* Open complaints are withdrawn by ``system`` with the reason in the timeline event, except a case in
  mediation: the mediator ends it (or its mediation deadline does), since the business may owe the
  consumer something already agreed.
* Uploads: deleted (row and file), except the evidence of a case still in mediation, which is flagged
  ``erase_after_case`` and deleted by the scheduler job ``erasure.purge`` once that case has ended.
* Kept for the statistics: the complaint rows themselves (business, industry, region, category, amounts,
  states and dates), their timeline, and the nameless account they point at.
* Public pages are told at once (every public cache entry is marked changed).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.cache import public_changed_on_commit
from server.core.complaints.states import ENDED_STATES, OPEN_STATES
from server.core.models import Appeal, Complaint, Message, Notification, Upload, User, utcnow
from server.core.privacy import PHONE_TOKEN, redact

WITHDRAW_REASON = "投诉人已注销账号，系统自动撤回"
KEEP_WHILE = ("mediating",)  # cases that go on after the consumer's erasure, with their evidence


def _phone_pattern(phone: str | None) -> re.Pattern | None:
    """The 11 digits of the phone with any separators between them (138.1234.5678, 138 1234 5678…)."""
    if not phone or not phone.isdigit():
        return None
    return re.compile(r"(?:\+?86[\s\-.]?)?" + r"[\s\-._/·]?".join(phone) + r"(?!\d)")


def scrub(text: str | None, names: list[str], phone: str | None) -> str | None:
    if not text:
        return text
    pattern = _phone_pattern(phone)
    if pattern is not None:
        text = pattern.sub(PHONE_TOKEN, text)
    return redact(text, names)


def _delete_file(settings: Mapping[str, Any] | None, upload: Upload) -> None:
    from server.core.storage import delete_quietly

    delete_quietly(settings, upload.storage_name)  # local file or S3 object (UPLOAD_STORAGE)


def erase_complaints_of(session: Session, settings: Mapping[str, Any] | None, user: User, phone: str | None,
                        now: datetime | None = None) -> dict[str, int]:
    """Scrub, withdraw and delete as the module says, for the user about to be erased. No commit."""
    from server.core.complaints.actions import do_system_step, timeline_of

    now = (now or utcnow()).replace(microsecond=0)
    names = [n for n in {user.display_name or "", user.username or ""} if len(n.strip()) >= 2]
    done = {"complaints": 0, "messages": 0, "withdrawn": 0, "uploads_deleted": 0, "uploads_kept": 0}
    complaints = session.execute(select(Complaint).where(Complaint.consumer_id == user.id)
                                 .order_by(Complaint.id)).scalars().all()
    for c in complaints:
        c.title = (scrub(c.title, names, phone) or "")[:60]
        c.description = scrub(c.description, names, phone) or ""
        c.order_no = None
        done["complaints"] += 1
        for m in session.execute(select(Message).where(Message.complaint_id == c.id)).scalars():
            m.body = scrub(m.body, names, phone) or ""
            done["messages"] += 1
        if c.status in OPEN_STATES and c.status not in KEEP_WHILE:
            do_system_step(session, settings or {}, c, "withdraw", now, note=WITHDRAW_REASON,
                           timeline=timeline_of(session, c.id))
            done["withdrawn"] += 1
    ids = [c.id for c in complaints]
    if ids:
        # Other people's inboxes quote the title and the messages ("TS…「张伟投诉…」", "TS…：我的电话是…").
        for n in session.execute(select(Notification).where(Notification.complaint_id.in_(ids))).scalars():
            n.body = scrub(n.body, names, phone) or ""
        # A business's appeal, and its decision, may name the consumer.
        for a in session.execute(select(Appeal).where(Appeal.complaint_id.in_(ids))).scalars():
            a.note = scrub(a.note, names, phone)
            a.decision_note = scrub(a.decision_note, names, phone)
    # Their messages in other people's complaints (a consumer who is also staff) keep the thread readable
    # but lose the person's data.
    for m in session.execute(select(Message).where(Message.author_id == user.id)).scalars():
        m.body = scrub(m.body, names, phone) or ""
    keep_for = {c.id for c in complaints if c.status in KEEP_WHILE}
    for u in session.execute(select(Upload).where(Upload.owner_id == user.id)).scalars().all():
        if u.complaint_id in keep_for:
            u.erase_after_case = True
            done["uploads_kept"] += 1
        else:
            _delete_file(settings, u)
            session.delete(u)
            done["uploads_deleted"] += 1
    public_changed_on_commit(session, settings)
    session.flush()
    return done


def purge_after_cases(session: Session, settings: Mapping[str, Any] | None) -> int:
    """Delete the uploads kept for a case in mediation whose case has ended since. No commit."""
    rows = session.execute(
        select(Upload).outerjoin(Complaint, Complaint.id == Upload.complaint_id)
        .where(Upload.erase_after_case.is_(True),
               Complaint.id.is_(None) | Complaint.status.in_(ENDED_STATES + ("closed",)))).scalars().all()
    for u in rows:
        _delete_file(settings, u)
        session.delete(u)
    session.flush()
    return len(rows)
