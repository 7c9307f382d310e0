"""Verification of the tamper-evident timeline: every event's hash and its link to the previous one."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.complaints.actions import GENESIS_HASH, event_hash
from server.core.models import ComplaintEvent


def verify_all(session: Session, batch: int = 5000) -> dict[str, Any]:
    broken: list[dict[str, Any]] = []
    checked = 0
    prev_complaint, prev_hash, prev_seq = None, GENESIS_HASH, 0
    stmt = (select(ComplaintEvent).order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
            .execution_options(yield_per=batch))
    for ev in session.execute(stmt).scalars():
        if ev.complaint_id != prev_complaint:
            prev_complaint, prev_hash, prev_seq = ev.complaint_id, GENESIS_HASH, 0
        checked += 1
        problems = []
        if ev.seq != prev_seq + 1:
            problems.append(f"sequence gap: expected {prev_seq + 1}, found {ev.seq}")
        if ev.prev_hash != prev_hash:
            problems.append("link to previous event broken")
        expected = event_hash(ev.complaint_id, ev.seq, ev.actor_id, ev.actor_role, ev.action, ev.from_status,
                              ev.to_status, ev.note, ev.data or {}, ev.created_at, ev.prev_hash)
        if expected != ev.hash:
            problems.append("event content does not match its hash")
        if problems:
            broken.append({"complaint_id": ev.complaint_id, "seq": ev.seq, "problems": problems})
        prev_hash, prev_seq = ev.hash, ev.seq
    return {"checked": checked, "broken": broken}
