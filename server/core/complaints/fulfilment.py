"""The fulfilment check (API.md "The complete case"): FULFILMENT_CHECK_DAYS after a resolution with an
amount or a promise (``complaint.fulfilment_expected``, set when it is resolved), the scheduler asks the
consumer once whether the settlement was kept (event ``complaint.fulfilment_check``). The consumer answers
once with ``fulfilled`` or ``not_fulfilled`` (server/core/complaints/actions.py); an unkept settlement goes
back to mediation and no longer counts as a settlement in the index (server/core/scoring/stats.py).

The domain half: which complaints are due (a statement) and the step each gets (no commit). The loop that
claims them and commits is the job ``complaints.fulfilment_check`` (server/tasks/jobs.py)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.complaints.actions import do_system_step
from server.core.models import Complaint, ComplaintEvent

QUESTION = "商家是否已履行和解承诺？请在投诉详情中回答“已履行”或“未履行”（未履行的请说明情况，投诉将重新进入调解）。"


def check_days(settings: Mapping[str, Any]) -> int:
    return int(settings["FULFILMENT_CHECK_DAYS"])


def checks_due(settings: Mapping[str, Any], now: datetime):
    """Resolved (or since closed) complaints expecting a settlement to be kept, resolved at least
    FULFILMENT_CHECK_DAYS ago and not asked yet, oldest resolution first."""
    resolved_by = now - timedelta(days=check_days(settings))
    return (select(Complaint)
            .where(Complaint.fulfilment_expected.is_(True), Complaint.fulfilment_checked_at.is_(None),
                   Complaint.outcome == "resolved", Complaint.status.in_(("resolved", "closed")),
                   Complaint.ended_at <= resolved_by)
            .order_by(Complaint.ended_at, Complaint.id))


def do_fulfilment_check(session: Session, settings: Mapping[str, Any], complaint: Complaint,
                          now: datetime) -> ComplaintEvent:
    """Ask the consumer, once (the step records fulfilment_checked_at): a timeline event by system and the
    consumer's notice in the inbox and their channels. No commit."""
    return do_system_step(session, settings, complaint, "fulfilment_check", now, note=QUESTION)
