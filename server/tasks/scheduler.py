"""The scheduler: passed deadlines every tick (server/tasks/deadlines.py); the periodic jobs of
server/tasks/jobs.py (index, disclosure, clean-up; SCHEDULER_DISABLED_JOBS turns some off) once per
interval, decided by each job's last run (server.tasks.locks.claim_run) whatever the number of schedulers."""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from server.core.models import utcnow
from server.db import Database
from server.tasks.deadlines import apply_due_deadlines
from server.tasks.jobs import JOBS, disabled_names, enabled_jobs
from server.tasks.locks import LIVE, SIMULATED, claim_run, record_failure

log = logging.getLogger("smart315.scheduler")


def tick(db: Database, settings: Mapping[str, Any], now: datetime | None = None, run_periodic: bool = True,
         clock: str | None = None) -> Counter:
    """One tick. Without `now` it is the live clock; with `now` (`scheduler --once --now T`) periodic runs are
    recorded on the simulated clock and never move the live schedule."""
    from server.redis_client import hand_to_core

    hand_to_core()
    clock = clock or (LIVE if now is None else SIMULATED)
    now = now or utcnow()
    done = apply_due_deadlines(db.Session, settings, now)
    if run_periodic:
        for job in enabled_jobs(settings):
            if claim_run(db.Session, job.name, job.every_seconds, now, clock):
                try:
                    job.run(db, settings, now)
                    done[f"job:{job.name}"] += 1
                except Exception as exc:
                    log.exception("periodic job %s failed", job.name)
                    record_failure(db.Session, job.name, clock, f"{type(exc).__name__}: {exc}")
    return done


def job_status(db: Database, settings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each periodic job: interval, whether this configuration runs it, last run and number of runs on the
    live clock, and on the simulated one."""
    from sqlalchemy import select

    from server.core.models import JobRun

    off = disabled_names(settings or {})
    with db.session() as s:
        rows = {(r.name, r.clock): r for r in s.execute(select(JobRun)).scalars()}
    out = []
    for job in sorted(JOBS, key=lambda j: j.name):
        item: dict[str, Any] = {"name": job.name, "interval_seconds": job.every_seconds}
        for clock, prefix in ((LIVE, ""), (SIMULATED, "simulated_")):
            r = rows.get((job.name, clock))
            item[f"{prefix}last_run_at"] = r.last_run_at.isoformat() if r else None
            item[f"{prefix}runs"] = r.runs if r else 0
            if clock == LIVE:
                item["last_error"] = r.last_error if r else None
        item["enabled"] = job.name not in off
        out.append(item)
    return out


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


class EmbeddedScheduler:
    def __init__(self, thread: threading.Thread, stop: threading.Event):
        self.thread = thread
        self._stop = stop

    def stop(self, timeout: float = 10) -> None:
        """Stop after the tick in hand (tests that start an embedded app stop it, so its clock leaves
        the shared test database alone)."""
        self._stop.set()
        self.thread.join(timeout)


def start_embedded(app) -> EmbeddedScheduler | None:
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

    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                tick(db, settings)
            except Exception:
                log.exception("embedded scheduler tick failed; will retry")
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="smart315-embedded-scheduler", daemon=True)
    thread.start()
    handle = EmbeddedScheduler(thread, stop)
    app.extensions["smart315.scheduler"] = handle
    return handle
