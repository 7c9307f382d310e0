"""The claim, the lease fence, backoff, the embedded loop and `smart315 worker --once`, on the test database."""
from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import insert, select

from server.core.models import Notification, utcnow
from server.core.notifications.channels import Outcome
from server.core.notifications.dispatch import backoff_seconds
from server.tasks.delivery import claim, record
from tests.core.notifications.helpers import add_receiver_webhook, complaint_parties, file_and_forward, rows
from tests.core.notifications.receiver import running_receiver
from tests.faults.workers import wait_until


def _pending(db, n: int, channel: str = "inbox-test") -> None:
    now = utcnow()
    with db.session() as s:
        s.execute(insert(Notification), [dict(event_type="complaint.forwarded", channel=channel,
                                              dedupe_key=f"t:{i}:{channel}", title="t", body="", payload={},
                                              send_state="pending", attempts=0, next_attempt_at=now,
                                              created_at=now) for i in range(n)])
        s.commit()


def test_concurrent_claims_never_overlap(db, settings):
    _pending(db, 300)
    taken: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def grab(i: int) -> None:
        try:
            start.wait(10)  # all four claim from the first batch on, not one after another's start-up
            while True:
                got = claim(db, settings, utcnow(), limit=7)
                if not got:
                    return
                taken[i].extend(r.id for r in got)
                time.sleep(0.001)  # hand the GIL (and SQLite's lock) over, as a worker sending a batch would
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    every = [rid for part in taken for rid in part]
    assert len(every) == len(set(every)) == 300
    assert sum(1 for part in taken if part) >= 2  # they really ran side by side
    assert {r.send_state for r in rows(db)} == {"sending"}


def test_lease_takeover_and_the_fence(db, settings):
    _pending(db, 1)
    now = utcnow()
    [first] = claim(db, settings, now)
    assert first.attempts == 1 and first.lease_until > now
    assert claim(db, settings, now + timedelta(seconds=30)) == []  # lease (60 s) still running
    [second] = claim(db, settings, now + timedelta(seconds=61))  # the first worker died, presumably
    assert second.id == first.id and second.attempts == 2
    # The first worker comes back late: its result must not overwrite the new owner's.
    assert record(db, settings, first, Outcome("sent")) == "lost"
    [row] = rows(db)
    assert row.send_state == "sending" and row.attempts == 2
    assert record(db, settings, second, Outcome("sent")) == "sent"
    assert rows(db)[0].send_state == "sent"


def test_backoff_grows_with_jitter_and_is_capped():
    s = {"NOTIFY_BACKOFF_BASE_SECONDS": 30, "NOTIFY_BACKOFF_MAX_SECONDS": 3600}
    rng = random.Random(7)
    for attempt in range(1, 12):
        raw = min(3600, 30 * 2 ** (attempt - 1))
        values = [backoff_seconds(s, attempt, rng) for _ in range(50)]
        assert all(raw / 2 <= v <= raw for v in values)
        assert len(set(values)) > 1  # jittered: workers do not retry in lockstep


def test_retry_then_dead_past_the_bound(db, settings):
    _pending(db, 1)
    quick = dict(settings, NOTIFY_GIVE_UP_SECONDS=100, NOTIFY_BACKOFF_BASE_SECONDS=30)
    now = utcnow()
    [row] = claim(db, quick, now)
    assert record(db, quick, row, Outcome("retry", "HTTP 503"), now) == "pending"
    [row] = claim(db, quick, now + timedelta(seconds=31))
    # Next backoff (30..60 s) from t+80 passes the 100 s bound: give up now, visibly.
    assert record(db, quick, row, Outcome("retry", "HTTP 503"), now + timedelta(seconds=80)) == "dead"
    [row] = rows(db)
    assert row.send_state == "dead" and row.last_error == "HTTP 503" and row.next_attempt_at is None


def test_embedded_loop_delivers_without_a_worker(app, auth, settings_overrides):
    from server.app import create_app

    embedded = create_app({**settings_overrides, "SMART315_TESTING": False, "EMBEDDED_WORKER": True,
                           "REDIS_URL": None, "NOTIFY_POLL_SECONDS": 1})
    handle = embedded.extensions.get("smart315.worker")
    assert handle is not None and handle.thread.is_alive()
    assert app.extensions.get("smart315.worker") is None  # never in tests unless asked
    try:
        client = embedded.test_client()
        owner, biz, consumer, mediator = complaint_parties(auth)
        with running_receiver() as rec:
            add_receiver_webhook(client, owner, biz["id"], rec)
            file_and_forward(client, consumer, mediator, biz["id"])
            assert wait_until(lambda: len(rec.verified()) == 1, 10)
    finally:
        handle.stop()
        # The embedded scheduler started with it: stopped too, or its hourly jobs would run on the shared test
        # database in the middle of later tests (tests/ops/test_jobs.py counts every job's runs).
        embedded.extensions["smart315.scheduler"].stop()
        embedded.extensions["smart315.db"].dispose()
    assert not handle.thread.is_alive()
    assert not embedded.extensions["smart315.scheduler"].thread.is_alive()


def test_cli_worker_once(client, auth, db, settings, monkeypatch):
    from server.cli import main

    owner, biz, consumer, mediator = complaint_parties(auth)
    with running_receiver() as rec:
        add_receiver_webhook(client, owner, biz["id"], rec)
        file_and_forward(client, consumer, mediator, biz["id"])
        env = {"DATABASE_URL": settings["DATABASE_URL"], "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"],
               "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1", "REDIS_URL": ""}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        result = CliRunner().invoke(main, ["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert '"sent": 1' in result.output
        assert len(rec.verified()) == 1
    with db.session() as s:
        assert s.execute(select(Notification.send_state).where(Notification.channel == "webhook")).scalar_one() == "sent"
