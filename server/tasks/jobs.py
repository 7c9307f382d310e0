"""The periodic jobs, in one list (JOBS). The scheduler (server/tasks/scheduler.py) runs each enabled job
once per interval, whatever the number of schedulers ticking (server.tasks.locks.claim_run);
SCHEDULER_DISABLED_JOBS (comma-separated names) turns jobs off. `smart315 jobs` lists them.

A job is `run(db, settings, now)`: it opens its own session, calls the domain (server/core: functions
that take a session and never commit) and commits once. A new job is one function and one line in JOBS.

* ``index.recompute`` (hourly): full set-based recompute with the stored snapshot of industry
  means; rolls the 365-day window forward for businesses without recent changes and keeps the
  current month's IndexHistory row at the latest value (so it holds the month-end value once
  the month is over). Past months' rows are never rewritten, so a change of the method (a new
  FORMULA_VERSION, e.g. 2026.2's "only what a person has looked at") applies from the current month
  on, and published disclosures keep their stored bytes.
* ``index.refresh_means`` (daily): retakes the industry-means snapshot and recomputes every
  business from it in the same transaction.
* ``disclosure.monthly`` (hourly check): publishes the previous month's disclosure once.
* ``complaints.fulfilment_check`` (hourly): FULFILMENT_CHECK_DAYS after a resolution with an amount or a
  promise, asks the consumer once whether the settlement was kept (server/core/complaints/fulfilment.py).
* ``idempotency_cleanup``, ``audit.checkpoint``, ``erasure.purge``, ``rate_limit_cleanup``: see each function.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from server.db import Database

log = logging.getLogger("smart315.jobs")

JobFn = Callable[[Database, Mapping[str, Any], datetime], Any]


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: JobFn


def cleanup_idempotency(db: Database, settings: Mapping[str, Any], now: datetime) -> None:
    """Keys live at least 24 h (API.md); keep them 48 h."""
    from server.core.models import IdempotencyRecord

    with db.session() as s:
        s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(hours=48)))
        s.commit()


def audit_checkpoint(db: Database, settings: Mapping[str, Any], now: datetime) -> str:
    """Daily signed checkpoint of every timeline's head into AUDIT_CHECKPOINT_DIR (the operator copies them off
    the database host; `smart315 audit verify --against FILE`)."""
    from server.core.auditchain import write_checkpoint

    with db.session() as s:
        path, digest = write_checkpoint(s, settings, now=now)
    log.info("audit checkpoint %s (%s)", path, digest)
    return str(path)


def purge_erased_evidence(db: Database, settings: Mapping[str, Any], now: datetime) -> None:
    """Uploads of erased accounts kept while their case was in mediation go once it has ended."""
    from server.core.erasure import purge_after_cases

    with db.session() as s:
        n = purge_after_cases(s, settings)
        s.commit()
    if n:
        log.info("erasure.purge deleted %s uploads kept for ended cases", n)


def cleanup_rate_limits(db: Database, settings: Mapping[str, Any], now: datetime) -> None:
    """Entries of the database-kept rate-limit windows (no Redis, or Redis down) whose window has passed."""
    from server.api.limits import purge_expired

    purge_expired(db, settings, now.timestamp())


def index_recompute(db: Database, settings: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    from server.core.scoring.actions import recompute_all

    with db.session() as s:
        summary = recompute_all(s, settings, now)
        s.commit()
    log.info("index recompute: %s", summary)
    return summary


def index_refresh_means(db: Database, settings: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    from server.core.scoring.actions import recompute_all

    with db.session() as s:
        summary = recompute_all(s, settings, now, refresh_means=True)
        s.commit()
    log.info("industry means refreshed: %s", summary)
    return summary


def disclosure_monthly(db: Database, settings: Mapping[str, Any], now: datetime) -> str | None:
    from server.core.models import Disclosure
    from server.core.scoring.disclosure import do_publish_disclosure, previous_period

    period = previous_period(now)
    with db.session() as s:
        if s.get(Disclosure, period) is not None:
            return None
        d = do_publish_disclosure(s, settings, period, now)
        s.commit()
        log.info("published disclosure %s (%s)", period, d.sha256)
        return period


def fulfilment_check(db: Database, settings: Mapping[str, Any], now: datetime, batch: int = 100) -> int:
    """Ask each consumer whose settlement is due its check, once; claimed like the deadlines (SKIP LOCKED on
    PostgreSQL, the version column against a second scheduler), one commit per batch. Returns how many."""
    from sqlalchemy.orm.exc import StaleDataError

    from server.core.complaints.fulfilment import checks_due, do_fulfilment_check
    from server.core.scoring.actions import index_updates_deferred

    sent = 0
    while True:
        with db.session() as s:
            stmt = checks_due(settings, now).limit(batch)
            if s.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(s.execute(stmt).scalars())
            if not rows:
                break
            with index_updates_deferred(s, settings, now):
                for complaint in rows:
                    do_fulfilment_check(s, settings, complaint, now)
            try:
                s.commit()
            except StaleDataError:
                s.rollback()
                log.info("another scheduler moved these complaints first; retrying")
                continue
            sent += len(rows)
    if sent:
        log.info("fulfilment checks sent: %s", sent)
    return sent


JOBS: tuple[Job, ...] = (
    Job("idempotency_cleanup", 3600, cleanup_idempotency),
    Job("audit.checkpoint", 86400, audit_checkpoint),
    Job("erasure.purge", 3600, purge_erased_evidence),
    Job("rate_limit_cleanup", 3600, cleanup_rate_limits),
    Job("index.recompute", 3600, index_recompute),
    Job("index.refresh_means", 86400, index_refresh_means),
    Job("disclosure.monthly", 3600, disclosure_monthly),
    Job("complaints.fulfilment_check", 3600, fulfilment_check),
)
BY_NAME: dict[str, Job] = {j.name: j for j in JOBS}


def disabled_names(settings: Mapping[str, Any]) -> set[str]:
    """SCHEDULER_DISABLED_JOBS: a list of names, or one comma-separated string. Unknown names are logged."""
    raw = settings.get("SCHEDULER_DISABLED_JOBS") or ()
    names: Iterable[str] = raw.split(",") if isinstance(raw, str) else raw
    out = {str(n).strip() for n in names if str(n).strip()}
    unknown = out - set(BY_NAME)
    if unknown:
        log.warning("SCHEDULER_DISABLED_JOBS names unknown jobs: %s (known: %s)", ", ".join(sorted(unknown)),
                    ", ".join(sorted(BY_NAME)))
    return out & set(BY_NAME)


def enabled_jobs(settings: Mapping[str, Any]) -> list[Job]:
    """The jobs this scheduler runs, by name (the order they run in within a tick)."""
    off = disabled_names(settings)
    return sorted((j for j in JOBS if j.name not in off), key=lambda j: j.name)
