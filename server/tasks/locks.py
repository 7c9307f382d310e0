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
