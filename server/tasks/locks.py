"""Leases in the database so that one scheduler instance runs each periodic job, whatever the number running."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from server.core.models import JobLock

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def try_acquire(session_factory, name: str, ttl_seconds: int, now: datetime, holder: str = HOLDER) -> bool:
    """Take or renew the lease `name`; False while another holder's lease is alive."""
    with session_factory() as s:
        taken = s.execute(update(JobLock).where(JobLock.name == name)
                          .where((JobLock.expires_at < now) | (JobLock.holder == holder))
                          .values(holder=holder, expires_at=now + timedelta(seconds=ttl_seconds))).rowcount
        if taken:
            s.commit()
            return True
        try:
            s.execute(insert(JobLock).values(name=name, holder=holder, expires_at=now + timedelta(seconds=ttl_seconds)))
            s.commit()
            return True
        except IntegrityError:
            s.rollback()
            return False


def release(session_factory, name: str, holder: str = HOLDER) -> None:
    with session_factory() as s:
        s.execute(delete(JobLock).where(JobLock.name == name, JobLock.holder == holder))
        s.commit()


LIVE, SIMULATED = "live", "simulated"


def claim_run(session_factory, name: str, every_seconds: int, now: datetime, clock: str = LIVE) -> bool:
    """Record a run of periodic job `name` at `now` if its last run on `clock` is at least `every_seconds`
    old (or there is none); True for exactly one caller however many schedulers ask at once (a conditional
    UPDATE, or the INSERT of the first run, decides). The job's last-run time decides, not who asks.

    The simulated clock (`scheduler --once --now T`) may jump back and forth: there a run also counts as due
    when T lies an interval or more before the last simulated run."""
    from sqlalchemy import select

    from server.core.models import JobRun

    every = timedelta(seconds=every_seconds)
    due = JobRun.last_run_at <= now - every
    if clock != LIVE:
        due = due | (JobRun.last_run_at >= now + every)
    with session_factory() as s:
        taken = s.execute(update(JobRun).where(JobRun.name == name, JobRun.clock == clock, due)
                          .values(last_run_at=now, runs=JobRun.runs + 1, last_error=None)).rowcount
        if taken:
            s.commit()
            return True
        if s.execute(select(JobRun.name).where(JobRun.name == name, JobRun.clock == clock)).first() is not None:
            s.rollback()
            return False
        try:
            s.execute(insert(JobRun).values(name=name, clock=clock, last_run_at=now, runs=1))
            s.commit()
            return True
        except IntegrityError:
            s.rollback()
            return False


def record_failure(session_factory, name: str, clock: str, error: str) -> None:
    from server.core.models import JobRun

    with session_factory() as s:
        s.execute(update(JobRun).where(JobRun.name == name, JobRun.clock == clock).values(last_error=error[:500]))
        s.commit()
