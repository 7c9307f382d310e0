"""A worker killed in the middle of a batch loses nothing: its claimed rows are taken over by another
worker once the lease expires, and the receiver sees each delivery id it was mid-way through again."""
from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import func, select

from server.core.models import Notification
from server.tasks.worker import run_once
from tests.core.notifications.helpers import add_receiver_webhook, complaint_parties, file_and_forward
from tests.core.notifications.receiver import running_receiver
from tests.faults.workers import start_worker, stop, wait_until

# make test-fast leaves this out; make test and CI run it: worker processes killed mid-batch, waiting out their leases.
pytestmark = pytest.mark.slow

LEASE = 3


def _states(db) -> dict[str, int]:
    with db.session() as s:
        return dict(s.execute(select(Notification.send_state, func.count()).where(Notification.channel == "webhook")
                              .group_by(Notification.send_state)).all())


def test_killed_mid_delivery_then_another_worker_finishes(client, auth, db, settings, tmp_path):
    owner, biz, consumer, mediator = complaint_parties(auth)
    with running_receiver() as rec:
        add_receiver_webhook(client, owner, biz["id"], rec)
        for _ in range(5):
            file_and_forward(client, consumer, mediator, biz["id"])
        assert _states(db) == {"pending": 5}
        rec.hold_first = 1  # the first request hangs, as on a slow receiver
        proc = start_worker(settings, tmp_path / "worker.log", NOTIFY_LEASE_SECONDS=LEASE, NOTIFY_CONCURRENCY=1,
                            NOTIFY_BATCH_SIZE=10)
        try:
            assert rec.held.wait(30), (tmp_path / "worker.log").read_text()
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            stop(proc, signal.SIGKILL)
        held_id = rec.requests[0]["delivery"]
        # The whole batch was claimed by the dead worker; nothing was recorded as sent.
        assert _states(db) == {"sending": 5}
        # Before the lease expires nobody may take the rows: a live worker could still be sending.
        assert run_once(db, settings)["claimed"] == 0
        rec.release()
        time.sleep(LEASE + 0.5)
        counts = run_once(db, settings)
        assert counts["claimed"] == 5 and counts.get("sent") == 5, (counts, [(r.send_state, r.last_error) for r in __import__("tests.core.notifications.helpers", fromlist=["rows"]).rows(db, channel="webhook")])
        assert _states(db) == {"sent": 5}
        per_id = rec.delivery_counts()
    assert len(per_id) == 5  # every notification arrived, signed
    assert per_id[held_id] == 2 and all(n == 1 for d, n in per_id.items() if d != held_id)
    with db.session() as s:
        attempts = s.execute(select(Notification.attempts).where(Notification.channel == "webhook")).scalars().all()
    assert sorted(attempts) == [2, 2, 2, 2, 2]


def test_sigterm_finishes_the_batch_in_hand_and_exits(client, auth, db, settings, tmp_path):
    owner, biz, consumer, mediator = complaint_parties(auth)
    with running_receiver() as rec:
        add_receiver_webhook(client, owner, biz["id"], rec)
        file_and_forward(client, consumer, mediator, biz["id"])
        rec.hold_first = 1
        proc = start_worker(settings, tmp_path / "worker.log", NOTIFY_POLL_SECONDS=1)
        try:
            assert rec.held.wait(30), (tmp_path / "worker.log").read_text()
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert proc.poll() is None  # still finishing the send in hand
            rec.release()
            assert proc.wait(15) == 0
        finally:
            stop(proc, signal.SIGKILL)
        assert _states(db) == {"sent": 1}
        assert wait_until(lambda: len(rec.verified()) == 1, 5)
