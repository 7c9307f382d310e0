"""Deadlines that pass are acted on by the scheduler, each as an event by `system`, never twice.
A paused complaint (pause/resume) has no deadline passing: it is skipped until resumed.

The domain half: which complaints are due (statements) and the step each gets (functions taking a session,
never committing). The loop that claims them in batches and commits is server/tasks/deadlines.py."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.complaints.actions import do_system_step
from server.core.complaints.states import ENDED_STATES, OPEN_STATES
from server.core.models import Complaint

DUE_STEP = {
    "submitted": "auto_accept",
    "forwarded": "response_timeout",
    "responded": "confirm_timeout",
    "mediating": "mediation_timeout",
    **{s: "close" for s in ENDED_STATES},
}


def due_steps(now: datetime):
    """Complaints whose deadline passed by `now` (not paused), oldest deadline first."""
    return (select(Complaint)
            .where(Complaint.deadline_at <= now, Complaint.status.in_(tuple(DUE_STEP)), Complaint.paused.is_(False))
            .order_by(Complaint.deadline_at, Complaint.id))


def apply_due_step(session: Session, settings: Mapping[str, Any], complaint: Complaint, now: datetime) -> str:
    """The step the complaint's passed deadline calls for, dated at its deadline; returns the step. No commit."""
    step = DUE_STEP[complaint.status]
    do_system_step(session, settings, complaint, step, min(complaint.deadline_at, now))
    return step


def materials_overdue(now: datetime):
    """Paused complaints whose requested materials did not come by their due time."""
    return (select(Complaint)
            .where(Complaint.paused.is_(True), Complaint.materials_due_at <= now, Complaint.status.in_(OPEN_STATES))
            .order_by(Complaint.materials_due_at, Complaint.id))


def apply_materials_timeout(session: Session, settings: Mapping[str, Any], complaint: Complaint,
                            now: datetime) -> None:
    """Requested materials that never came: rejected by system, dated at the due time. No commit."""
    do_system_step(session, settings, complaint, "materials_timeout", min(complaint.materials_due_at, now),
                   note="未在期限内补正材料，不予受理")


def reminders_due(settings: Mapping[str, Any], now: datetime):
    """Forwarded complaints not yet reminded whose response deadline comes within DEADLINE_SOON_HOURS."""
    soon = now + timedelta(hours=int(settings["DEADLINE_SOON_HOURS"]))
    return (select(Complaint)
            .where(Complaint.status == "forwarded", Complaint.deadline_reminded.is_(False),
                   Complaint.paused.is_(False), Complaint.deadline_at <= soon, Complaint.deadline_at > now)
            .order_by(Complaint.id))


def remind(session: Session, settings: Mapping[str, Any], complaint: Complaint, now: datetime) -> None:
    """Once per forwarded complaint, when its response deadline comes near. No commit."""
    do_system_step(session, settings, complaint, "deadline_reminder", now)
