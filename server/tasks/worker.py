"""The notification worker: `smart315 worker` (run_forever), `smart315 worker --once` (run_once) and the
in-process loop of the embedded default (start_embedded, used when REDIS_URL is unset).

Any number of workers may run against one database: rows are claimed under a lease (see
server/tasks/delivery.py). Redis, when configured, only carries wake-ups (a LPUSH to
smart315:notify:wake after each commit that wrote rows; workers BLPOP it between polls); if Redis is
down the workers just poll the table every NOTIFY_POLL_SECONDS. The database row stays the truth.

Why not RQ or Celery: the outbox row already is the job -- its state, attempts, next attempt and
lease live in the same transaction as the complaint change. A queue would be a second copy of that
state which can disagree with it (a job enqueued for a rolled-back change, a job lost when Redis
restarts without persistence, a job run twice after a visibility timeout), and the embedded default
has no Redis at all, so the table claim is needed anyway. `FOR UPDATE SKIP LOCKED` gives the same
many-consumer behaviour without another moving part.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from server.core.notifications.channels import Context
from server.core.notifications.dispatch import setting
from server.core.notifications.outbox import LOCAL_WAKE, WAKE_KEY
from server.db import Database
from server.tasks.delivery import run_batch

log = logging.getLogger("smart315.worker")

MAX_BATCHES_PER_RUN = 1000


def make_context(db: Database, settings: dict[str, Any]) -> Context:
    from server.redis_client import hand_to_core, make_redis

    hand_to_core()
    return Context(settings=settings, db=db, redis=make_redis(settings.get("REDIS_URL")))


def run_once(db: Database, settings: dict[str, Any], now: datetime | None = None,
             ctx: Context | None = None, max_batches: int = MAX_BATCHES_PER_RUN) -> dict[str, int]:
    """Deliver everything due now (batch after batch until none is left); returns counts by state."""
    ctx = ctx or make_context(db, settings)
    totals: dict[str, int] = {"claimed": 0}
    with ThreadPoolExecutor(max_workers=max(1, int(setting(settings, "NOTIFY_CONCURRENCY"))),
                            thread_name_prefix="notify") as pool:
        for _ in range(max_batches):
            counts = run_batch(ctx, pool, now)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            if counts["claimed"] == 0:
                break
    return totals


def _wait_for_work(ctx: Context, timeout: float, stop: threading.Event) -> None:
    """Sleep until woken (Redis BLPOP or the in-process event), the timeout, or stop."""
    if ctx.redis is not None:
        try:
            ctx.redis.blpop([WAKE_KEY], timeout=max(1, int(round(timeout))))
            return
        except Exception as exc:  # noqa: BLE001 - Redis down: fall back to polling
            log.warning("Redis wake-up unavailable (%s); polling the table", type(exc).__name__)
    LOCAL_WAKE.wait(timeout)
    LOCAL_WAKE.clear()


def loop(db: Database, settings: dict[str, Any], stop: threading.Event, ctx: Context | None = None) -> None:
    """Deliver until `stop` is set; the current batch is always finished first."""
    ctx = ctx or make_context(db, settings)
    poll = setting(settings, "NOTIFY_POLL_SECONDS")
    # BLPOP holds a connection for its whole timeout: its own client, with a longer socket timeout.
    waiter = Context(settings=settings, db=db)
    if settings.get("REDIS_URL"):
        import redis as redis_lib

        waiter.redis = redis_lib.Redis.from_url(settings["REDIS_URL"], socket_timeout=poll + 5,
                                                socket_connect_timeout=0.5)
    while not stop.is_set():
        try:
            counts = run_once(db, settings, ctx=ctx, max_batches=20)
            if counts.get("claimed"):
                log.info("delivered: %s", counts)
                continue
        except Exception:  # noqa: BLE001 - database away for a moment: keep trying
            log.exception("notification delivery failed; retrying")
            stop.wait(min(poll, 5))
            continue
        _wait_for_work(waiter, poll, stop)


def run_forever(db: Database, settings: dict[str, Any]) -> None:
    """`smart315 worker`: deliver until SIGTERM/SIGINT, then finish the batch in hand and exit."""
    stop = threading.Event()

    def _stop(signum, _frame):
        log.info("signal %s: finishing the current batch, then stopping", signum)
        stop.set()
        LOCAL_WAKE.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    log.info("notification worker started (pid %s, redis %s)", os.getpid(),
             "on" if settings.get("REDIS_URL") else "off")
    loop(db, settings, stop)
    log.info("notification worker stopped")


class EmbeddedWorker:
    def __init__(self, thread: threading.Thread, stop: threading.Event):
        self.thread = thread
        self._stop = stop

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        LOCAL_WAKE.set()
        self.thread.join(timeout)


def start_embedded(app) -> EmbeddedWorker | None:
    """The embedded default: without REDIS_URL (and with EMBEDDED_WORKER on), deliver from a daemon
    thread in the app process. With Redis, run `smart315 worker` processes instead. Not in tests."""
    settings = app.config["SMART315"]
    if settings.get("SMART315_TESTING") or settings.get("REDIS_URL") or not settings.get("EMBEDDED_WORKER"):
        return None
    if app.extensions.get("smart315.worker") is not None:
        return app.extensions["smart315.worker"]
    db = app.extensions["smart315.db"]
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(db, settings, stop), name="smart315-embedded-worker", daemon=True)
    thread.start()
    handle = EmbeddedWorker(thread, stop)
    app.extensions["smart315.worker"] = handle
    return handle


def main() -> None:
    """`python -m server.tasks.worker [--once]` with settings from the environment (like `smart315 worker`)."""
    import json
    import sys

    from server.config import load_config
    from server.logging_setup import configure_logging

    configure_logging()
    settings = load_config()
    db = Database.from_settings(settings, replica=False)
    if "--once" in sys.argv[1:]:
        print(json.dumps(run_once(db, settings)))
    else:
        run_forever(db, settings)


if __name__ == "__main__":
    main()
