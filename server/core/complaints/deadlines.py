"""Deadlines that pass are acted on by the scheduler, each as an event by `system`, never twice.
A paused complaint (pause/resume) has no deadline passing: it is skipped until resumed."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from server.core.complaints.actions import do_system_step
from server.core.complaints.states import ENDED_STATES, OPEN_STATES
from server.core.models import Complaint
from server.core.scoring.actions import index_updates_deferred

log = logging.getLogger(__name__)

DUE_STEP = {
    "submitted": "auto_accept",
    "forwarded": "response_timeout",
    "responded": "confirm_timeout",
    "mediating": "mediation_timeout",
    **{s: "close" for s in ENDED_STATES},
}


def _claim(session: Session, stmt):
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.execute(stmt).scalars())


def apply_due_deadlines(session_factory: Callable[[], Session], settings: Mapping[str, Any], now: datetime,
                        batch: int = 100) -> Counter:
    """Apply every step whose deadline passed by `now`; each step is dated at its deadline.

    Safe with several schedulers at once: rows are claimed with SKIP LOCKED (PostgreSQL) or under
    SQLite's write lock, and the complaint's version column rejects a step on a stale row. The index
    of each business a batch touched is updated once, at the end of the batch, in business id order.
    """
    done: Counter = Counter()
    while True:
        progressed = 0
        with session_factory() as session:
            rows = _claim(session, select(Complaint)
                          .where(Complaint.deadline_at <= now, Complaint.status.in_(tuple(DUE_STEP)),
                                 Complaint.paused.is_(False))
                          .order_by(Complaint.deadline_at, Complaint.id).limit(batch))
            if not rows:
                break
            batch_done: Counter = Counter()
            with index_updates_deferred(session, settings, now):
                for complaint in rows:
                    step = DUE_STEP[complaint.status]
                    at = min(complaint.deadline_at, now)
                    do_system_step(session, settings, complaint, step, at)
                    batch_done[step] += 1
                    progressed += 1
            try:
                session.commit()
            except StaleDataError:
                session.rollback()
                log.info("another scheduler moved these complaints first; retrying")
                continue
            done.update(batch_done)
        if progressed == 0:
            break
    # Requested materials that never came: the paused complaint is rejected by system, dated at the due time.
    while True:
        with session_factory() as session:
            rows = _claim(session, select(Complaint)
                          .where(Complaint.paused.is_(True), Complaint.materials_due_at <= now,
                                 Complaint.status.in_(OPEN_STATES))
                          .order_by(Complaint.materials_due_at, Complaint.id).limit(batch))
            if not rows:
                break
            with index_updates_deferred(session, settings, now):
                for complaint in rows:
                    do_system_step(session, settings, complaint, "materials_timeout",
                                   min(complaint.materials_due_at, now), note="未在期限内补正材料，不予受理")
            try:
                session.commit()
            except StaleDataError:
                session.rollback()
                continue
            done["materials_timeout"] += len(rows)
    # Reminders: once per forwarded complaint, when its response deadline comes near.
    soon = now + timedelta(hours=int(settings["DEADLINE_SOON_HOURS"]))
    while True:
        with session_factory() as session:
            rows = _claim(session, select(Complaint)
                          .where(Complaint.status == "forwarded", Complaint.deadline_reminded.is_(False), Complaint.paused.is_(False),
                                 Complaint.deadline_at <= soon, Complaint.deadline_at > now)
                          .order_by(Complaint.id).limit(batch))
            if not rows:
                break
            with index_updates_deferred(session, settings, now):
                for complaint in rows:
                    do_system_step(session, settings, complaint, "deadline_reminder", now)
            try:
                session.commit()
            except StaleDataError:
                session.rollback()
                continue
            done["deadline_reminder"] += len(rows)
    return +done
