"""The scheduler: passed deadlines every tick; periodic jobs (index, disclosure, clean-up) once per interval,
decided by each job's last run (server.tasks.locks.claim_run) whatever the number of schedulers ticking."""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from server.core.complaints.deadlines import apply_due_deadlines
from server.core.models import IdempotencyRecord, utcnow
from server.db import Database
from server.tasks.locks import LIVE, SIMULATED, claim_run, record_failure

log = logging.getLogger("smart315.scheduler")

# Periodic jobs: name -> (interval seconds, function(db, settings, now) -> None). Other modules register here.
PERIODIC: dict[str, tuple[int, Callable[[Database, dict[str, Any], datetime], Any]]] = {}


def periodic(name: str, every_seconds: int):
    def register(fn):
        PERIODIC[name] = (every_seconds, fn)
        return fn

    return register


@periodic("idempotency_cleanup", 3600)
def _cleanup_idempotency(db: Database, settings: dict[str, Any], now: datetime) -> None:
    """Keys live at least 24 h (API.md); keep them 48 h."""
    with db.session() as s:
        s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(hours=48)))
        s.commit()


@periodic("audit.checkpoint", 86400)
def _audit_checkpoint(db: Database, settings: dict[str, Any], now: datetime) -> str:
    """Daily signed checkpoint of every timeline's head into AUDIT_CHECKPOINT_DIR (the operator copies them off
    the database host; `smart315 audit verify --against FILE`)."""
    from server.core.auditchain import write_checkpoint

    with db.session() as s:
        path, digest = write_checkpoint(s, settings, now=now)
    log.info("audit checkpoint %s (%s)", path, digest)
    return str(path)


@periodic("erasure.purge", 3600)
def _purge_erased_evidence(db: Database, settings: dict[str, Any], now: datetime) -> None:
    """Uploads of erased accounts kept while their case was in mediation go once it has ended."""
    from server.core.erasure import purge_after_cases

    with db.session() as s:
        n = purge_after_cases(s, settings)
        s.commit()
    if n:
        log.info("erasure.purge deleted %s uploads kept for ended cases", n)


@periodic("rate_limit_cleanup", 3600)
def _cleanup_rate_limits(db: Database, settings: dict[str, Any], now: datetime) -> None:
    """Entries of the database-kept rate-limit windows (no Redis, or Redis down) whose window has passed."""
    from server.api.limits import purge_expired

    purge_expired(db, settings, now.timestamp())


def tick(db: Database, settings: dict[str, Any], now: datetime | None = None, run_periodic: bool = True,
         clock: str | None = None) -> Counter:
    """One tick. Without `now` it is the live clock; with `now` (`scheduler --once --now T`) periodic runs are
    recorded on the simulated clock and never move the live schedule."""
    clock = clock or (LIVE if now is None else SIMULATED)
    now = now or utcnow()
    done = apply_due_deadlines(db.Session, settings, now)
    if run_periodic:
        _load_job_modules()
        for name, (every, fn) in sorted(PERIODIC.items()):
            if claim_run(db.Session, name, every, now, clock):
                try:
                    fn(db, settings, now)
                    done[f"job:{name}"] += 1
                except Exception as exc:
                    log.exception("periodic job %s failed", name)
                    record_failure(db.Session, name, clock, f"{type(exc).__name__}: {exc}")
    return done


def job_status(db: Database) -> list[dict[str, Any]]:
    """Each periodic job: interval, last run and number of runs on the live clock, and on the simulated one."""
    from sqlalchemy import select

    from server.core.models import JobRun

    _load_job_modules()
    with db.session() as s:
        rows = {(r.name, r.clock): r for r in s.execute(select(JobRun)).scalars()}
    out = []
    for name, (every, _fn) in sorted(PERIODIC.items()):
        item: dict[str, Any] = {"name": name, "interval_seconds": every}
        for clock, prefix in ((LIVE, ""), (SIMULATED, "simulated_")):
            r = rows.get((name, clock))
            item[f"{prefix}last_run_at"] = r.last_run_at.isoformat() if r else None
            item[f"{prefix}runs"] = r.runs if r else 0
            if clock == LIVE:
                item["last_error"] = r.last_error if r else None
        out.append(item)
    return out


def _load_job_modules() -> None:
    """Import modules that register periodic jobs (index recompute, disclosures)."""
    import importlib

    for mod in ("server.core.scoring.jobs",):
        importlib.import_module(mod)


def run_forever(db: Database, settings: dict[str, Any]) -> None:
    stop = {"now": False}

    def _stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    interval = int(settings["SCHEDULER_INTERVAL_SECONDS"])
    log.info("scheduler started, every %ss", interval)
    while not stop["now"]:
        try:
            done = tick(db, settings)
            if done:
                log.info("scheduler tick: %s", dict(done))
        except Exception:
            log.exception("scheduler tick failed; will retry")
        for _ in range(interval * 10):
            if stop["now"]:
                break
            time.sleep(0.1)


def start_embedded(app) -> threading.Thread | None:
    """The embedded default also runs the scheduler in-process, so `make run` moves deadlines by itself.

    Same conditions as the embedded worker (no Redis, EMBEDDED_WORKER on, not in tests); several
    processes doing this is safe for the same reasons several `smart315 scheduler` processes are.
    """
    settings = app.config["SMART315"]
    if settings.get("SMART315_TESTING") or settings.get("REDIS_URL") or not settings.get("EMBEDDED_WORKER"):
        return None
    if app.extensions.get("smart315.scheduler") is not None:
        return app.extensions["smart315.scheduler"]
    db = app.extensions["smart315.db"]
    interval = int(settings["SCHEDULER_INTERVAL_SECONDS"])

    def loop():
        while True:
            try:
                tick(db, settings)
            except Exception:
                log.exception("embedded scheduler tick failed; will retry")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="smart315-embedded-scheduler", daemon=True)
    thread.start()
    app.extensions["smart315.scheduler"] = thread
    return thread
