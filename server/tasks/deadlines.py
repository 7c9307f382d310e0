"""The scheduler's deadline loop: claim due complaints in batches, apply each one's step (the domain:
server/core/complaints/deadlines.py), commit once per batch.

Safe with several schedulers at once: rows are claimed with SKIP LOCKED (PostgreSQL) or under SQLite's
write lock, and the complaint's version column rejects a step on a stale row (the batch is rolled back
and claimed again). The index of each business a batch touched is updated once, at the end of the
batch, in business id order.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from server.core.complaints.deadlines import (
    apply_due_step,
    apply_materials_timeout,
    due_steps,
    materials_overdue,
    remind,
    reminders_due,
)
from server.core.scoring.actions import index_updates_deferred

log = logging.getLogger("smart315.deadlines")


def _claim(session: Session, stmt):
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.execute(stmt).scalars())


def apply_due_deadlines(session_factory: Callable[[], Session], settings: Mapping[str, Any], now: datetime,
                        batch: int = 100) -> Counter:
    """Apply every step whose deadline passed by `now`; each step is dated at its deadline. Returns counts by step."""
    done: Counter = Counter()
    while True:
        progressed = 0
        with session_factory() as session:
            rows = _claim(session, due_steps(now).limit(batch))
            if not rows:
                break
            batch_done: Counter = Counter()
            with index_updates_deferred(session, settings, now):
                for complaint in rows:
                    batch_done[apply_due_step(session, settings, complaint, now)] += 1
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
            rows = _claim(session, materials_overdue(now).limit(batch))
            if not rows:
                break
            with index_updates_deferred(session, settings, now):
                for complaint in rows:
                    apply_materials_timeout(session, settings, complaint, now)
            try:
                session.commit()
            except StaleDataError:
                session.rollback()
                continue
            done["materials_timeout"] += len(rows)
    # Reminders: once per forwarded complaint, when its response deadline comes near.
    while True:
        with session_factory() as session:
            rows = _claim(session, reminders_due(settings, now).limit(batch))
            if not rows:
                break
            with index_updates_deferred(session, settings, now):
                for complaint in rows:
                    remind(session, settings, complaint, now)
            try:
                session.commit()
            except StaleDataError:
                session.rollback()
                continue
            done["deadline_reminder"] += len(rows)
    return +done
